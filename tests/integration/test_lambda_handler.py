"""The Lambda entry point with a real SQLite store, driven by real AWS event payloads: SQS batches,
every HTTP front door through Mangum, and events it must refuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.emf_spec import emf_problems
from tests.support.events import (
    HTTP_KINDS,
    NEITHER_SQS_NOR_HTTP,
    HttpEventFactory,
    HttpKind,
    SqsEventFactory,
    load_event,
)
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.errors import BatchFailedError, UnsupportedEventError
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings

API_KEY = "lambda-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
STANDARD_QUEUE = "arn:aws:sqs:us-east-2:123456789012:my-queue"  # the queue of sqs_standard.json
FIFO_QUEUE = "arn:aws:sqs:eu-west-1:231436140809:Test.fifo"  # the queue of sqs_fifo.json
OTHER_QUEUE = "arn:aws:sqs:us-east-1:123456789012:somebody-else"

MakeApp = Callable[..., Runtime]


def valid(command: str = "SetStatus", client_id: str = "c79da7ce8e5e") -> str:
    return json.dumps({"command": command, "client_id": client_id})


def context(seconds: float = 30.0) -> LocalContext:
    return LocalContext.with_timeout(seconds)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[MakeApp]:
    """A factory of Runtimes over one SQLite file in tmp_path: ``make_app(**settings)``."""
    made: list[Runtime] = []

    def make(**values: object) -> Runtime:
        settings = Settings.build(store="sqlite", sqlite_path=str(tmp_path / "t.db"), **values)
        made.append(build_runtime(settings))
        return made[-1]

    yield make
    for app in made:
        app.store.close()


@pytest.fixture
def app(make_app: MakeApp) -> Runtime:
    return make_app()


def get(
    app: Runtime,
    http_event_factory: HttpEventFactory,
    kind: HttpKind,
    path: str,
    **query: str,
) -> tuple[int, Any]:
    """Invoke ``app`` with a ``kind`` HTTP event; the status code and decoded JSON body."""
    response = app(http_event_factory(kind, path, query=query), context())
    assert response["isBase64Encoded"] is False
    return response["statusCode"], json.loads(response["body"])


# -- SQS -------------------------------------------------------------------------------------------


def test_the_real_standard_event_is_processed_and_its_invalid_bodies_are_kept(
    app: Runtime, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN the real SQS event from AWS, whose two bodies are not commands
    event = load_event("sqs_standard")

    # WHEN the function is invoked with it
    response = app(event, context())

    # THEN both are acknowledged, and kept as rejected with the reason
    assert response == {"batchItemFailures": []}
    status, page = get(app, http_event_factory, "function_url", "/rejected")
    assert status == 200
    assert [(e["message_id"], e["body"]) for e in page["rejected"].values()] == [
        ("059f36b4-87a3-44ab-83d2-661975830a7d", "Test message."),
        ("2e1424d4-f796-459a-8184-9c92662be6da", '{"message": "foo1"}'),
    ]
    assert page["rejected"]["1"]["reason"] == "command: Field required; client_id: Field required"


def test_an_sqs_batch_is_stored_once_and_served_over_http(
    app: Runtime, sqs_event_factory: SqsEventFactory, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN a batch of two commands, delivered twice (SQS is at-least-once)
    event = sqs_event_factory(valid("SetStatus", "c1"), valid("Reset", "c2"))

    # WHEN the function handles both deliveries
    first = app(event, context())
    again = app(event, context())

    # THEN both succeed and each command is stored once
    assert first == again == {"batchItemFailures": []}
    status, page = get(app, http_event_factory, "http_api_v2", "/records")
    assert status == 200
    assert [(m["command"], m["client_id"]) for m in page["messages"].values()] == [
        ("SetStatus", "c1"),
        ("Reset", "c2"),
    ]
    assert page["next_cursor"] is None


def test_a_partly_failed_batch_returns_only_the_failed_ids(
    make_app: MakeApp, sqs_event_factory: SqsEventFactory
) -> None:
    app = make_app(queue_arns=STANDARD_QUEUE)
    good = sqs_event_factory(valid(), message_ids=["good"])
    stranger = sqs_event_factory(valid(), queue_arn=OTHER_QUEUE, message_ids=["stranger"])
    event = {"Records": good["Records"] + stranger["Records"]}

    response = app(event, context())

    assert response == {"batchItemFailures": [{"itemIdentifier": "stranger"}]}


def test_a_fifo_batch_holds_back_every_record_after_a_failure(
    make_app: MakeApp, sqs_event_factory: SqsEventFactory, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN TRIGGERSQS_INVALID_MESSAGES=retry and a FIFO batch whose second message is invalid
    app = make_app(invalid_messages="retry")
    event = sqs_event_factory(
        valid("A", "c1"), "not json", valid("C", "c1"), fifo=True, message_ids=["a", "b", "c"]
    )

    # WHEN handled
    response = app(event, context())

    # THEN the invalid one and the one behind it go back to the queue; only the first is stored
    assert response == {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}
    _status, page = get(app, http_event_factory, "function_url", "/records")
    assert [m["message_id"] for m in page["messages"].values()] == ["a"]
    assert page["messages"]["0"]["message_group_id"] == "group-1"
    assert page["messages"]["0"]["queue_arn"] == FIFO_QUEUE


def test_a_batch_where_every_record_fails_raises_batch_failed_error(
    make_app: MakeApp, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN an allow-list that does not hold the real event's queue
    app = make_app(queue_arns=OTHER_QUEUE)

    # WHEN the real two-record event arrives THEN the invocation fails, so Lambda backs off
    with pytest.raises(BatchFailedError, match="all 2 records failed") as caught:
        app(load_event("sqs_standard"), context())
    assert "TRIGGERSQS_QUEUE_ARNS" in str(caught.value)

    # AND nothing was written
    _status, page = get(app, http_event_factory, "function_url", "/rejected")
    assert page["rejected"] == {}


def test_a_batch_arriving_with_too_little_time_left_fails_whole(
    make_app: MakeApp, sqs_event_factory: SqsEventFactory
) -> None:
    app = make_app(time_margin_ms=5000)

    with pytest.raises(BatchFailedError, match="time budget"):
        app(sqs_event_factory(valid(), valid()), context(seconds=2))


def test_an_sqs_record_without_a_message_id_makes_the_invocation_fail(
    app: Runtime, sqs_event_factory: SqsEventFactory
) -> None:
    event = sqs_event_factory(valid())
    del event["Records"][0]["messageId"]

    with pytest.raises(UnsupportedEventError, match="no messageId"):
        app(event, context())


# -- HTTP ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_every_http_front_door_answers_the_healthcheck(
    app: Runtime, http_event_factory: HttpEventFactory, kind: HttpKind
) -> None:
    assert get(app, http_event_factory, kind, "/healthcheck") == (
        200,
        {"message": "health check"},
    )


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_every_http_front_door_serves_records_with_query_parameters(
    app: Runtime,
    sqs_event_factory: SqsEventFactory,
    http_event_factory: HttpEventFactory,
    kind: HttpKind,
) -> None:
    # GIVEN three stored commands, two of them for client c1
    app(
        sqs_event_factory(valid("A", "c1"), valid("B", "c2"), valid("C", "c1")),
        context(),
    )

    # WHEN the first page of one record for c1 is asked for, then the next
    status, first = get(app, http_event_factory, kind, "/records", client_id="c1", limit="1")
    _status, second = get(
        app,
        http_event_factory,
        kind,
        "/records",
        client_id="c1",
        limit="1",
        cursor=first["next_cursor"],
    )

    # THEN the query reached the API intact through this front door
    assert status == 200
    assert [(k, m["command"]) for k, m in first["messages"].items()] == [("0", "A")]
    assert [(k, m["command"]) for k, m in second["messages"].items()] == [("1", "C")]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_every_http_front_door_gets_a_json_4xx_for_bad_input(
    app: Runtime, http_event_factory: HttpEventFactory, kind: HttpKind
) -> None:
    for query in ({"limit": "0"}, {"limit": "abc"}, {"cursor": "forged"}, {"since": "soon"}):
        status, body = get(app, http_event_factory, kind, "/records", **query)

        assert 400 <= status < 500, (query, body)
        assert body["message"]


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_an_unknown_record_is_a_404_through_every_front_door(
    app: Runtime, http_event_factory: HttpEventFactory, kind: HttpKind
) -> None:
    status, body = get(app, http_event_factory, kind, "/records/no-such-id")

    assert status == 404
    assert "no record" in body["message"]


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_the_api_key_is_checked_on_lambda_http_events(
    make_app: MakeApp, http_event_factory: HttpEventFactory, kind: HttpKind
) -> None:
    app = make_app(api_key=API_KEY)

    def status(path: str, headers: dict[str, str]) -> int:
        code: int = app(http_event_factory(kind, path, headers=headers), context())["statusCode"]
        return code

    assert status("/records", {}) == 401
    assert status("/records", {"Authorization": "Bearer not-the-key-000000"}) == 401
    assert status("/records", {"Authorization": f"Bearer {API_KEY}"}) == 200
    assert status("/healthcheck", {}) == 200
    assert status("/health", {}) == 200


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_an_api_key_with_punctuation_and_inner_spaces_is_accepted_through_lambda(
    make_app: MakeApp, http_event_factory: HttpEventFactory, kind: HttpKind
) -> None:
    key = "Open Sesame! +/=~:%;, Zp4tq9V1xkR7mN2sLw8e"
    app = make_app(api_key=key)

    response = app(
        http_event_factory(kind, "/records", headers={"Authorization": f"Bearer {key}"}),
        context(),
    )

    assert response["statusCode"] == 200


@pytest.mark.parametrize("base_path", ["/prod", "/prod/"])
@pytest.mark.parametrize("kind", ["api_gateway_rest_v1", "http_api_v2"])
def test_the_api_base_path_strips_a_stage_prefix(
    make_app: MakeApp, http_event_factory: HttpEventFactory, kind: HttpKind, base_path: str
) -> None:
    # GIVEN TRIGGERSQS_API_BASE_PATH=/prod, as for an API Gateway stage in the path
    app = make_app(api_base_path=base_path)

    # WHEN requests arrive with the stage in front of the routes
    health = get(app, http_event_factory, kind, "/prod/healthcheck")
    records_status, _ = get(app, http_event_factory, kind, "/prod/records")

    # THEN the routes are found
    assert health == (200, {"message": "health check"})
    assert records_status == 200


def test_health_reports_the_sqlite_store_through_lambda(
    app: Runtime, http_event_factory: HttpEventFactory
) -> None:
    assert get(app, http_event_factory, "alb", "/health") == (
        200,
        {"status": "ok", "store": "sqlite"},
    )


# -- events it refuses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("empty", "top-level keys []"),
        ("cloudfront_viewer_request", "a CloudFront event"),
        ("s3", '"aws:s3"'),
        ("sns", '"aws:sns"'),
        ("dynamodb_stream", '"aws:dynamodb"'),
        ("eventbridge", "'detail-type'"),
    ],
)
def test_an_event_neither_sqs_nor_http_is_refused_naming_what_arrived(
    app: Runtime, name: str, named: str
) -> None:
    assert name in NEITHER_SQS_NOR_HTTP

    with pytest.raises(UnsupportedEventError) as caught:
        app(load_event(name), context())

    assert str(caught.value).startswith("unsupported event: ")
    assert named in str(caught.value)


@pytest.mark.parametrize(
    ("event", "named"),
    [([], "list"), ("Records", "str"), (None, "NoneType"), (42, "int")],
)
def test_an_event_that_is_not_a_json_object_is_refused_naming_its_type(
    app: Runtime, event: object, named: str
) -> None:
    with pytest.raises(UnsupportedEventError, match=f"got {named}$"):
        app(event, context())


# -- the real handler in a fresh interpreter -------------------------------------------------------

_INVOKE = """
import json, sys

