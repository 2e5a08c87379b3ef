"""Served API: requests per second and p99 of ``triggersqs serve`` for a 100-record page.

``triggersqs serve`` runs as its own process over a SQLite file of 10^6 records; the load comes
from another process: ``wrk`` (one thread, keep-alive connections) when it is installed, else a
Python load generator (processes of threads, each with one keep-alive ``http.client``
connection). Server and load generator share this machine's cores, as the table says.

A last row per setup is ``/healthcheck`` while 4 clients loop ``GET /records?limit=1000``: how
long the liveness check waits behind heavy store queries (issue 11: SQLite queries once ran on
the event loop and held it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from tests.support.servers import free_port

from benchmarks.common import PYTHON, ROOT, Table, clean_env, median, percentile

TRIGGERSQS = str(Path(PYTHON).parent / "triggersqs")
PAGE_PATH = "/records?limit=100"


@contextmanager
def serving(db: Path, workers: int = 1) -> Iterator[str]:
    """``triggersqs serve`` over ``db`` until the block ends; yields its base URL."""
    port = free_port()
    command = [TRIGGERSQS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = clean_env(TRIGGERSQS_SQLITE_PATH=str(db), TRIGGERSQS_LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthcheck", timeout=2):  # noqa: S310
                    break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"serve exited: {process.stderr.read().decode() if process.stderr else ''}"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not answer within 60 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk_available(install: bool) -> str | None:
    """The path of wrk; with ``install``, try Debian's package first when missing and root."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            capture_output=True,
            check=False,
            timeout=300,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("wrk")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def load_with_wrk(wrk: str, url: str, connections: int, seconds: float) -> dict[str, Any]:
    """wrk's requests per second and latency percentiles."""
    finished = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{max(seconds, 1):.0f}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = finished.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        pct: _wrk_ms(value) for pct, value in re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "tool": "wrk (1 thread)",
        "rps": rate,
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


def _client(
    host: str, port: int, path: str, *, until: float, out: list[float], errors: list[int]
) -> None:
    conn = HTTPConnection(host, port, timeout=30)
    while time.perf_counter() < until:
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            errors.append(response.status)
        out.append(time.perf_counter() - started)
    conn.close()


