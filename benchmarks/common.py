"""What every benchmark section shares: events, a Lambda context, statistics, result tables."""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.events import http_event, sqs_event
from tests.support.lambda_context import FakeLambdaContext

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:triggersqs"
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's response, in bytes."""
DASH = "\u2013"
"""The en dash between the least and the greatest of a figure over runs (min to max)."""


CONTEXT = FakeLambdaContext(
    remaining_ms=900_000,  # always 15 minutes left: no benchmark batch is cut short
    aws_request_id="benchmark",
    function_name="triggersqs-benchmark",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:triggersqs-benchmark",
)
"""The Lambda context the handlers read: a request id and a generous time budget."""


def message_body(n: int) -> str:
    """The n-th valid body: what a producer sends (``json.dumps`` of the two fields)."""
    return json.dumps({"command": "SetStatus", "client_id": f"client-{n:08d}"})


def sqs_batch(count: int, start: int = 0) -> dict[str, Any]:
    """A standard-queue SQS event of ``count`` valid messages with fresh message ids."""
    return sqs_event(*(message_body(start + n) for n in range(count)), queue_arn=QUEUE_ARN)


def rest_get(path: str = "/records", query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST (v1) GET: the event shape both handlers accept."""
    return http_event("api_gateway_rest_v1", path, query=query)


def http_api_get(path: str = "/records", query: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP API (payload 2.0) GET: the shape Function URLs and HTTP APIs send."""
    return http_event("http_api_v2", path, query=query)


def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (``pct`` in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Table:
    """One result table: what was measured, in rows of cells, with notes under it."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    """Raw figures for the JSON results and the target checks."""

    def markdown(self) -> str:
        """The table as GitHub Markdown, numbers rounded for reading."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append(
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.columns))) + "|"
        )
        lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """Everything, for benchmarks/results/."""
        return {
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
            "data": self.data,
        }


def cell(value: Any) -> str:  # noqa: ANN401 - any printable cell
    """A readable cell: 3 significant digits for small floats, thousands separators for large."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = "n/a"
    elif isinstance(value, bool):
        text = "yes" if value else "**no**"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
        text = f"{value:,.{digits}f}"
    else:
        text = str(value)
    return text


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without TRIGGERSQS_, BASELINE_ or AWS_ settings, plus ``extra``."""
    prefixes = ("TRIGGERSQS_", "BASELINE_", "AWS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def chunks(total: int, size: int) -> Iterable[range]:
    """``range(total)`` cut into consecutive ranges of at most ``size``."""
    for start in range(0, total, size):
        yield range(start, min(start + size, total))
