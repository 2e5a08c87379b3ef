"""The issues' targets: each a figure, a threshold and a direction, checked per run or over runs.

A target is met over several runs only when the median of its figure meets it, so one lucky or
unlucky run cannot decide it (issue 15).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from benchmarks.common import DASH, Table, median
from benchmarks.plan import Plan

Direction = Literal["<=", ">=", "<"]
COMPARE: dict[Direction, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Target:
    """One target: what a run measured against its threshold, and how the figure reads."""

    name: str
    value: float
    direction: Direction
    threshold: float
    spec: str = ".2f"
    """The format spec of the figure (as in ``format(value, spec)``)."""
    unit: str = ""
    measured: str | None = None
    """The single run's text when it says more than the figure (a p99, the CPU-time ratio)."""

    def meets(self, value: float) -> bool:
        """Whether ``value`` meets this target's threshold."""
        return COMPARE[self.direction](value, self.threshold)

    @property
    def met(self) -> bool:
        """Whether this run's figure meets the target."""
        return self.meets(self.value)

    def number(self, value: float) -> str:
        """``value`` formatted as this target's figures are, without the unit."""
        return format(value, self.spec)

    def figure(self, value: float) -> str:
        """``value`` formatted as this target's figures are, with the unit."""
        return f"{self.number(value)} {self.unit}".rstrip()

    @property
    def text(self) -> str:
        """What the single run's table shows as measured."""
        return self.measured if self.measured is not None else self.figure(self.value)


def targets(tables: Mapping[str, Table], plan: Plan) -> list[Target]:
    """Issues 6 and 15's targets, each with what this run measured (failed sections have none)."""
    found: list[Target] = []
    tables = {key: value for key, value in tables.items() if "failed" not in value.data}
    if "cold_start" in tables:
        data = tables["cold_start"].data
        found += [
            Target(
                "SQS-path cold start <= 0.35 x baseline", data["sqs_ratio"], "<=", 0.35, ".3f", "x"
            ),
            Target(
                "HTTP-path cold start <= 0.5 x baseline (issue 15)",
                data["http_ratio"],
                "<=",
                0.5,
                ".3f",
                "x",
            ),
        ]
    if "batch" in tables:
        found += _batch(tables["batch"].data["us_per_record"])
    if "read_api" in tables:
        found += _read(tables["read_api"].data, plan)
    if "served" in tables:
        served = tables["served"].data
        best = served["best_page_rps"]
        found.append(
            Target(
                f"serve: >= 1,500 requests/s for the page at {plan.served_records:,} records",
                best,
                ">=",
                1500,
                ",.0f",
                "requests/s",
                f"{best:,.0f} requests/s (p99 {served['best_page_p99_ms']:.1f} ms)",
            )
        )
    return found


def _batch(per: dict[str, dict[str, float]]) -> list[Target]:
    """The batch targets: speed against the tutorial's (µs per record, baseline over ours)."""
    base = per["baseline"]
    return [
        Target(
            f"batch {int(size):,}, synchronous={setting}: >= {at_least} x baseline speed",
            base[size] / per[f"SQLite synchronous={setting}"][size],
            ">=",
            at_least,
            ".2f",
            "x",
        )
        for size, setting, at_least in (("10", "normal", 1), ("1000", "full", 3))
        if size in base
    ]


def _read(data: dict[str, Any], plan: Plan) -> list[Target]:
    """The read API targets: latency at the largest size, flatness, against baseline, memory."""
    largest, sizes = data["largest"], plan.read_sizes
    found = [
        Target(
            f"100-record page at {largest:,} records < 2 ms median (in process)",
            data["largest_median_ms"],
            "<",
            2,
            ".2f",
            "ms",
        ),
        Target(
            f"flat from {sizes[0]:,} to {sizes[-1]:,} records (max/min median <= 1.5)",
            data["flatness"],
            "<=",
            1.5,
            measured=f"{data['flatness']:.2f} (CPU time: {data['cpu_flatness']:.2f})",
        ),
    ]
    at = data["results"].get("100000")
    if at and at["baseline"]:
        ratio = median(at["baseline"]["times"]["first"]) / median(at["ours"]["times"]["first"])
        found.append(
            Target("at 100,000 records >= 300 x faster than baseline", ratio, ">=", 300, ".0f", "x")
        )
    peaks = [r["ours"]["tracemalloc_peak"] for r in data["results"].values()]
    rss = [r["ours"]["max_rss"] for r in data["results"].values()]
    found.append(
        Target(
            "peak memory independent of the number of records",
            max(max(peaks) / min(peaks), max(rss) / min(rss)),
            "<=",
            1.5,
            ".2f",
            "max/min",
            f"heap per request {min(peaks) / 1e6:.2f}-{max(peaks) / 1e6:.2f} MB,"
            f" max RSS {min(rss) / 1e6:.0f}-{max(rss) / 1e6:.0f} MB",
        )
    )
    return found


def table(found: Sequence[Target]) -> Table:
    """One run's targets as a table: each with the text it measured and whether it holds."""
    result = Table("targets", "Targets (ratios from this run)", ["target", "measured", "met"])
    result.rows = [[target.name, target.text, target.met] for target in found]
    result.data = {"targets": [asdict(target) for target in found]}
    return result


def over_runs(per_run: Sequence[Sequence[Target]]) -> Table:
    """The targets over several runs: met only when the median over the runs meets it."""
    count = len(per_run)
    result = Table(
        "targets_over_runs",
        f"Targets over {count} runs (met: the median over the runs meets the target)",
        ["target", "median", "spread", "met"],
    )
    names = list(dict.fromkeys(target.name for found in per_run for target in found))
    for name in names:
        by_run = [next((t for t in found if t.name == name), None) for found in per_run]
        values = [t.value for t in by_run if t is not None]
        first = next(t for t in by_run if t is not None)
        middle = median(values)
        each = ", ".join(DASH if t is None else first.number(t.value) for t in by_run)
        spread = f"{first.number(min(values))}{DASH}{first.number(max(values))} (runs: {each})"
        result.rows.append([name, first.figure(middle), spread, first.meets(middle)])
        result.data[name] = {
            "median": middle,
            "min": min(values),
            "max": max(values),
            "runs": [None if t is None else t.value for t in by_run],
            "direction": first.direction,
            "threshold": first.threshold,
            "met": first.meets(middle),
        }
        if len(values) < count:
            result.notes.append(
                f"{name}: measured in {len(values)} of {count} runs (its section failed in the"
                " others); the median is of those."
            )
    return result
