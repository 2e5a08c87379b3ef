"""The embedded SQS-compatible server of ``triggersqs dev``: moto's server, in this process.

moto speaks the JSON protocol of current boto3 and the AWS CLI and gets long polling, visibility
timeouts, receive counts, redrive to a DLQ and FIFO group ordering right (the research behind
this choice is in docs/local-sqs.md). Its SQS backend does two things in O(queue length) with a
slow clock, which makes a backlog of thousands of messages crawl (about 60 messages/s at 500):

1. it computes all queue attributes, including three message counts that scan the queue, many
   times per SendMessage and ReceiveMessage, only to read settings such as
   ``ContentBasedDeduplication``;
2. every visibility check reads the time through naive ``datetime`` arithmetic.

:func:`tune_moto` removes both costs without changing behaviour: the counts are computed only
inside the GetQueueAttributes operation (the one that returns them), and the clock reads
``time.time()``, which is what the datetime arithmetic computes.

It also fixes a race that loses messages. moto's server answers each request on its own thread,
but DeleteMessage rebuilds a queue's message list without its lock: a message that SendMessage
appends meanwhile is dropped, acknowledged to the sender and never delivered (seen as 10 of
2,000 messages missing, one whole SendMessageBatch, with four pollers and a producer), and a
concurrent ReceiveMessage can fail on a set changing under it. Deletes and receives now hold the
queue's own lock, the one sends already take (a long poll releases it while it waits).

Its long poll also stalled FIFO queues: a ReceiveMessage that began while a message group was in
flight kept that group as held for its whole wait, even once the message was deleted, and spun
meanwhile (its wait returns at once while any message is visible), so competing pollers of a FIFO
queue waited out their polls or a visibility timeout between batches (300 messages took 45-54 s
with four workers, against 4 s on a standard queue). A long poll now looks again whenever a
message is sent, deleted or made visible, and at least every second (as moto's did), sleeping in
between.

And it makes content-based deduplication hold as SQS documents it: a FIFO queue drops a message
whose deduplication id it accepted in the last five minutes, whether or not that message is
still on the queue. moto compares only with the messages still there, so a duplicate sent after
the first was received and deleted (what a poller does within milliseconds) was delivered again.
Sends now remember each id for the five minutes (redrives to a DLQ are not sends and pass).

All patches are checked by tests/integration/test_embedded_sqs.py, and only applied to the moto
series they were written for. The server answers the SQS API only, and nothing a web page sends
(local/sqs_only.py).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from triggersqs.local.loopback import is_loopback
from triggersqs.local.moto_dedup import install_deduplication
from triggersqs.local.moto_errors import install_aws_errors
from triggersqs.local.moto_redrive import install_redrive
from triggersqs.local.sockets import bound_port, listen
from triggersqs.local.sqs_only import SqsOnly

logger = logging.getLogger("triggersqs.embedded_sqs")

LOOPBACK = "127.0.0.1"
TUNED_MOTO_SERIES = "5."
_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_tuned = False
_tune_lock = threading.Lock()


def tune_moto() -> bool:
    """Apply the speed-ups and the race fix once; False (moto as it is) for an unknown series."""
    global _tuned  # noqa: PLW0603 - patches are process-wide by nature; applied once
    import moto
    from moto.sqs import models, responses

    with _tune_lock:
        if _tuned:
            return True
        if not moto.__version__.startswith(TUNED_MOTO_SERIES):
            logger.warning("moto %s is not tuned; large backlogs will be slow", moto.__version__)
            return False
        counting = threading.local()
        for name in _COUNTS:
            setattr(models.Queue, name, _only_when_counting(getattr(models.Queue, name), counting))
        # The backend's get_queue_attributes also serves internal lookups on every received
        # message; only the API operation returns the counts.
        responses.SQSResponse.get_queue_attributes = _counting(  # type: ignore[method-assign]
            responses.SQSResponse.get_queue_attributes, counting
        )
        original_millis: Callable[..., float] = getattr(models, "unix_time_millis")  # noqa: B009
        original_seconds: Callable[..., float] = getattr(models, "unix_time")  # noqa: B009

        def unix_time_millis(dt: Any = None) -> float:  # noqa: ANN401 - moto's signature
            return time.time() * 1000.0 if dt is None else original_millis(dt)

        def unix_time(dt: Any = None) -> float:  # noqa: ANN401 - moto's signature
            return time.time() if dt is None else original_seconds(dt)

        setattr(models, "unix_time_millis", unix_time_millis)  # noqa: B010 - moto's own name
        setattr(models, "unix_time", unix_time)  # noqa: B010
        models.Queue.delete_message = _under_queue_lock(models.Queue.delete_message)  # type: ignore[method-assign]
        models.SQSBackend.receive_message = _polling(models.SQSBackend.receive_message)  # type: ignore[method-assign]
        models.SQSBackend.change_message_visibility = _under_named_queue_lock(  # type: ignore[method-assign]
            models.SQSBackend.change_message_visibility
        )
        install_deduplication(models)
        _tuned = True
        return True


def _under_queue_lock(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of a queue under its lock, waking its long polls after it (a delete or a
    visibility change can free a message or a FIFO group they wait for)."""

    @wraps(method)
    def locked(queue: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's
        with _notifying(queue._messages_lock):
            return method(queue, *args, **kwargs)

    return locked


def _under_named_queue_lock(method: Callable[..., Any]) -> Callable[..., Any]:
    """A backend ``method`` on a named queue, as :func:`_under_queue_lock`."""

    @wraps(method)
    def locked(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        with _notifying(backend.get_queue(queue_name)._messages_lock):
            return method(backend, queue_name, *args, **kwargs)

    return locked


@contextmanager
def _notifying(lock: threading.Condition) -> Iterator[None]:
    """Hold the queue's lock (a Condition over an RLock), then wake whoever waits on it."""
    with lock:
        try:
            yield
        finally:
            lock.notify_all()


_RECHECK_SECONDS = 1.0
"""A long poll looks again at least this often: a visibility timeout ends without a signal."""


def _polling(receive: Callable[..., Any]) -> Callable[..., Any]:
    """moto's ReceiveMessage with its long poll redone: each look is a non-waiting receive under
    the queue's lock, and between looks the poll waits on the queue's condition, which sends,
    deletes and visibility changes notify (moto's own kept the FIFO groups held at its start)."""

    @wraps(receive)
    def receive_message(  # noqa: PLR0917 - moto's signature
        backend: Any,  # noqa: ANN401 - moto's
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:  # noqa: ANN401 - moto's messages
        lock = backend.get_queue(queue_name)._messages_lock
        deadline = time.monotonic() + wait_seconds_timeout
        with lock:
            while True:
                found = receive(
                    backend, queue_name, count, 0, visibility_timeout, message_attribute_names
                )
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                lock.wait(min(left, _RECHECK_SECONDS))

    return receive_message


def _only_when_counting(count: property, counting: threading.local) -> property:
    getter = count.fget
    assert getter is not None  # noqa: S101 - moto defines these as read-only properties

    def value(queue: Any) -> int:  # noqa: ANN401 - moto's Queue
        return int(getter(queue)) if getattr(counting, "active", False) else 0

    return property(value)


def _counting(method: Callable[..., Any], counting: threading.local) -> Callable[..., Any]:
    @wraps(method)
    def get_queue_attributes(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's
        counting.active = True
        try:
            return method(*args, **kwargs)
        finally:
            counting.active = False

    return get_queue_attributes


@contextmanager
def embedded_sqs(
    port: int = 0, host: str = LOOPBACK, *, listener: socket.socket | None = None
) -> Iterator[str]:
    """moto's server, tuned, serving the SQS API only (local/sqs_only.py), on ``host:port`` (0
    picks a free port) or on ``listener``, a socket already bound (local/sockets.py); yields its
    endpoint.

    The socket is bound here, in the caller's thread, before the server's thread starts: moto's
    ThreadedMotoServer binds in its thread, where a busy port ends the thread (werkzeug calls
    sys.exit) and the caller waits forever.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    tune_moto()
    install_aws_errors()
    install_redrive()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    own = listener is None
    bound = listen(host, port, "the SQS server") if listener is None else listener
    try:
        server = make_server(
            host,
            bound_port(bound),
            # Bound to loopback it answers loopback host names only (DNS rebinding); bound beyond
            # it on purpose (dev --host, a container), the names it is reached by.
            SqsOnly(
                DomainDispatcherApplication(create_backend_app), loopback_only=is_loopback(host)
            ),
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=bound.fileno(),
        )
    finally:
        if own:
            bound.close()  # the server serves on its own duplicate of the descriptor
    thread = threading.Thread(target=server.serve_forever, name="embedded-sqs", daemon=True)
    thread.start()
    try:
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
