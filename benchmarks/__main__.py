"""Run the benchmarks, triggersqs beside the tutorial's naive approach, and print the tables.

    .venv/bin/python -m benchmarks                 # everything (several minutes)
    .venv/bin/python -m benchmarks --quick         # a smoke run: tiny sizes, seconds
    .venv/bin/python -m benchmarks --sections cold,read

Prints Markdown tables (and the targets of issue 6, each with its measured ratio), writes every
figure as JSON to benchmarks/results/, and draws the read-latency chart (a full run draws
docs/benchmarks-read-latency.png; a quick run draws into benchmarks/results/).

Exit status: 0 when every section ran (a target missed is a finding, not a failure), 1 when a
section failed (its table says FAILED, stderr names it; the other sections' figures are saved).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import targets
from benchmarks.common import ROOT, Table
from benchmarks.plan import FULL, QUICK, Plan

SECTIONS = ("cold", "batch", "read", "served", "e2e")
RESULTS = ROOT / "benchmarks" / "results"
CHART = ROOT / "docs" / "benchmarks-read-latency.png"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def e2e_table(messages: int) -> Table:
    """Section 5, from benchmarks.end_to_end."""
    from benchmarks.end_to_end import run

    rows = run(messages)
    table = Table(
        "end_to_end",
        "5. End to end: from `send` to stored (SQLite), through real processes",
        ["setup", "messages", "seconds", "messages/s"],
    )
    table.rows = [[r["setup"], r["messages"], r["seconds"], r["msg_per_s"]] for r in rows]
    table.data = {"rows": rows}
    table.notes = [
        "The tutorial has no local path from a queue to its handler (it needs AWS), so this"
        " section has no baseline. benchmarks/end_to_end.py has the details.",
    ]
    return table


def run(
    plan: Plan, sections: tuple[str, ...], *, quick: bool, install_wrk: bool
) -> dict[str, Table]:
    """Run the chosen sections; each table as it is ready is printed."""
    from benchmarks import batch, cold_start, read_api, served
    from benchmarks.datasets import Datasets

    tables: dict[str, Table] = {}

    def section(key: str, title: str, measure: Callable[[], Table]) -> None:
        started = time.perf_counter()
        try:
            table = measure()
        except Exception as exc:  # noqa: BLE001 - one failed section must not lose the others
            table = Table(key, f"{title}: FAILED", ["error"], [[f"{type(exc).__name__}: {exc}"]])
            table.data["failed"] = traceback.format_exc()
            print(table.data["failed"], file=sys.stderr, flush=True)
        table.data["seconds"] = time.perf_counter() - started
        tables[table.key] = table
        print(table.markdown() + "\n", flush=True)

    with tempfile.TemporaryDirectory(prefix="triggersqs-bench-") as tmp:
        datasets = Datasets(Path(tmp))
        if "cold" in sections:
            section("cold_start", "1. Cold start", lambda: cold_start.run(plan.cold_runs))
        if "batch" in sections:
            budget = batch.Budget(
                plan.batch_seconds, plan.batch_min, plan.batch_max, plan.batch_records
            )
            section(
                "batch",
                "2. Batch processing",
                lambda: batch.run(plan.batch_sizes, budget, dynamodb=not quick),
            )
        if "read" in sections:
            section(
                "read_api",
                "3. Read API",
                lambda: read_api.run(
                    datasets,
                    plan.read_sizes,
                    calls=plan.read_calls,
                    budget_s=plan.read_seconds,
                    baseline_budget_s=plan.baseline_seconds,
                    rounds=plan.read_rounds,
                ),
            )
        if "served" in sections:
            section(
                "served",
                "4. Served API",
                lambda: served.run(
                    datasets.sqlite(plan.served_records),
                    seconds=plan.served_seconds,
                    workers=plan.served_workers,
                    install_wrk=install_wrk,
                ),
            )
        if "e2e" in sections:
            section("end_to_end", "5. End to end", lambda: e2e_table(plan.e2e_messages))
        if datasets.fill_seconds:
            for table in tables.values():
                table.data.setdefault("fill_seconds", datasets.fill_seconds)
    return tables


def main(argv: list[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, seconds")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--no-install-wrk",
        action="store_true",
        help="never apt-get install wrk (a full run tries when wrk is missing and it is root)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--chart", type=Path, default=None, help="where the PNG chart goes")
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    plan = QUICK if args.quick else FULL
    about = machine()
    print(
        f"Machine: {about['cpus']} CPUs ({about['cpu']}), {about['memory']} RAM,"
        f" Python {about['python']}, {about['system']};"
        f" load average {', '.join(map(str, about['load_average']))} at the start"
        + (" — quick smoke run, figures not meaningful" if args.quick else "")
        + "\n",
        flush=True,
    )
    started = time.perf_counter()
    tables = run(
        plan, sections, quick=args.quick, install_wrk=not args.quick and not args.no_install_wrk
    )
    goal = targets.table(targets.targets(tables, plan))
    print(goal.markdown() + "\n")
    elapsed = time.perf_counter() - started
    print(f"Total: {elapsed:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "machine": about,
        "quick": args.quick,
        "sections": list(sections),
        "seconds": elapsed,
        "tables": {key: table.as_json() for key, table in tables.items()},
        "targets": goal.as_json(),
        "markdown": "\n\n".join(t.markdown() for t in [*tables.values(), goal]),
    }
    name = f"{'quick' if args.quick else 'full'}-{stamp}.json"
    for path in (
        args.results / name,
        args.results / ("quick.json" if args.quick else "latest.json"),
    ):
        path.write_text(json.dumps(report, indent=1, default=str))
    if "read_api" in tables:
        from benchmarks.chart import read_latency_chart

        chart = args.chart or (args.results / "read-latency.png" if args.quick else CHART)
        label = f"{about['cpus']} CPUs, {about['cpu']}, Python {about['python']}"
        read_latency_chart(tables["read_api"].data["chart"], chart, machine=label)
        print(f"Chart: {chart}")
    print(f"Results: {args.results / name}")
    failed = [key for key, table in tables.items() if "failed" in table.data]
    if failed:
        print(f"benchmarks: failed sections: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
