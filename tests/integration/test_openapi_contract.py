"""The OpenAPI document against the live API (issue 15: the document is written by
api/openapi.py, no longer by FastAPI): every route served is documented and every documented
route is served, each documented query parameter is checked as its schema says, and each
documented status comes back, its body as the document describes it. schemathesis fuzzes the same
document (tests/reliability/test_api_fuzz.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.routing import Route

from tests.support.factories import new_record, new_rejection
from tests.support.serving import uvicorn_in_thread
from triggersqs.bootstrap import build_app
from triggersqs.local.server import served_app
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore
from triggersqs.storage.sqlite import SqliteStore

API_KEY = "doc-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
BEARER = {"Authorization": f"Bearer {API_KEY}"}


@dataclass(frozen=True)
class Api:
    """One served app: its URL, its document, and what it answers with."""

    url: str
    document: dict[str, Any]
    served: set[str]
    """The paths of its routes that are part of the API (not the docs, console or metrics)."""
    headers: dict[str, str]


@dataclass(frozen=True)
class Apis:
    open: Api
    keyed: Api
    broken: Api
    ids: dict[str, str]


def api(url: str, app: Any, headers: dict[str, str]) -> Api:
    document = httpx.get(f"{url}/openapi.json", headers=headers).json()
    served = {
        route.path for route in app.routes if isinstance(route, Route) and route.include_in_schema
    }
    return Api(url, document, served, headers)


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apis]:
    """``serve``'s app (metrics and console included), open and keyed, over a store with a
    record and a rejection, and the API over a store that cannot open."""
    store = MemoryStore()
    record, rejection = new_record(), new_rejection()
    store.save([record, rejection])
    folder = tmp_path_factory.mktemp("broken")
    broken_store = SqliteStore(folder)  # a directory: SQLite cannot open it
    sqlite = Settings.build(store="memory")
    apps = (
        served_app(sqlite, store),
        served_app(Settings.build(store="memory", api_key=API_KEY), store),
        build_app(Settings.build(store="sqlite"), broken_store),
    )
    with (
        uvicorn_in_thread(apps[0]) as open_url,
        uvicorn_in_thread(apps[1]) as keyed_url,
        uvicorn_in_thread(apps[2]) as broken_url,
    ):
        yield Apis(
            api(open_url, apps[0], {}),
            api(keyed_url, apps[1], BEARER),
            api(broken_url, apps[2], {}),
            {
                "/records/{message_id}": record.envelope.message_id,
                "/rejected/{message_id}": rejection.envelope.message_id,
            },
        )
    broken_store.close()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def body_schema(document: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    content = operation["responses"][str(status)]["content"]["application/json"]
    return {**content["schema"], "components": document["components"]}


def check_body(
    document: dict[str, Any], operation: dict[str, Any], response: httpx.Response
) -> None:
    """The answer's status is documented and its body is what the document says of it."""
    assert str(response.status_code) in operation["responses"], response.text
    assert response.headers["content-type"] == "application/json"
    jsonschema.validate(response.json(), body_schema(document, operation, response.status_code))


@pytest.mark.parametrize("which", ["open", "keyed"])
def test_every_served_route_is_documented_and_every_documented_route_is_served(
    apis: Apis, which: str
) -> None:
    served: Api = getattr(apis, which)

    # THEN the document's paths are exactly the API's routes, each for GET only
    assert set(served.document["paths"]) == served.served
    assert {method for _, method, _ in operations(served.document)} == {"get"}
    # AND each documented path answers GET, and refuses other methods as undocumented
    for path, _, operation in operations(served.document):
        url = served.url + path.replace("{message_id}", apis.ids.get(path, ""))
        answer = httpx.get(url, headers=served.headers)
        assert answer.status_code == 200, (path, answer.text)
        check_body(served.document, operation, answer)
        assert httpx.post(url, headers=served.headers).status_code == 405


def invalid_values(schema: dict[str, Any]) -> list[str]:
    """Values the parameter's schema refuses, from what the schema says."""
    options = schema.get("anyOf", [schema])
    values = []
    for option in options:
        if "minimum" in option:
            values.append(str(option["minimum"] - 1))
        if "maximum" in option:
            values.append(str(option["maximum"] + 1))
        if option.get("type") == "integer":
            values.append("one")
        if "minLength" in option:
            values.append("x" * (option["minLength"] - 1))
        if "maxLength" in option:
            values.append("x" * (option["maxLength"] + 1))
        if "enum" in option:
            values.append("".join(option["enum"]) + "?")
        if option.get("format") == "date-time":
            values.append("not a time")
    return values


def test_each_documented_query_parameter_is_checked_as_its_schema_says(apis: Apis) -> None:
    document = apis.open.document
    checked = 0
    for path, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name, schema = parameter["name"], parameter["schema"]
            refused = invalid_values(schema)
            assert refused, f"{path} {name}: nothing in its schema to check"
            for value in refused:
                # WHEN the parameter has a value its schema refuses THEN the answer is the
                # documented 422, naming that parameter
                answer = httpx.get(apis.open.url + path, params={name: value})
                assert answer.status_code == 422, (path, name, value, answer.text)
                check_body(document, operation, answer)
                assert [e["loc"] for e in answer.json()["detail"]] == [["query", name]]
                checked += 1
            if "default" in schema:
                # AND its documented default is a value it accepts
                answer = httpx.get(apis.open.url + path, params={name: schema["default"]})
                assert answer.status_code == 200, (path, name, answer.text)
    assert checked >= 12


def test_the_listings_take_no_query_parameter_beyond_the_documented_ones(apis: Apis) -> None:
    # GIVEN a parameter the document does not list WHEN it is sent THEN it is ignored
    for path in ("/records", "/rejected"):
        plain = httpx.get(apis.open.url + path).json()
        assert httpx.get(apis.open.url + path, params={"limitt": "0", "x": "y"}).json() == plain


def trigger(apis: Apis, served: Api, path: str, status: int) -> tuple[Api, str, dict[str, str]]:
    """The app (``served`` but for 401 and 503), path and query that make ``path`` answer
    ``status``."""
    item = apis.ids.get(path, "")
    if status == 200:
        return served, path.replace("{message_id}", item), {}
    if status == 400:
        return served, path, {"cursor": "not-a-cursor-we-issued"}
    if status == 401:
        without_key = Api(apis.keyed.url, apis.keyed.document, apis.keyed.served, {})
        return without_key, path.replace("{message_id}", item), {}
    if status == 404:
        return served, path.replace("{message_id}", "no-such-message"), {}
    if status == 422:
        return served, path, {"limit": "0"}
    if status == 503:
        return apis.broken, path.replace("{message_id}", item), {}
    raise AssertionError(f"no way to make {path} answer {status}")


@pytest.mark.parametrize(("which", "statuses"), [("open", 17), ("keyed", 21)])
def test_every_documented_status_is_answered_with_its_documented_body(
    apis: Apis, which: str, statuses: int
) -> None:
    served: Api = getattr(apis, which)
    seen = 0
    for path, _, operation in operations(served.document):
        for status in map(int, operation["responses"]):
            # WHEN the route is asked what makes it answer that status
            app, url, query = trigger(apis, served, path, status)
            answer = httpx.get(app.url + url, params=query, headers=app.headers)
            # THEN it answers that status, with the body the document describes
            assert answer.status_code == status, (path, status, answer.text)
            check_body(served.document, operation, answer)
            seen += 1
    assert seen == statuses
