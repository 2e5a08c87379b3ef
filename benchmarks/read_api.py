"""Read API: ``GET /records?limit=100`` through the Lambda HTTP path as the store grows.

For each size, a fresh process (so its peak memory is its own) builds triggersqs's ``Runtime``
on a SQLite file of that many records and times ``handle_http`` on an HTTP API (v2) event: the
first page, and a deep page (the last 100 records, through a cursor). Another process does the
same with the tutorial's handler on a log of as many lines (a REST v1 event: its only shape),
which answers every record at once: it is measured up to the first size whose response passes
Lambda's 6 MB payload limit, or takes too long, and not beyond.

Memory: ``tracemalloc``'s peak of Python allocations during one request (after warm-up), and the
process's peak resident set (``VmHWM``, which includes SQLite's page cache and the interpreter).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.common import (
    CONTEXT,
    LAMBDA_PAYLOAD_LIMIT,
    PYTHON,
    ROOT,
    Table,
    clean_env,
    http_api_get,
    median,
    percentile,
    rest_get,
)
from benchmarks.datasets import Datasets

SIZES = (1_000, 10_000, 100_000, 1_000_000)
PAGE = 100


def _timed(
    call: Callable[[], dict[str, Any]], calls: int, budget_s: float, cpu: list[float] | None = None
) -> list[float]:
    """Seconds per call: at least 3, up to ``calls``, stopping once ``budget_s`` is spent.

    ``cpu`` receives each call's CPU time in this thread (what other processes cannot inflate).
    """
    times: list[float] = []
    while len(times) < calls and (len(times) < 3 or sum(times) < budget_s):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.thread_time() - started_cpu)
    return times


def _peak_bytes(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int:
    """This process's peak resident set: Linux's ``VmHWM``, its own since its exec.

    Not ``ru_maxrss``: on Linux a child inherits its parent's at fork and keeps it across exec, so
    every child of a harness holding 300 MB reported 300 MB, whatever it used itself.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # elsewhere: the best known


