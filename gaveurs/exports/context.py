"""What every export needs to publish a file: where, for which task and run, at which time.

The whole-export functions in documents.py and tables.py take an `ExportContext`; the activity layer builds one
from its settings and the workflow's info (task id = workflow id, run id, and the workflow's clock as the
generation time, so a retry of the same run rewrites identical bytes under the same name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from gaveurs.artifact_records import ArtifactMeta, IndexedArtifactWriter, open_indexed_writer
from gaveurs.artifacts import ArtifactBackend, run_path
from gaveurs.reports.layout import ProgressCallback, as_utc
from gaveurs.settings import Settings


@dataclass(frozen=True)
class ExportContext:
    engine: Engine
    store: ArtifactBackend
    settings: Settings
    task_id: str
    run_id: str
    generated_at: datetime
    on_progress: ProgressCallback | None = None
    # Called before each file of this run is published (see IndexedArtifactWriter).
    before_publish: Callable[[], None] | None = None

    @property
    def stamp(self) -> datetime:
        return as_utc(self.generated_at)

    def progress(self, percent: int, stage: str) -> None:
        if self.on_progress is not None:
            self.on_progress(percent, stage)

    def open_artifact(
        self, alias_path: str, *, kind: str, content_type: str, lot_id: int | None = None
    ) -> IndexedArtifactWriter:
        """A writer for this run's own file; the run-less `alias_path` then serves the newest run's file."""
        meta = ArtifactMeta(
            kind=kind,
            content_type=content_type,
            task_id=self.task_id,
            run_id=self.run_id,
            lot_id=lot_id,
            created_at=self.stamp,
            expires_at=self.stamp + timedelta(days=self.settings.artifact_retention_days),
            alias_path=alias_path,
        )
        return open_indexed_writer(
            self.store, self.engine, run_path(alias_path, self.run_id), meta, self.before_publish
        )


def day_tag(day: date | datetime) -> str:
    return f"{day:%Y%m%d}"


def url_of(path: str) -> str:
    return f"/exports/{path}"
