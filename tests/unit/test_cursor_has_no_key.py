"""Cursors carry no key material: the same page gives the same cursor whatever API key the
deployment has, so a cursor (which travels in query strings and access logs) tells nothing about
the key and keeps working across instances and key rotations (issue 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.events import http_event
from tests.support.factories import new_record
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore

KEY_A = "Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5oTq1rWx2"
KEY_B = "Qm7nB2vC9xZ4lK8jH3gF6dS1aP0oI5uY2tR7eW4qE9r"


@pytest.fixture(scope="module")
def store() -> MemoryStore:
    store = MemoryStore()
    store.save([new_record("SetStatus", f"client-{i}") for i in range(5)])
    return store


def runtime(store: MemoryStore, api_key: str | None) -> Runtime:
    keyed = {"api_key": api_key} if api_key else {}
    return build_runtime(Settings.build(store="memory", **keyed), store=store)


def page(app: Runtime, api_key: str | None, **query: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    event = http_event("function_url", "/records", query=query, headers=headers)
    response = app(event, LocalContext.with_timeout(10))
    return response["statusCode"], json.loads(response["body"])


def test_the_same_page_has_the_same_cursor_with_any_api_key_or_none(store: MemoryStore) -> None:
    # GIVEN one store served without a key, with key A, and with key B
    cursors = {
        key: page(runtime(store, key), key, limit="2")[1]["next_cursor"]
        for key in (None, KEY_A, KEY_B)
    }

    # THEN the first page's cursor is the same string for all three: nothing of a key is in it
    assert len(set(cursors.values())) == 1
    assert next(iter(cursors.values())) is not None


def test_a_cursor_keeps_working_across_an_api_key_rotation(store: MemoryStore) -> None:
    # GIVEN a cursor handed out while the deployment had key A
    status, first = page(runtime(store, KEY_A), KEY_A, limit="2")
    assert status == 200

    # WHEN the key is rotated to B and the client continues with the cursor
    status, second = page(runtime(store, KEY_B), KEY_B, limit="2", cursor=first["next_cursor"])

    # THEN the next page follows on from the first
    assert status == 200
    assert list(second["messages"]) == ["2", "3"]
