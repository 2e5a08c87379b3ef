"""How client commands find a running ``triggersqs dev``: a small state file in its folder.

``dev`` writes ``.triggersqs-dev.json`` into the folder it runs in once it is ready (its pid, SQS
endpoint, queue URLs, region and API URL) and removes it when it stops. ``send``, ``records`` and
any later client command, run from the same folder, read it when no flag or environment variable
names the endpoints (cli/targets.py keeps that precedence).

Why a file in the working folder: it needs no daemon, no port scan and no fixed port, it follows
the user's own notion of "this project" (two checkouts run two stacks), and a stale file is easy to
spot (its pid is gone). It is kept safe: it holds addresses only, never a key or a credential; it
is written whole (a temporary file renamed over it) so a reader never sees half of it; and it is
ignored when its pid is not alive, when another user owns it, or when it does not parse.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATE_FILE = ".triggersqs-dev.json"


@dataclass(frozen=True, slots=True)
class DevState:
    """Where a running ``dev`` stack is (addresses only: nothing here is a secret)."""

    pid: int
    sqs_endpoint: str
    queue_url: str
    dlq_url: str
    region: str
    api_url: str


def write_state(folder: Path, state: DevState) -> Path:
    """Write ``state`` into ``folder`` atomically; returns the file's path."""
    path = folder / STATE_FILE
    descriptor, temporary = tempfile.mkstemp(prefix=STATE_FILE, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(asdict(state), file, indent=2)
            file.write("\n")
        Path(temporary).chmod(0o644)  # addresses only: readable, like any project file
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def remove_state(folder: Path, pid: int) -> None:
    """Remove the state file if it is still this process's (a later ``dev`` may own it now)."""
    found = _load(folder / STATE_FILE)
    if found is not None and found.pid == pid:
        (folder / STATE_FILE).unlink(missing_ok=True)


def read_state(folder: Path) -> DevState | None:
    """The running ``dev`` stack of ``folder``; None when there is none (or its file is stale)."""
    path = folder / STATE_FILE
    try:
        info = path.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None  # someone else's file could point our messages anywhere
    state = _load(path)
    return state if state is not None and _alive(state.pid) else None


def _load(path: Path) -> DevState | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    values = {field.name: data.get(field.name) for field in fields(DevState)}
    if not isinstance(values["pid"], int) or isinstance(values["pid"], bool) or values["pid"] < 1:
        return None
    urls = ("sqs_endpoint", "queue_url", "dlq_url", "api_url")
    if not all(isinstance(values[name], str) for name in (*urls, "region")):
        return None
    if not all(str(values[name]).startswith(("http://", "https://")) for name in urls):
        return None
    return DevState(**values)  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but not ours to signal
    except OSError:
        return False
    return True
