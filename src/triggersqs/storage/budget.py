"""AWS calls bounded by the time left: one client per time budget, and the widest that fits.

botocore fixes a client's timeouts and retries when the client is built, and its retry loop does
not know our deadline: a put with 3 attempts of (1 s connect + 3 s read) and the standard mode's
backoff can take 25 s. So the composition root builds one client per rung of :data:`LADDER`
(about 4 ms each, sharing one session), and every write takes the widest rung whose worst case
still ends before the deadline (:meth:`Budgeted.within`); when none does, the write does not
start and its record fails alone, back to the queue.

A rung's worst case assumes what botocore's standard retry mode does (botocore/retries/
standard.py, pinned by uv.lock): every attempt times out, and between attempts it waits at most
``min(2**i, 20)`` seconds (throttling), plus up to 5 s more that an ``x-amz-retry-after`` header
may ask for. The read timeout bounds each socket read, not a whole answer: an endpoint that
drips an answer a byte at a time could outlast it, which AWS's endpoints do not do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from triggersqs.core.clock import Deadline

C = TypeVar("C")

_MAX_BACKOFF_S: Final = 20.0
_RETRY_AFTER_EXTRA_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class CallBudget:
    """One rung: the timeouts and attempts of a client, and the longest a call on it can take."""

    connect_timeout: float
    read_timeout: float
    attempts: int

    @property
    def worst_case(self) -> float:
        """Seconds a call can take at most: every attempt timing out, the longest waits between."""
        tries = self.attempts * (self.connect_timeout + self.read_timeout)
        waits = sum(
            min(2.0**retry, _MAX_BACKOFF_S) + _RETRY_AFTER_EXTRA_S
            for retry in range(self.attempts - 1)
        )
        return tries + waits


LADDER: Final = (
    CallBudget(connect_timeout=1.0, read_timeout=3.0, attempts=3),  # at most 25 s
    CallBudget(connect_timeout=0.5, read_timeout=1.0, attempts=2),  # at most 9 s
    CallBudget(connect_timeout=0.25, read_timeout=0.5, attempts=1),  # at most 0.75 s
)
"""The rungs, widest first. The first serves every call without a deadline (reads, the API); a
DynamoDB or S3 answer takes milliseconds, so even the last rung is generous when all is well."""


class Budgeted(Generic[C]):
    """Clients of one service, one per budget, widest first; picks the one a deadline allows.

    A client given alone (``Budgeted.of(client)``: tests, tools) has no known worst case: it is
    used while the deadline has not come, as before the ladder existed.
    """

    def __init__(self, rungs: Sequence[tuple[CallBudget | None, C]]) -> None:
        if not rungs:
            raise ValueError("at least one client is needed")
        self._rungs = tuple(rungs)

    @classmethod
    def of(cls, client: C | Budgeted[C]) -> Budgeted[C]:
        """``client`` itself when it is already budgeted, else the one client of unknown budget."""
        return client if isinstance(client, Budgeted) else cls([(None, client)])

    @classmethod
    def build(
        cls, make: Callable[[CallBudget], C], ladder: Sequence[CallBudget] = LADDER
    ) -> Budgeted[C]:
        """One client per rung of ``ladder``, made by ``make``."""
        return cls([(budget, make(budget)) for budget in ladder])

    @property
    def default(self) -> C:
        """The widest client: for calls that no deadline bounds."""
        return self._rungs[0][1]

    @property
    def clients(self) -> list[C]:
        """Every client, widest first."""
        return [client for _, client in self._rungs]

    def within(self, deadline: Deadline | None) -> C | None:
        """The widest client whose every call ends before ``deadline``; None when none can."""
        if deadline is None:
            return self.default
        left = deadline.remaining()
        for budget, client in self._rungs:
            if (left > 0) if budget is None else (budget.worst_case <= left):
                return client
        return None
