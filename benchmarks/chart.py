"""The chart of read latency against the number of stored records (log-log), ours and baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.common import LAMBDA_PAYLOAD_LIMIT


def read_latency_chart(chart: dict[str, list[Any]], path: Path, *, machine: str) -> Path:
    """Draw ``chart`` (from the read API table's data) as a PNG at ``path``."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    sizes = chart["sizes"]
    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    axes.plot(sizes, chart["ours"], "o-", color="tab:blue", label="triggersqs, first page")
    axes.plot(sizes, chart["ours_deep"], "s--", color="tab:cyan", label="triggersqs, last page")
    measured = [(n, ms) for n, ms in zip(sizes, chart["baseline"], strict=True) if ms is not None]
    over = [n for n, flag in zip(sizes, chart["baseline_over_limit"], strict=True) if flag]
    if measured:
        xs, ys = zip(*measured, strict=True)
        axes.plot(xs, ys, "^-", color="tab:red", label="baseline (tutorial), every record")
    if measured and over:
        axes.annotate(
            f"response > {LAMBDA_PAYLOAD_LIMIT // 2**20} MiB:\nLambda fails it",
            xy=(xs[-1], ys[-1]),
            xytext=(12, -28),
            textcoords="offset points",
            fontsize=8,
            color="tab:red",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("stored records")
    axes.set_ylabel("median latency of GET /records?limit=100 (ms)")
    axes.set_title("Read API through the Lambda HTTP path", fontsize=11)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", fontsize=9)
    figure.text(0.99, 0.01, machine, ha="right", va="bottom", fontsize=7, color="gray")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
