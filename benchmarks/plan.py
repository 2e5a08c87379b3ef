"""How much of each section a benchmark run measures: the full plan and the quick smoke run's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """How much of each section to run."""

    cold_runs: int
    batch_sizes: tuple[int, ...]
    batch_seconds: float
    batch_min: int
    batch_max: int
    batch_records: int
    read_sizes: tuple[int, ...]
    read_calls: int
    read_seconds: float
    read_rounds: int
    baseline_seconds: float
    served_records: int
    served_seconds: float
    served_workers: tuple[int, ...]
    e2e_messages: int


FULL = Plan(
    cold_runs=20,
    batch_sizes=(10, 100, 1_000, 10_000),
    batch_seconds=2.0,
    batch_min=5,
    batch_max=300,
    batch_records=60_000,
    read_sizes=(1_000, 10_000, 100_000, 1_000_000),
    read_calls=1000,
    read_seconds=8.0,
    read_rounds=4,
    baseline_seconds=20.0,
    served_records=1_000_000,
    served_seconds=10.0,
    served_workers=(1, 2),
    e2e_messages=2000,
)
QUICK = Plan(
    cold_runs=2,
    batch_sizes=(10, 100),
    batch_seconds=0.1,
    batch_min=2,
    batch_max=5,
    batch_records=500,
    read_sizes=(1_000, 10_000),
    read_calls=20,
    read_seconds=0.3,
    read_rounds=2,
    baseline_seconds=2.0,
    served_records=10_000,
    served_seconds=1.0,
    served_workers=(1,),
    e2e_messages=20,
)
