"""Looking at the operating system's processes: what a worker left running is a fact, not a log line."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, command line) of a live process; None for a gone or zombie one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    # The command name may hold spaces and parentheses: state and parent pid follow the last ')'.
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return None if state == "Z" else (int(parent), cmdline)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := _stat(int(entry.name))) is not None and info[0] == pid:
            found.append(int(entry.name))
    return found


def computing_children(worker_pid: int) -> list[int]:
    """Processes a worker's fork server started (the fits and forests it runs), still alive."""
    servers = [p for p in children(worker_pid) if "forkserver" in ((_stat(p) or (0, ""))[1])]
    return [child for server in servers for child in children(server)]
