"""What any artifact backend offers: streaming atomic writes, streaming reads, deletes.

The local directory (local.py) is the only backend today; an S3-compatible one will sit beside it. The
interface is shaped so that it maps onto object storage without pretending: a writer is a multipart upload
(commit = complete it, abort = abort it), there is no rename visible to callers, and nothing returns a local
`Path` (only the local backend's `resolve`, used by the local download route, does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import BinaryIO, Protocol, Self


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative, POSIX separators
    size_bytes: int
    sha256: str


class WriterClosed(RuntimeError):
    """Writing to, or committing, a writer that was already committed or aborted."""


class ArtifactWriter:
    """A file being written: chunks go in, size and sha256 are computed on the way, nothing is visible until
    `commit()`. Used as a context manager, leaving the block without committing (or with an exception) aborts,
    so no half-written file is ever left behind.

    Backends subclass it and implement `_put`, `_publish` and `_discard`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._hash = hashlib.sha256()
        self._size = 0
        self._state = "open"  # open → committed | aborted

    # -- the stream API (reportlab, csv, zipfile write to this) -------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._state != "open":
            raise WriterClosed(f"{self.path}: writer already {self._state}")
        chunk = bytes(data)
        self._put(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._size

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        # zipfile then writes data descriptors instead of seeking back: the bytes stream out in one pass.
        return False

    def flush(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return self._state != "open"

    # -- outcome -----------------------------------------------------------------------------------------
    def commit(self) -> StoredFile:
        """Make the file visible under its path, durably, and describe it."""
        if self._state != "open":
            raise WriterClosed(f"{self.path}: writer already {self._state}")
        try:
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._state = "committed"
        return StoredFile(path=self.path, size_bytes=self._size, sha256=self._hash.hexdigest())

    def abort(self) -> None:
        """Throw the partial file away; safe to call more than once."""
        if self._state == "open":
            self._state = "aborted"
            self._discard()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.abort()

    # -- backend hooks -----------------------------------------------------------------------------------
    def _put(self, chunk: bytes) -> None:
        raise NotImplementedError

    def _publish(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        raise NotImplementedError


class StagingArea(Protocol):
    """Private scratch space of one long task (e.g. the parts of a batch export), shared by every worker that
    can reach the store, so a step resumed on another host finds the parts earlier steps wrote."""

    def open_writer(self, name: str) -> ArtifactWriter: ...
    def open_reader(self, name: str) -> BinaryIO: ...
    def exists(self, name: str) -> bool: ...
    def clear(self) -> None: ...


class ArtifactBackend(Protocol):
    def open_writer(self, relative: str) -> ArtifactWriter: ...
    def open_reader(self, relative: str) -> BinaryIO: ...
    def exists(self, relative: str) -> bool: ...
    def delete(self, relative: str) -> bool: ...
    def write(self, relative: str, content: bytes) -> StoredFile: ...
    def staging(self, key: str) -> StagingArea: ...
    def sweep_abandoned(self, older_than: datetime) -> list[str]: ...
    def probe(self) -> None: ...


def copy_stream(source: BinaryIO, target: ArtifactWriter, chunk_size: int = 1 << 20) -> Iterator[int]:
    """Copy in chunks, yielding the bytes copied so far (callers report progress or heartbeat)."""
    copied = 0
    while chunk := source.read(chunk_size):
        target.write(chunk)
        copied += len(chunk)
        yield copied
