"""FIFO deduplication as SQS documents it, on moto's SQS backend (applied by embedded_sqs.py).

SQS drops a FIFO message whose deduplication id it accepted in the last five minutes, whether or
not that message is still on the queue. moto compares only with the messages still there, so a
duplicate sent after the first was received and deleted (what a poller does within milliseconds)
was delivered again. Sends now remember each id for the five minutes. Moves are not sends: a
message dead-lettered by a redrive policy, or moved back by a redrive (:func:`redriving`, used
by local/moto_move_task.py), is never dropped as a duplicate of itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

_state = threading.local()


def install_deduplication(models: Any) -> None:  # noqa: ANN401 - moto.sqs.models
    """Patch moto's backend: sends remember their deduplication ids (once per process)."""
    models.SQSBackend.send_message = _marking(models.SQSBackend.send_message)
    models.Queue.add_message = _deduplicated(models.Queue.add_message)


@contextmanager
def redriving() -> Iterator[None]:
    """Sends in this block (on this thread) move messages: no deduplication applies."""
    _state.redriving = True
    try:
        yield
    finally:
        _state.redriving = False


DEDUPLICATION_MS = 5 * 60 * 1000
"""SQS's deduplication interval for FIFO queues."""


def _marking(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def send_message(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's
        _state.sending = True
        try:
            return method(*args, **kwargs)
        finally:
            _state.sending = False

    return send_message


def _deduplicated(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def add_message(queue: Any, message: Any) -> Any:  # noqa: ANN401 - moto's
        dedup_id = getattr(message, "deduplication_id", None)
        sending = getattr(_state, "sending", False) and not getattr(_state, "redriving", False)
        if not (queue.fifo_queue and dedup_id and sending):
            return method(queue, message)
        now = int(message.sent_timestamp or time.time() * 1000)
        with queue._messages_lock:
            seen: dict[str, int] = queue.__dict__.setdefault("_triggersqs_dedup", {})
            if now - seen.get(dedup_id, -DEDUPLICATION_MS) < DEDUPLICATION_MS:
                return None  # accepted, not delivered: as SQS does within the interval
            if len(seen) >= queue.__dict__.get("_triggersqs_dedup_prune", 1024):
                for key in [k for k, t in seen.items() if now - t >= DEDUPLICATION_MS]:
                    del seen[key]
                queue.__dict__["_triggersqs_dedup_prune"] = 2 * max(len(seen), 512)
            seen[dedup_id] = now
            return method(queue, message)

    return add_message
