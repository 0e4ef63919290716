"""The artifact store: files tasks produce, written atomically, addressed by safe relative paths."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UnsafeArtifactPath(ValueError):
    """A requested path that would leave the artifact directory or name something odd."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative, POSIX separators
    size_bytes: int
    sha256: str


def check_relative_path(relative: str) -> PurePosixPath:
    """Accept only `dir/sub/name.ext` made of plain names: no `..`, no absolute paths, no hidden files."""
    candidate = PurePosixPath(relative)
    if candidate.is_absolute() or not candidate.parts:
        raise UnsafeArtifactPath(f"not a relative artifact path: {relative!r}")
    for part in candidate.parts:
        if not _SAFE_PART.match(part):
            raise UnsafeArtifactPath(f"unsafe artifact path component {part!r} in {relative!r}")
    return candidate


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, relative: str) -> Path:
        target = (self.root / check_relative_path(relative)).resolve()
        # Belt and braces against symlinks planted inside the store.
        if not target.is_relative_to(self.root):
            raise UnsafeArtifactPath(f"artifact path escapes the store: {relative!r}")
        return target

    def write(self, relative: str, content: bytes) -> StoredFile:
        """Write atomically (temp file + rename) so readers never see half a file and retries overwrite."""
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(
            path=check_relative_path(relative).as_posix(),
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )

    def probe(self) -> None:
        """Prove the store is writable and readable (used by the health check)."""
        stored = self.write("health/probe.txt", b"ok")
        if self.resolve(stored.path).read_bytes() != b"ok":
            raise OSError("artifact store read back different bytes")
