"""A namespace of one's own on the session's dev server: no shared worker ever picks up its workflows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter, register_search_attributes
from gaveurs.temporal_server import DevServer, wait_until_serving


@asynccontextmanager
async def fresh_namespace(server: DevServer, prefix: str) -> AsyncIterator[Client]:
    """A new namespace with our search attributes; its running workflows are terminated on the way out."""
    namespace = f"{prefix}-{uuid.uuid4().hex[:10]}"
    admin = await Client.connect(server.address)
    await admin.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    await register_search_attributes(await wait_until_serving(server.address, namespace))
    client = await Client.connect(
        server.address, namespace=namespace, data_converter=data_converter(Settings())
    )
    try:
        yield client
    finally:
        async for execution in client.list_workflows("ExecutionStatus = 'Running'"):
            await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test over")