def child_ours(db: str, count: int, calls: int, budget_s: float) -> dict[str, Any]:
    """In a fresh process: time the first and the deep page of triggersqs over ``db``."""
    from triggersqs.bootstrap import build_runtime
    from triggersqs.core.pagination import Entry, Page
    from triggersqs.core.ports import RecordFilter
    from triggersqs.core.service import RecordService
    from triggersqs.settings import Settings

    app = build_runtime(Settings.build(store="sqlite", sqlite_path=db, log_level="WARNING"))
    context = CONTEXT
    rss_idle = max_rss_bytes()

    # A cursor to the last page, made the way the API makes them (same scope, same secret).
    scope = RecordService(app.store, "sqlite").records(RecordFilter(), cursor=None, limit=1).scope
    deep_start = max(count - PAGE, 0)

    class _Key:
        cursor = str(deep_start)  # the seq of the record before the last page

    page: Page[Any] = Page([Entry(deep_start - 1, _Key())], more=True, scope=scope)
    cursor = page.cursor_after(1) if deep_start > 0 else None
    events = {
        "first": http_api_get("/records", {"limit": str(PAGE)}),
        "deep": http_api_get(
            "/records", {"limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
        ),
    }
    expected_first = {"first": "0", "deep": str(deep_start)}

    def request(kind: str) -> dict[str, Any]:
        return app.http(events[kind], context)

    sizes = {}
    for kind, event in events.items():
        response = app.http(event, context)
        body = json.loads(response["body"])
        keys = list(body["messages"])
        if (
            response["statusCode"] != 200
            or len(keys) != min(PAGE, count)
            or (keys[0] != expected_first[kind])
        ):
            raise RuntimeError(f"unexpected {kind} page: {response['statusCode']} {keys[:3]}")
        sizes[kind] = len(response["body"].encode())
    for _ in range(10):  # warm up
        request("first")
        request("deep")
    cpu: dict[str, list[float]] = {kind: [] for kind in events}
    times = {
        kind: _timed(lambda kind=kind: request(kind), calls, budget_s / 2, cpu[kind])  # type: ignore[misc]
        for kind in events
    }
    peak = max(_peak_bytes(lambda kind=kind: request(kind)) for kind in events)  # type: ignore[misc]
    return {
        "times": times,
        "cpu": cpu,
        "body_bytes": sizes,
        "tracemalloc_peak": peak,
        "max_rss": max_rss_bytes(),
        "rss_idle": rss_idle,
    }


def child_baseline(log: str, calls: int, budget_s: float) -> dict[str, Any]:
    """In a fresh process: time the tutorial's ``GET /records`` over ``log``."""
    from benchmarks.baseline import lambda_handler, sqs_handler

    sqs_handler.LOG_PATH = log
    event, context = rest_get("/records"), CONTEXT
    rss_idle = max_rss_bytes()
    response = lambda_handler.lambda_handler(event, context)
    if response["statusCode"] != 200:
        raise RuntimeError(f"baseline answered {response['statusCode']}")
    body_bytes = len(response["body"].encode())
    # What Lambda would have to return: the whole response object, as JSON.
    payload_bytes = len(json.dumps(response).encode())
    cpu: list[float] = []
    times = _timed(lambda: lambda_handler.lambda_handler(event, context), calls, budget_s, cpu)
    peak = _peak_bytes(lambda: lambda_handler.lambda_handler(event, context))
    return {
        "times": {"first": times},
        "cpu": {"first": cpu},
        "body_bytes": {"first": body_bytes},
        "payload_bytes": payload_bytes,
        "records": len(json.loads(response["body"])["messages"]),
        "tracemalloc_peak": peak,
        "max_rss": max_rss_bytes(),
        "rss_idle": rss_idle,
    }


def _spawn(args: list[str]) -> dict[str, Any]:
    finished = subprocess.run(
        [PYTHON, "-m", "benchmarks.read_api", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=ROOT,
        check=False,
    )
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"read benchmark child failed:\n{finished.stdout}{finished.stderr}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def run(
    datasets: Datasets,
    sizes: tuple[int, ...] = SIZES,
    *,
    calls: int = 1000,
    budget_s: float = 4.0,
    baseline_budget_s: float = 20.0,
    rounds: int = 4,
) -> Table:
    """Latency and memory of a 100-record page for each size, ours and the baseline's.

    triggersqs is measured in ``rounds`` rounds, each a fresh process per size in turn, so that
    a busy moment of the machine falls on every size alike rather than on one.
    """
    results: dict[int, dict[str, Any]] = {}
    stopped: str | None = None
    ours_by_size: dict[int, dict[str, Any]] = {}
    per_round = max(calls // rounds, 3)
    for _ in range(rounds):
        for count in sizes:
            db = datasets.sqlite(count)
            result = _spawn(["ours", str(db), str(count), str(per_round), str(budget_s / rounds)])
            ours_by_size[count] = _merge(ours_by_size.get(count), result)
    for count in sizes:
        ours = ours_by_size[count]
        base: dict[str, Any] | None = None
        if stopped is None:
            log = datasets.log(count)
            base = _spawn(["baseline", str(log), str(max(calls // 10, 3)), str(baseline_budget_s)])
            if base["payload_bytes"] > LAMBDA_PAYLOAD_LIMIT:
                stopped = (
                    f"at {count:,} records its response is {base['payload_bytes'] / 1e6:.1f} MB"
                    f" as Lambda returns it, over the {LAMBDA_PAYLOAD_LIMIT / 2**20:.0f} MiB"
                    " payload limit: Lambda would fail the request, so larger stores were not"
                    " measured"
                )
            elif median(base["times"]["first"]) > baseline_budget_s / 3:
                stopped = f"at {count:,} records one request took over {baseline_budget_s / 3} s"
        results[count] = {"ours": ours, "baseline": base}
    return _table(sizes, results, stopped, rounds)


def _merge(total: dict[str, Any] | None, result: dict[str, Any]) -> dict[str, Any]:
    """Two rounds' results as one: times and CPU times joined, memory at its highest."""
    if total is None:
        return result
    for key in ("times", "cpu"):
        for kind, values in result[key].items():
            total[key][kind] = total[key][kind] + values
    for key in ("tracemalloc_peak", "max_rss", "rss_idle"):
        total[key] = max(total[key], result[key])
    return total


def _ms(values: list[float], how: str) -> float:
    return (median(values) if how == "median" else percentile(values, 99)) * 1000


def _table(
    sizes: tuple[int, ...], results: dict[int, dict[str, Any]], stopped: str | None, rounds: int
) -> Table:
    table = Table(
        "read_api",
        f"3. Read API: GET /records?limit={PAGE} through the Lambda HTTP path (ms, MB)",
        [
            "stored records",
            "first page median",
            "p99",
            "CPU median",
            "deep page median",
            "p99",
            "peak Python heap / request",
            "max RSS",
            "baseline median",
            "p99",
            "baseline heap / request",
            "baseline max RSS",
            "baseline response",
            "baseline ÷ ours",
        ],
    )
    chart: dict[str, list[Any]] = {
        "sizes": [],
        "ours": [],
        "ours_deep": [],
        "baseline": [],
        "baseline_over_limit": [],
    }
    for count in sizes:
        ours, base = results[count]["ours"], results[count]["baseline"]
        first, deep = ours["times"]["first"], ours["times"]["deep"]
        row: list[Any] = [
            count,
            _ms(first, "median"),
            _ms(first, "p99"),
            _ms(ours["cpu"]["first"], "median"),
            _ms(deep, "median"),
            _ms(deep, "p99"),
            ours["tracemalloc_peak"] / 1e6,
            ours["max_rss"] / 1e6,
        ]
        chart["sizes"].append(count)
        chart["ours"].append(_ms(first, "median"))
        chart["ours_deep"].append(_ms(deep, "median"))
        if base is None:
            row += [None] * 6
            chart["baseline"].append(None)
            chart["baseline_over_limit"].append(None)
        else:
            times = base["times"]["first"]
            over = base["payload_bytes"] > LAMBDA_PAYLOAD_LIMIT
            size = f"{base['payload_bytes'] / 1e6:.2f} MB" + (" (over the limit)" if over else "")
            row += [
                _ms(times, "median"),
                _ms(times, "p99"),
                base["tracemalloc_peak"] / 1e6,
                base["max_rss"] / 1e6,
                size,
                median(times) / median(first),
            ]
            chart["baseline"].append(_ms(times, "median"))
            chart["baseline_over_limit"].append(over)
        table.rows.append(row)
    largest = sizes[-1]
    first_medians = [_ms(results[c]["ours"]["times"]["first"], "median") for c in sizes]
    cpu_medians = [_ms(results[c]["ours"]["cpu"]["first"], "median") for c in sizes]
    table.data = {
        "chart": chart,
        "results": {str(c): r for c, r in results.items()},
        "flatness": max(first_medians) / min(first_medians),
        "cpu_flatness": max(cpu_medians) / min(cpu_medians),
        "largest": largest,
        "largest_median_ms": first_medians[-1],
        "baseline_stopped": stopped,
    }
    calls = min(len(results[count]["ours"]["times"]["first"]) for count in sizes)
    table.notes = [
        "triggersqs: an HTTP API (v2) event into `Runtime.handle_http` (Mangum, Starlette),"
        f" SQLite; at least {calls} timed calls per page per size, in {rounds} rounds of a fresh"
        f" process per size. Deep page = the last {PAGE} records, through a cursor.",
        "CPU = the request's CPU time in its thread, which other processes on the machine cannot"
        " inflate (this machine may be shared).",
        "Baseline: the tutorial's handler on a REST (v1) event; it reads and parses the whole"
        " log and returns every record. `baseline ÷ ours` compares medians of the first page.",
        "Peak Python heap = tracemalloc's peak during one request; max RSS = the measuring"
        " process's peak resident memory (interpreter, libraries and SQLite's cache included).",
    ]
    if stopped:
        table.notes.append(f"The baseline stopped {stopped}.")
    return table


def main(argv: list[str]) -> None:
    """The child processes' entry point."""
    if argv[0] == "ours":
        result = child_ours(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    elif argv[0] == "baseline":
        result = child_baseline(argv[1], int(argv[2]), float(argv[3]))
    else:
        raise SystemExit(f"unknown child {argv[0]!r}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
