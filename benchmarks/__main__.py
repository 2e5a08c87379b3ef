"""Run the benchmarks, triggersqs beside the tutorial's naive approach, and print the tables.

    .venv/bin/python -m benchmarks                 # everything (several minutes)
    .venv/bin/python -m benchmarks --runs 3        # three full runs, medians with their spread
    .venv/bin/python -m benchmarks --quick         # a smoke run: tiny sizes, seconds
    .venv/bin/python -m benchmarks --sections cold,read

Prints Markdown tables (and the targets of issues 6 and 15, each with its measured figure), writes
every figure as JSON to benchmarks/results/, and draws the read-latency chart (a full run draws
docs/benchmarks-read-latency.png; a quick run draws into benchmarks/results/).

With --runs N (N > 1) the runs go in turn, each printed and saved as one run is (its JSON named
-run1, -run2, ...); then every table again over the runs, each figure as its median with its
spread, `12.1 (11.8-12.9)` (min-max), and the targets over the runs: a target is met only when
its median meets it. The whole set goes to runs-<stamp>.json and runs-latest.json (quick:
quick-runs-<stamp>.json, quick-runs.json); the chart is drawn from the last run.

Exit status: 0 when every section ran (a target missed is a finding, not a failure), 1 when a
section of any run failed (its table says FAILED, stderr names it and its run; the other
sections' figures are saved, and the tables over the runs combine the runs that succeeded).
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

from benchmarks import runs, targets
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


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked: known sections, at least one run."""
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
        "--runs",
        type=int,
        metavar="N",
        default=1,
        help="how many full runs in turn (default 1); with more than one, every table and target"
        " is printed again over the runs: the median with its spread (min-max), a target met"
        " when its median meets it",
    )
    parser.add_argument(
        "--no-install-wrk",
        action="store_true",
        help="never apt-get install wrk (a full run tries when wrk is missing and it is root)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--chart", type=Path, default=None, help="where the PNG chart goes")
    args = parser.parse_args(argv)
    args.sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, not {args.runs}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run (as many times as asked), print, save; over several runs, the combined figures too."""
    args = parse(argv)
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
    started, stamp = time.perf_counter(), _stamp()
    args.results.mkdir(parents=True, exist_ok=True)
    done: list[runs.Run] = []
    for index in range(1, args.runs + 1):
        if args.runs > 1:
            print(f"## Run {index} of {args.runs}\n", flush=True)
        done.append(one_run(plan, args))
        kind = "quick" if args.quick else "full"
        name = f"{kind}-{stamp}-run{index}.json" if args.runs > 1 else f"{kind}-{_stamp()}.json"
        _save(done[-1].report, args.results, name, "quick.json" if args.quick else "latest.json")
        print(f"Results: {args.results / name}\n", flush=True)
    if args.runs > 1:
        print(f"## Over {args.runs} runs\n")
        combined, report = runs.over(done)
        print("\n\n".join(table.markdown() for table in combined) + "\n", flush=True)
        name = f"{'quick-' if args.quick else ''}runs-{stamp}.json"
        _save(report, args.results, name, "quick-runs.json" if args.quick else "runs-latest.json")
        print(f"Total: {time.perf_counter() - started:.0f} s over {args.runs} runs")
        print(f"Results over the runs: {args.results / name}")
    read = [each.tables["read_api"] for each in done if "read_api" in each.tables]
    if read and "failed" not in read[-1].data:
        from benchmarks.chart import read_latency_chart

        chart = args.chart or (args.results / "read-latency.png" if args.quick else CHART)
        label = f"{about['cpus']} CPUs, {about['cpu']}, Python {about['python']}"
        read_latency_chart(read[-1].data["chart"], chart, machine=label)
        print(f"Chart: {chart}")
    failed = [
        key if args.runs == 1 else f"{key} (run {index})"
        for index, each in enumerate(done, 1)
        for key, table in each.tables.items()
        if "failed" in table.data
    ]
    if failed:
        print(f"benchmarks: failed sections: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def one_run(plan: Plan, args: argparse.Namespace) -> runs.Run:
    """One full run of the chosen sections, as they print: its tables, targets and JSON report."""
    about = machine()
    started = time.perf_counter()
    install_wrk = not args.quick and not args.no_install_wrk
    tables = run(plan, args.sections, quick=args.quick, install_wrk=install_wrk)
    found = targets.targets(tables, plan)
    goal = targets.table(found)
    print(goal.markdown() + "\n")
    elapsed = time.perf_counter() - started
    print(f"Total: {elapsed:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")
    report = {
        "machine": about,
        "quick": args.quick,
        "sections": list(args.sections),
        "seconds": elapsed,
        "tables": {key: table.as_json() for key, table in tables.items()},
        "targets": goal.as_json(),
        "markdown": "\n\n".join(t.markdown() for t in [*tables.values(), goal]),
    }
    return runs.Run(tables, found, report)


def _save(report: dict[str, Any], results: Path, *names: str) -> None:
    """Write ``report`` as JSON under each of ``names`` in ``results``."""
    for name in names:
        (results / name).write_text(json.dumps(report, indent=1, default=str))


def _stamp() -> str:
    """Now, for the names of result files."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


if __name__ == "__main__":
    sys.exit(main())
