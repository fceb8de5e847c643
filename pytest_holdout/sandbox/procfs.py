"""What /proc says about a process: its children, and the ports its network listens on."""

from __future__ import annotations

from pathlib import Path

_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def children(pid: int) -> list[int]:
    """``pid``'s children (empty when it has none, or has exited)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def descendants(pid: int) -> list[int]:
    """``pid``'s children, theirs, and so on, parents before children."""
    found: list[int] = []
    pending = children(pid)
    while pending:
        child = pending.pop(0)
        found.append(child)
        pending.extend(children(child))
    return found


def listens(pid: int, port: int) -> bool:
    """Whether anything in ``pid``'s network namespace listens on TCP ``port``."""
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False
