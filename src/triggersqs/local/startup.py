"""What ``dev``, ``serve`` and ``worker`` do before they say they are ready: build the store and
check that it answers, so a store that cannot work is one line at start-up, not a 503 on every
request or every message sent to the DLQ."""

from __future__ import annotations

from triggersqs.bootstrap import Runtime, build_runtime, build_store
from triggersqs.core.ports import MessageStore
from triggersqs.errors import ConfigurationError, StorageError
from triggersqs.settings import Settings


def checked_runtime(settings: Settings) -> Runtime:
    """The runtime of ``settings`` with its store checked; ConfigurationError if it cannot work."""
    runtime = build_runtime(settings)
    check_store(runtime.store, settings)
    return runtime


def checked_store(settings: Settings) -> MessageStore:
    """The store of ``settings``, checked; ConfigurationError if it cannot work."""
    store = build_store(settings)
    check_store(store, settings)
    return store


def check_store(store: MessageStore, settings: Settings) -> None:
    """Ask ``store`` to answer; close it and raise ConfigurationError, naming it, if it cannot."""
    try:
        store.check()
    except StorageError as exc:
        store.close()
        raise ConfigurationError(f"the store cannot work: {exc} ({_named(settings)})") from None


def _named(settings: Settings) -> str:
    if settings.store == "sqlite":
        return f"TRIGGERSQS_SQLITE_PATH={settings.sqlite_path}"
    if settings.store == "dynamodb":
        return f"TRIGGERSQS_DYNAMODB_TABLE={settings.dynamodb_table}"
    return f"TRIGGERSQS_STORE={settings.store}"
