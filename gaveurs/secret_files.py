"""Dev-only secrets generated on first use (certificate signing key, e-mail pseudonym key).

Production sets the secret in the environment; without it, a development machine gets a random one in a file
under `var/` (ignored by git) with mode 0600. Two workers starting at once must end up with the same key, so the
file appears atomically: written to a private temp file, then hard-linked into place (`link` fails if another
process got there first, and we read theirs).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


class InsecureSecretFile(PermissionError):
    """A secret file that other users can read: refuse it rather than sign with a leaked key."""


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureSecretFile(
            f"{path} is readable by other users (mode {oct(mode & 0o777)}): chmod 600 it"
        )
    return path.read_bytes()


def read_or_create_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret stored at `path`, created with `make()` (mode 0600) if the file does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(make())
            tmp.flush()
            os.fsync(tmp.fileno())
        # If another process created it first, everyone uses that one.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)
    return _read(path)