def python_loadgen(url: str, threads: int, seconds: float) -> dict[str, Any]:
    """In a load-generator process: ``threads`` keep-alive clients for ``seconds``."""
    match = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url)
    if match is None:
        raise ValueError(url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    until = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[int] = []
    workers = [
        threading.Thread(
            target=_client,
            args=(host, port, path),
            kwargs={"until": until, "out": latencies[i], "errors": errors},
        )
        for i in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    flat = [value for values in latencies for value in values]
    return {"count": len(flat), "seconds": elapsed, "latencies": flat, "errors": len(errors)}


def load_with_python(
    url: str, connections: int, seconds: float, processes: int = 2
) -> dict[str, Any]:
    """The Python load generator in ``processes`` processes; requests per second, latencies."""
    per = max(connections // processes, 1)
    children = [
        subprocess.Popen(
            [PYTHON, "-m", "benchmarks.served", "loadgen", url, str(per), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
            env=clean_env(),
            cwd=ROOT,
        )
        for _ in range(processes)
    ]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=seconds + 120)
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if child.returncode != 0 or not lines:
            raise RuntimeError(f"load generator failed: {out}")
        results.append(json.loads(lines[-1].removeprefix("RESULT ")))
    latencies = [value for result in results for value in result["latencies"]]
    return {
        "tool": f"Python http.client ({processes} processes x {per} threads)",
        "rps": sum(r["count"] for r in results) / max(r["seconds"] for r in results),
        "p50_ms": median(latencies) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": sum(r["errors"] for r in results),
    }


HEAVY_PATH = "/records?limit=1000"
HEAVY_CLIENTS = 4


def healthcheck_under_load(url: str, seconds: float) -> dict[str, Any]:
    """``/healthcheck`` latencies from one client while 4 others loop the 1000-record page."""
    background: dict[str, Any] = {}
    loader = threading.Thread(
        target=lambda: background.update(
            load_with_python(url + HEAVY_PATH, HEAVY_CLIENTS, seconds + 1, processes=1)
        )
    )
    loader.start()
    time.sleep(1.0)  # the heavy clients are connected and looping
    result = python_loadgen(url + "/healthcheck", 1, seconds)
    loader.join()
    latencies = result["latencies"]
    return {
        "tool": f"1 client beside {HEAVY_CLIENTS} looping GET {HEAVY_PATH}",
        "rps": result["count"] / result["seconds"],
        "p50_ms": median(latencies) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
        "errors": result["errors"] + background.get("errors", 0),
        "heavy_rps": background.get("rps", 0.0),
    }


def run(
    db: Path,
    *,
    seconds: float = 10.0,
    connections: int = 16,
    workers: tuple[int, ...] = (1,),
    install_wrk: bool = False,
) -> Table:
    """Requests per second and latency of the page (and of /healthcheck, for scale)."""
    wrk = wrk_available(install_wrk)
    rows: list[dict[str, Any]] = []
    for count in workers:
        with serving(db, count) as url:
            for label, path in (
                ("GET /records?limit=100", PAGE_PATH),
                ("GET /healthcheck", "/healthcheck"),
            ):
                target = url + path
                warm = min(2.0, seconds)
                if wrk:
                    load_with_wrk(wrk, target, connections, warm)
                    result = load_with_wrk(wrk, target, connections, seconds)
                else:
                    load_with_python(target, connections, warm)
                    result = load_with_python(target, connections, seconds)
                rows.append({"workers": count, "request": label, **result})
            loaded = healthcheck_under_load(url, seconds)
            label = f"GET /healthcheck under load (max {loaded['max_ms']:.0f} ms)"
            rows.append({"workers": count, "request": label, **loaded})
    table = Table(
        "served",
        f"4. Served API: `triggersqs serve` at {_records(db):,} stored records",
        [
            "request",
            "uvicorn workers",
            "requests/s",
            "p50 (ms)",
            "p99 (ms)",
            "errors",
            "load generator",
        ],
    )
    for row in rows:
        table.rows.append(
            [
                row["request"],
                row["workers"],
                row["rps"],
                row["p50_ms"],
                row["p99_ms"],
                row["errors"],
                row["tool"],
            ]
        )
    page_rows = [r for r in rows if r["request"].startswith("GET /records")]
    loaded_rows = [r for r in rows if "under load" in r["request"]]
    table.data = {
        "rows": rows,
        "best_page_rps": max(r["rps"] for r in page_rows),
        "best_page_p99_ms": max(page_rows, key=lambda r: r["rps"])["p99_ms"],
        "healthcheck_under_load_p50_ms": max(r["p50_ms"] for r in loaded_rows),
        "healthcheck_under_load_max_ms": max(r["max_ms"] for r in loaded_rows),
    }
    table.notes = [
        f"{connections} keep-alive connections for {seconds:.0f} s after a warm-up; server and"
        f" load generator share this machine's {os.cpu_count()} cores.",
        f"The page is the first 100 of {_records(db):,} records (SQLite), rendered per request:"
        " no cache.",
        f"Under load: one client asks /healthcheck in a loop while {HEAVY_CLIENTS} Python"
        f" clients loop GET {HEAVY_PATH}; its p50/p99 (and max) say how long the liveness check"
        " waits behind store queries.",
    ]
    return table


def _records(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT max(seq) FROM records").fetchone()[0] or 0)


def main(argv: list[str]) -> None:
    """The load generator's entry point (a separate process)."""
    if argv[0] != "loadgen":
        raise SystemExit(f"unknown command {argv[0]!r}")
    result = python_loadgen(argv[1], int(argv[2]), float(argv[3]))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
