"""Artifact paths: which relative names the store accepts, and how a run's file is named."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The index stores paths in a String(255) column.
MAX_PATH_LENGTH = 255


class UnsafeArtifactPath(ValueError):
    """A requested path that would leave the artifact directory or name something odd."""


def check_relative_path(relative: str) -> PurePosixPath:
    """Accept only `dir/sub/name.ext` made of plain names: no `..`, no absolute paths, no hidden files.

    Hidden names are refused so the store's own temporary and staging files (`.tmp-…`, `.staging/…`) can never
    be asked for by a download.
    """
    if len(relative) > MAX_PATH_LENGTH:
        raise UnsafeArtifactPath(
            f"artifact path longer than {MAX_PATH_LENGTH} characters: {relative[:40]!r}…"
        )
    candidate = PurePosixPath(relative)
    if candidate.is_absolute() or not candidate.parts:
        raise UnsafeArtifactPath(f"not a relative artifact path: {relative!r}")
    for part in candidate.parts:
        if not _SAFE_PART.match(part):
            raise UnsafeArtifactPath(f"unsafe artifact path component {part!r} in {relative!r}")
    return candidate


def check_name(name: str) -> str:
    """One plain path component (a staging key or a part file name)."""
    if "/" in name or not _SAFE_PART.match(name):
        raise UnsafeArtifactPath(f"unsafe artifact name {name!r}")
    return name


def run_tag(run_id: str) -> str:
    """A short, file-name-safe tag of a workflow run.

    Hashed rather than truncated: run ids may be time-ordered UUIDs whose first characters are shared by every
    run started in the same minute, and a shared prefix would let two runs write the same file name.
    """
    if not run_id:
        raise ValueError("a run id is needed to name a run's file")
    return hashlib.sha256(run_id.encode()).hexdigest()[:10]


def run_path(alias_path: str, run_id: str) -> str:
    """`reports/lot_3472_complete_20260108.pdf` → `reports/lot_3472_complete_20260108_r<tag>.pdf`.

    Each run keeps its own file, so the sha256 a task returns always describes the bytes its URL serves; the
    seed's name without the tag stays an alias of the latest run (see artifact_records.resolve_artifact).
    """
    alias = check_relative_path(alias_path)
    suffix = "".join(alias.suffixes[-1:])
    stem = alias.name[: len(alias.name) - len(suffix)] if suffix else alias.name
    return check_relative_path(str(alias.with_name(f"{stem}_r{run_tag(run_id)}{suffix}"))).as_posix()
