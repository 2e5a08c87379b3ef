"""What a run left behind, read without the product's code: the workers' JSON logs added up,
and a SQLite store file's row counts."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LogTally:
    """What the workers' JSON logs say about every batch they handled."""

    outcomes: Counter[str]
    """Records per outcome over every "batch processed" line (stored, duplicate, ...)."""
    whole_batch_failures: int
    """Batches the poller failed as a whole (the handler raised)."""
    reasons: Counter[str]
    """Why records were returned to the queue, from the per-record warning lines."""
    tracebacks: int
    stored_ids: Counter[str]
    """How often each message id was logged stored (needs TRIGGERSQS_LOG_LEVEL=DEBUG)."""


def tally_logs(workdir: Path) -> LogTally:
    """Add up every worker log in ``workdir``."""
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    stored_ids: Counter[str] = Counter()
    whole = tracebacks = 0
    for path in sorted(workdir.glob("worker-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if "Traceback" in line:
                tracebacks += 1
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed process may be cut short
            message = entry.get("message")
            if message == "batch processed":
                for outcome in ("stored", "duplicate", "rejected", "failed"):
                    outcomes[outcome] += int(entry.get(outcome, 0))
            elif message == "batch failed as a whole":
                whole += 1
            elif message == "record stored":
                stored_ids[str(entry["message_id"])] += 1
            elif entry.get("returned_to_queue") is True and entry.get("reason"):
                reasons[str(entry["reason"])[:60]] += 1
    return LogTally(outcomes, whole, reasons, tracebacks, stored_ids)


def sqlite_counts(path: Path) -> tuple[int, int]:
    """(records, rejected) in a SQLite store file, read without the store's code."""
    if not path.exists():
        return 0, 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        records = connection.execute("SELECT count(*) FROM records").fetchone()[0]
        rejected = connection.execute("SELECT count(*) FROM rejected").fetchone()[0]
    except sqlite3.OperationalError:
        return 0, 0  # the schema is not there yet
    finally:
        connection.close()
    return int(records), int(rejected)


def stored_at_least(path: Path, count: int) -> bool:
    """True once the SQLite store at ``path`` holds ``count`` records or more."""
    return sqlite_counts(path)[0] >= count
