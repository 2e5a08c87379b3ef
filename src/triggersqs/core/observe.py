"""The batch observer port: what watches every processed batch (EMF metrics in Lambda,
Prometheus in ``worker``, a console's live counts), so no one re-derives the outcome counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from triggersqs.core.outcomes import BatchReport
from triggersqs.core.records import Envelope


class BatchObserver(Protocol):
    """Told about each batch once it is processed; must not raise (errors are logged, dropped)."""

    def batch_processed(self, envelopes: Sequence[Envelope], report: BatchReport) -> None:
        """``envelopes`` as they arrived and ``report``, their outcomes in the same order."""
        ...


class Observers:
    """Several observers as one, told in order."""

    def __init__(self, *observers: BatchObserver) -> None:
        self._observers = observers

    def batch_processed(self, envelopes: Sequence[Envelope], report: BatchReport) -> None:
        """Tell each observer."""
        for observer in self._observers:
            observer.batch_processed(envelopes, report)