before = set(sys.modules)
from triggersqs.lambda_handler import handler


class Context:
    aws_request_id = "req-" + sys.argv[2]

    def get_remaining_time_in_millis(self):
        return 30_000


event = json.load(sys.stdin)
response = handler(event, Context())
heavy = sorted(name for name in ("fastapi", "starlette", "mangum") if name in sys.modules)
loaded = {name.partition(".")[0] for name in set(sys.modules) - before}
packages = sorted(loaded - set(sys.stdlib_module_names))
with open(sys.argv[1], "w") as out:
    json.dump({"response": response, "imported": heavy, "packages": packages}, out)
"""

SQS_PATH_PACKAGES = ["pydantic_core", "pythonjsonlogger", "triggersqs", "typing_extensions"]
"""The only top-level packages an SQS batch on SQLite may load: the handler, the validator's
engine (pydantic-core, not pydantic's BaseModel machinery) and the JSON log formatter."""


HTTP_PATH_PACKAGES = [
    "anyio",
    "mangum",
    "orjson",
    "pydantic_core",
    "starlette",
    "triggersqs",
    "typing_extensions",
]
"""What a first page loads: the settings' validator, and the web stack (the lightest that runs
the same app under Mangum and uvicorn, and its JSON encoder); pydantic, for the OpenAPI document,
loads only when that is asked for, and the JSON log formatter on the first line logged."""


def invoke_fresh(
    event: dict[str, Any], tmp_path: Path, label: str, env: dict[str, str] | None = None
) -> tuple[Any, list[str], str, list[str]]:
    """Run ``triggersqs.lambda_handler.handler`` once in a new Python; its answer, which of
    FastAPI/Starlette/Mangum it imported, its stdout (the log lines), and every top-level
    package outside the standard library that it loaded."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERSQS_")}
    environ["TRIGGERSQS_SQLITE_PATH"] = str(tmp_path / "cold.db")
    environ.update(env or {})
    out = tmp_path / f"{label}.json"
    done = subprocess.run(
        [sys.executable, "-c", _INVOKE, str(out), label],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    return result["response"], result["imported"], done.stdout, result["packages"]


def test_an_sqs_invocation_does_not_import_the_web_stack_and_an_http_one_does(
    tmp_path: Path, sqs_event_factory: SqsEventFactory, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN a fresh interpreter (a cold start) WHEN the handler gets an SQS batch
    response, imported, stdout, _ = invoke_fresh(
        sqs_event_factory(valid(), "not json", message_ids=["m1", "m2"]), tmp_path, "sqs"
    )

    # THEN it answers without importing FastAPI, Starlette or Mangum
    assert response == {"batchItemFailures": []}
    assert imported == []
    # AND its log lines are JSON, tagged with the invocation id (the EMF line is checked below)
    lines = [json.loads(line) for line in stdout.splitlines()]
    lines = [line for line in lines if "_aws" not in line]
    summary = lines[-1]
    assert (summary["message"], summary["stored"], summary["rejected"]) == ("batch processed", 1, 1)
    assert all(line["request_id"] == "req-sqs" for line in lines)
    assert [line.get("message_id") for line in lines[:-1]] == ["m2"]

    # WHEN another cold start gets an HTTP request THEN the web stack is loaded (Starlette and
    # Mangum, not FastAPI: issue 15) and answers
    response, imported, _, _ = invoke_fresh(
        http_event_factory("function_url", "/records"), tmp_path, "http"
    )
    assert imported == ["mangum", "starlette"]
    assert response["statusCode"] == 200
    assert [m["message_id"] for m in json.loads(response["body"])["messages"].values()] == ["m1"]


def test_an_sqs_batch_on_sqlite_loads_only_the_budgeted_packages(
    tmp_path: Path, sqs_event_factory: SqsEventFactory
) -> None:
    # GIVEN a cold start WHEN the handler stores a batch in SQLite
    response, _, _, packages = invoke_fresh(
        sqs_event_factory(valid(), valid(), "not json"), tmp_path, "budget"
    )

    # THEN it loaded no package beyond its budget: no fastapi, starlette, mangum, pydantic (its
    # BaseModel machinery), boto3, uvicorn or moto
    assert response == {"batchItemFailures": []}
    assert packages == SQS_PATH_PACKAGES


def test_an_http_page_on_sqlite_loads_only_the_budgeted_packages(
    tmp_path: Path, sqs_event_factory: SqsEventFactory, http_event_factory: HttpEventFactory
) -> None:
    # GIVEN a store with a record
    invoke_fresh(sqs_event_factory(valid()), tmp_path, "fill")

    # WHEN a cold start serves a page of it
    response, _, _, packages = invoke_fresh(
        http_event_factory("api_gateway_rest_v1", "/records"), tmp_path, "http-budget"
    )

    # THEN it loaded the budgeted packages only: no FastAPI, no pydantic (the query checks are
    # pydantic-core's, issue 15), no JSON log formatter (nothing was logged)
    assert response["statusCode"] == 200
    assert packages == HTTP_PATH_PACKAGES


def test_each_sqs_invocation_writes_one_emf_line_in_the_configured_namespace(
    tmp_path: Path, sqs_event_factory: SqsEventFactory
) -> None:
    # GIVEN a cold start with a metrics namespace WHEN the handler gets a batch of three
    _, _, stdout, _ = invoke_fresh(
        sqs_event_factory(valid(), valid(), "not json"),
        tmp_path,
        "emf",
        {"TRIGGERSQS_METRICS_NAMESPACE": "shop/orders"},
    )

    # THEN stdout holds exactly one EMF record, valid by the specification, tagged with the
    # invocation, counting the batch as a cold start
    records = [line for line in stdout.splitlines() if '"_aws"' in line]
    assert len(records) == 1
    assert emf_problems(records[0]) == []
    record = json.loads(records[0])
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "shop/orders"
    assert (record["RecordsStored"], record["RecordsRejected"], record["ColdStart"]) == (2, 1, 1)
    assert record["request_id"] == "req-emf"


def test_metrics_off_writes_no_emf_line(tmp_path: Path, sqs_event_factory: SqsEventFactory) -> None:
    _, _, stdout, _ = invoke_fresh(
        sqs_event_factory(valid()), tmp_path, "off", {"TRIGGERSQS_METRICS": "off"}
    )

    assert stdout.strip()  # the log lines are still there
    assert '"_aws"' not in stdout
