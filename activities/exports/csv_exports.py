"""Activities of the three row exports: gavage meals, SQAL samples, consumer feedback, each streamed to CSV.

Each one checks its filters and counts the rows before any file is opened (InvalidDateRange, LotNotFound,
EmptySelection), then streams the rows chunk by chunk, heartbeating its progress after each chunk.
"""

from __future__ import annotations

from temporalio import activity

from activities.exports._runs import export_context
from gaveurs.contracts.export_runs import ConsumerFeedbacksCsvRequest, GavageCsvRequest, SqalCsvRequest
from gaveurs.contracts.exports import CsvExportResult
from gaveurs.exports.tables import (
    export_consumer_feedbacks_csv,
    export_gavage_data_csv,
    export_sqal_data_csv,
)


@activity.defn(name="write_gavage_csv")
def write_gavage_csv(request: GavageCsvRequest) -> CsvExportResult:
    return export_gavage_data_csv(export_context(request.run), request.params)


@activity.defn(name="write_sqal_csv")
def write_sqal_csv(request: SqalCsvRequest) -> CsvExportResult:
    return export_sqal_data_csv(export_context(request.run), request.params)


@activity.defn(name="write_feedbacks_csv")
def write_feedbacks_csv(request: ConsumerFeedbacksCsvRequest) -> CsvExportResult:
    return export_consumer_feedbacks_csv(export_context(request.run), request.params)
