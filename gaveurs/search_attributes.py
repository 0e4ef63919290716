"""Our custom search attributes: what `temporal workflow list --query` and the Web UI filter on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TASK_NAME = SearchAttributeKey.for_keyword("TaskName")
QUEUE = SearchAttributeKey.for_keyword("Queue")
LOT_ID = SearchAttributeKey.for_int("LotId")
SITE_CODE = SearchAttributeKey.for_keyword("SiteCode")

REGISTRATION: dict[str, IndexedValueType.ValueType] = {
    TASK_NAME.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    QUEUE.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    LOT_ID.name: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    SITE_CODE.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
}


def task_attributes(
    task_name: str, queue: str, extra: Sequence[SearchAttributePair[Any]] = ()
) -> TypedSearchAttributes:
    """`TaskName` and `Queue`, which every task and schedule carries, plus its own."""
    return TypedSearchAttributes(
        [SearchAttributePair(TASK_NAME, task_name), SearchAttributePair(QUEUE, queue), *extra]
    )


def lot_and_site(lot_id: int | None = None, site_code: str | None = None) -> list[SearchAttributePair[Any]]:
    """The `LotId` / `SiteCode` pairs a task carries, leaving out what it does not know."""
    pairs: list[SearchAttributePair[Any]] = []
    if lot_id is not None:
        pairs.append(SearchAttributePair(LOT_ID, lot_id))
    if site_code is not None:
        pairs.append(SearchAttributePair(SITE_CODE, site_code))
    return pairs
