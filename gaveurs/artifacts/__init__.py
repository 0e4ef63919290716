"""The artifact store: files tasks produce, written atomically, addressed by safe relative paths.

`ArtifactBackend` is the interface (backend.py); `LocalArtifactStore` (alias `ArtifactStore`) keeps files in a
directory. `open_store(settings)` picks the backend the settings name.
"""

from __future__ import annotations

from gaveurs.artifacts.backend import ArtifactBackend, ArtifactWriter, StagingArea, StoredFile, WriterClosed
from gaveurs.artifacts.local import ArtifactStore, LocalArtifactStore
from gaveurs.artifacts.paths import UnsafeArtifactPath, check_relative_path, run_path, run_tag
from gaveurs.settings import Settings


def open_store(settings: Settings) -> ArtifactBackend:
    """The artifact backend named by the settings (only `local` exists yet)."""
    if settings.artifact_backend == "local":
        return LocalArtifactStore(settings.artifact_dir)
    raise ValueError(f"unknown artifact backend {settings.artifact_backend!r}")


__all__ = [
    "ArtifactBackend", "ArtifactStore", "ArtifactWriter", "LocalArtifactStore", "StagingArea", "StoredFile",
    "UnsafeArtifactPath", "WriterClosed", "check_relative_path", "open_store", "run_path", "run_tag",
]  # fmt: skip
