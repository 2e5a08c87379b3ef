"""The figures the reliability tests measure (faults injected, messages, examples tried, 5xx seen),
gathered per test for the terminal summary and ``--figures`` (docs/reliability.md quotes them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Figures:
    """Counters keyed by test name; one instance per session."""

    soak: bool
    tests: dict[str, Counter[str]] = field(default_factory=dict)
    _current: ClassVar[Figures | None] = None

    def __post_init__(self) -> None:
        Figures._current = self

    def add(self, test: str, **numbers: int) -> None:
        """Add ``numbers`` to the counters of ``test`` (a short name)."""
        self.tests.setdefault(test, Counter()).update(numbers)

    def as_json(self) -> dict[str, Any]:
        """Everything measured, ready for ``json.dumps``."""
        return {
            "soak": self.soak,
            "tests": {name: dict(sorted(c.items())) for name, c in sorted(self.tests.items())},
        }

    @classmethod
    def summary_lines(cls) -> list[str]:
        """One line per test: ``name: key=value ...``."""
        current = cls._current
        if current is None:
            return []
        return [
            f"{name}: " + " ".join(f"{key}={value}" for key, value in sorted(counts.items()))
            for name, counts in sorted(current.tests.items())
        ]
