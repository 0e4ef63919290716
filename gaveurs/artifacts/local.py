"""The artifact store on a local (or mounted) directory: atomic writes by temp file + fsync + rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from gaveurs.artifacts.backend import ArtifactWriter, StoredFile
from gaveurs.artifacts.paths import UnsafeArtifactPath, check_name, check_relative_path

TEMP_PREFIX = ".tmp-"
STAGING_DIR = ".staging"


class LocalArtifactWriter(ArtifactWriter):
    """Writes into a hidden temp file beside the target; commit fsyncs it, renames it, fsyncs the directory."""

    def __init__(self, path: str, target: Path) -> None:
        super().__init__(path)
        self._target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f"{TEMP_PREFIX}{target.name}-")
        self._tmp = Path(tmp_name)
        self._file = os.fdopen(fd, "wb")

    def _put(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def _publish(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self._target)
        # The rename is durable only once the directory entry is on disk too.
        directory = os.open(self._target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _discard(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class LocalStagingArea:
    def __init__(self, directory: Path, prefix: str) -> None:
        self.directory = directory
        self._prefix = prefix

    def open_writer(self, name: str) -> LocalArtifactWriter:
        return LocalArtifactWriter(f"{self._prefix}/{check_name(name)}", self.directory / name)

    def open_reader(self, name: str) -> BinaryIO:
        return (self.directory / check_name(name)).open("rb")

    def exists(self, name: str) -> bool:
        return (self.directory / check_name(name)).is_file()

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class LocalArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, relative: str) -> Path:
        """The file behind a public relative path; refuses anything that would land outside the store."""
        target = (self.root / check_relative_path(relative)).resolve()
        # Symlinks planted inside the store are followed by resolve(); where they lead must still be inside.
        if not target.is_relative_to(self.root):
            raise UnsafeArtifactPath(f"artifact path escapes the store: {relative!r}")
        return target

    def open_writer(self, relative: str) -> LocalArtifactWriter:
        return LocalArtifactWriter(check_relative_path(relative).as_posix(), self.resolve(relative))

    def write(self, relative: str, content: bytes) -> StoredFile:
        """Write a whole file atomically (temp file + rename): readers never see half a file."""
        with self.open_writer(relative) as writer:
            writer.write(content)
            return writer.commit()

    def open_reader(self, relative: str) -> BinaryIO:
        return self.resolve(relative).open("rb")

    def exists(self, relative: str) -> bool:
        return self.resolve(relative).is_file()

    def delete(self, relative: str) -> bool:
        """Remove the file if present; True when something was removed."""
        target = self.resolve(relative)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def staging(self, key: str) -> LocalStagingArea:
        directory = self.root / STAGING_DIR / check_name(key)
        return LocalStagingArea(directory, f"{STAGING_DIR}/{key}")

    def sweep_abandoned(self, older_than: datetime) -> list[str]:
        """Delete temp files and staging directories last touched before `older_than`.

        A writer's temp file outlives its task only when the process died mid-write (SIGKILL, host loss);
        staging directories outlive theirs when a batch was abandoned. Nothing public is touched.
        """
        cutoff = older_than.timestamp()
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for tmp in self.root.rglob(f"{TEMP_PREFIX}*"):
            if tmp.is_file() and not tmp.is_symlink() and tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                removed.append(tmp.relative_to(self.root).as_posix())
        staging = self.root / STAGING_DIR
        if staging.is_dir():
            for area in staging.iterdir():
                newest = max((p.stat().st_mtime for p in area.rglob("*")), default=area.stat().st_mtime)
                if newest < cutoff:
                    shutil.rmtree(area, ignore_errors=True)
                    removed.append(area.relative_to(self.root).as_posix())
        return removed

    def probe(self) -> None:
        """Prove the store is writable and readable (used by the health check)."""
        stored = self.write("health/probe.txt", b"ok")
        if self.resolve(stored.path).read_bytes() != b"ok":
            raise OSError("artifact store read back different bytes")


# The name the rest of the code base (API, health check) has always used for the local store.
ArtifactStore = LocalArtifactStore
