"""The OpenAPI document shows the seed's JSON shapes: every route answers a declared 2xx schema."""

from __future__ import annotations

from typing import Any

from api.main import create_app
from gaveurs.catalogue import CATALOGUE

SEED_KEYS = {
    "/api/tasks/ml/pysr/train": {"status", "task_id", "lot_id", "message"},
    "/api/tasks/export/pdf/lot": {"status", "task_id", "lot_id", "report_type", "message"},
    "/api/tasks/notifications/sms": {"status", "task_id", "phone", "message"},
    "/api/tasks/status/{task_id}": {"task_id", "task_name", "status", "progress", "started_at", "result",
                                   "error", "completed_at"},
    "/api/tasks/list/active": {"total", "tasks"},
    "/api/tasks/stats": {"workers", "nb_workers", "tasks_active", "tasks_scheduled", "tasks_reserved",
                         "total_pending", "worker_stats"},
    "/api/tasks/cancel/{task_id}": {"status", "task_id", "message"},
}  # fmt: skip
# The seed's example results, by key.
SEED_RESULT_KEYS = [
    {"status", "lot_id", "formula", "r2_score", "variables", "complexity"},
    {"status", "lot_id", "report_type", "pdf_url", "file_size", "generated_at"},
]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def success_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    for code, response in operation["responses"].items():
        if code.startswith("2"):
            content = response.get("content", {})
            if "application/json" in content:
                return resolve(document, content["application/json"]["schema"])
            if content:  # files and event streams: declared by media type
                return {"media": sorted(content)}
    return None


def test_every_route_declares_its_successful_answer() -> None:
    document = create_app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = success_schema(document, operation)
            assert schema, f"{method.upper()} {path} declares no 2xx schema"
            if path in SEED_KEYS and method in {"get", "post", "delete"}:
                assert SEED_KEYS[path] <= set(schema.get("properties", {})), (path, sorted(schema))


def test_every_task_result_is_documented_under_status() -> None:
    document = create_app().openapi()
    status = success_schema(document, document["paths"]["/api/tasks/status/{task_id}"]["get"])
    assert status is not None
    options = status["properties"]["result"]["anyOf"]
    names = {option["$ref"].rsplit("/", 1)[1] for option in options if "$ref" in option}
    assert {spec.result.__name__ for spec in CATALOGUE.values()} <= names
    documented = [document["components"]["schemas"][name] for name in names]
    for keys in SEED_RESULT_KEYS:
        assert any(keys <= set(schema.get("properties", {})) for schema in documented), keys


def test_each_named_start_route_documents_its_own_echo() -> None:
    document = create_app().openapi()
    sms = success_schema(document, document["paths"]["/api/tasks/notifications/sms"]["post"])
    assert sms is not None and "phone" in sms["properties"] and "lot_id" not in sms["properties"]
