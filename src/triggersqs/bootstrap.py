"""The composition root: the one place that turns settings into a store, a processor and an app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triggersqs.batch import BatchPolicy, BatchProcessor
from triggersqs.service import RecordService
from triggersqs.settings import Settings
from triggersqs.storage.port import MessageStore

if TYPE_CHECKING:
    from fastapi import FastAPI


def build_store(settings: Settings) -> MessageStore:
    """The configured store; nothing connects until first use."""
    if settings.store == "memory":
        from triggersqs.storage.memory import MemoryStore

        return MemoryStore()
    if settings.store == "sqlite":
        from triggersqs.storage.sqlite import SqliteStore

        return SqliteStore(settings.sqlite_path, synchronous=settings.sqlite_synchronous)
    raise NotImplementedError(f"store {settings.store!r} is not available yet")


def build_processor(settings: Settings, store: MessageStore) -> BatchProcessor:
    """The batch processor with the configured policy."""
    policy = BatchPolicy(
        max_body_bytes=settings.max_body_bytes,
        retry_invalid=settings.invalid_messages == "retry",
        allowed_queues=frozenset(settings.queue_arns),
        time_margin_ms=settings.time_margin_ms,
    )
    return BatchProcessor(store, policy)


def build_app(settings: Settings, store: MessageStore) -> FastAPI:
    """The HTTP API over ``store`` (imports FastAPI, so only HTTP paths call it)."""
    from triggersqs.api import create_app

    return create_app(RecordService(store, settings.store), api_key=settings.api_key)
