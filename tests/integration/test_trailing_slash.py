"""A path with a trailing slash is answered as the path without it, with no redirect: the
redirect Starlette made built its Location from the Host and X-Forwarded-Proto headers
(``javascript://evil.example/records``) and dropped an API Gateway stage (issue 11)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.events import HTTP_KINDS, HttpKind, http_event
from tests.support.factories import new_record
from tests.support.serving import uvicorn_in_thread
from triggersqs.bootstrap import Runtime, build_app, build_runtime
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore

HOSTILE = {"Host": "evil.example", "X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "x.y"}


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    store = MemoryStore()
    store.save([new_record()])
    return build_runtime(Settings.build(store="memory"), store=store)


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_a_trailing_slash_is_served_without_a_redirect_through_lambda(
    runtime: Runtime, kind: HttpKind
) -> None:
    plain = runtime(http_event(kind, "/records"), LocalContext.with_timeout(10))
    slashed = runtime(http_event(kind, "/records/", headers=HOSTILE), LocalContext.with_timeout(10))

    assert slashed["statusCode"] == 200
    assert "location" not in {k.lower() for k in slashed.get("headers") or {}}
    assert json.loads(slashed["body"]) == json.loads(plain["body"])


@pytest.fixture(scope="module")
def served(runtime: Runtime) -> Iterator[str]:
    with uvicorn_in_thread(build_app(runtime.settings, runtime.store)) as url:
        yield url


@pytest.mark.parametrize("path", ["/records/", "/rejected/", "/healthcheck/"])
def test_a_trailing_slash_is_served_without_a_redirect_over_http(served: str, path: str) -> None:
    slashed = httpx.get(served + path, headers=HOSTILE, follow_redirects=False)
    plain = httpx.get(served + path.rstrip("/"))

    assert slashed.status_code == 200
    assert "location" not in slashed.headers
    assert slashed.json() == plain.json()


def test_an_unknown_path_with_a_slash_is_a_plain_json_404(served: str) -> None:
    response = httpx.get(f"{served}/nowhere/", headers=HOSTILE, follow_redirects=False)

    assert response.status_code == 404
    assert "location" not in response.headers
