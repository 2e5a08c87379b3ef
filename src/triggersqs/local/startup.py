"""What ``dev``, ``serve`` and ``worker`` do before they say they are ready: build the store and
check that it answers, so a store that cannot work is one line at start-up, not a 503 on every
request or every message sent to the DLQ."""

from __future__ import annotations

import sys
from typing import TextIO

from triggersqs.bootstrap import Runtime, build_runtime, build_store
from triggersqs.core.observe import BatchObserver
from triggersqs.core.ports import MessageStore
from triggersqs.errors import ConfigurationError, StorageError, StorageUnavailableError
from triggersqs.settings import Settings

NETWORK_STORES = frozenset({"dynamodb"})
"""Stores behind a network, which may answer again a moment later."""


def checked_runtime(
    settings: Settings, *, observer: BatchObserver | None = None, err: TextIO | None = None
) -> Runtime:
    """The runtime of ``settings`` (``observer`` watching its batches) with its store checked;
    ConfigurationError if it cannot work."""
    runtime = build_runtime(settings, observer=observer)
    check_store(runtime.store, settings, err=err)
    return runtime


def checked_store(settings: Settings, *, err: TextIO | None = None) -> MessageStore:
    """The store of ``settings``, checked; ConfigurationError if it cannot work."""
    store = build_store(settings)
    check_store(store, settings, err=err)
    return store


def check_store(store: MessageStore, settings: Settings, *, err: TextIO | None = None) -> None:
    """Ask ``store`` to answer; close it and raise ConfigurationError, naming it, if it cannot.

    One case only is let through, with a warning on ``err`` (stderr): a network store that does
    not answer *yet* (DynamoDB unreachable or throttled, not a missing table or a refused
    permission). A worker started during a short outage then runs, and its records return to the
    queue until the store is back, as they would if the outage began a minute later.
    """
    try:
        store.check()
    except StorageError as exc:
        if _may_come_back(exc, settings):
            print(
                f"triggersqs: warning: the store does not answer yet: {exc} ({_named(settings)});"
                " records go back to the queue until it does",
                file=err or sys.stderr,
            )
            return
        store.close()
        raise ConfigurationError(f"the store cannot work: {exc} ({_named(settings)})") from None


def _may_come_back(exc: StorageError, settings: Settings) -> bool:
    # A store's check() reports every failure as unavailable; one caused by a StorageError that
    # is not itself "unavailable" (no such table, access denied) will not pass by waiting.
    cause = exc.__cause__
    definitive = isinstance(cause, StorageError) and not isinstance(cause, StorageUnavailableError)
    return (
        settings.store in NETWORK_STORES
        and isinstance(exc, StorageUnavailableError)
        and not definitive
    )


def _named(settings: Settings) -> str:
    if settings.store == "sqlite":
        return f"TRIGGERSQS_SQLITE_PATH={settings.sqlite_path}"
    if settings.store == "dynamodb":
        return f"TRIGGERSQS_DYNAMODB_TABLE={settings.dynamodb_table}"
    return f"TRIGGERSQS_STORE={settings.store}"
