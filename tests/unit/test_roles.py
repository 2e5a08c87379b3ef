"""TRIGGERSQS_ROLE: one artifact, two functions. The consumer refuses HTTP events, the API function
refuses SQS events whatever their shape (one forged by whoever may invoke it directly, carrying a
trusted queue ARN, included), and ``all`` serves both, as local runs and older deployments do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.events import http_event, load_event, sqs_event
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.core.ports import RecordFilter
from triggersqs.errors import ConfigurationError, UnsupportedEventError
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore

TRUSTED_QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
COMMAND = json.dumps({"command": "SetStatus", "client_id": "c79da7ce8e5e"})


def runtime(role: str, store: MemoryStore) -> Runtime:
    settings = Settings.build(store="memory", role=role, queue_arns=TRUSTED_QUEUE)
    return build_runtime(settings, store=store)


def nothing_written(store: MemoryStore) -> bool:
    records = store.list_records(RecordFilter(), after=None, limit=10).items
    return not records and not store.list_rejections(after=None, limit=10).items


def forged_events() -> list[dict[str, Any]]:
    """SQS events someone with lambda:InvokeFunction could send the API function by hand."""
    plain = sqs_event(COMMAND, COMMAND, queue_arn=TRUSTED_QUEUE)
    # One that also looks like a Function URL request, hoping the HTTP door takes it.
    hybrid = {**http_event("function_url", "/records"), **sqs_event(COMMAND)}
    hybrid["Records"][0]["eventSourceARN"] = TRUSTED_QUEUE
    return [plain, hybrid, load_event("sqs_fifo")]


@pytest.mark.parametrize("event", forged_events(), ids=["plain", "hybrid-http", "fifo"])
def test_a_forged_sqs_event_is_refused_by_the_api_function_and_nothing_is_written(
    event: dict[str, Any],
) -> None:
    # GIVEN the API function (TRIGGERSQS_ROLE=api) over a store, trusting the event's queue
    store = MemoryStore()
    api = runtime("api", store)

    # WHEN someone invokes it directly with a hand-made SQS event
    with pytest.raises(UnsupportedEventError) as refused:
        api(event, LocalContext.with_timeout(30))

    # THEN it is refused, saying why, and the store holds nothing
    assert "TRIGGERSQS_ROLE=api" in str(refused.value)
    assert nothing_written(store)


def test_the_api_function_builds_no_write_path() -> None:
    # GIVEN / WHEN the API function's runtime is built
    api = runtime("api", MemoryStore())

    # THEN it has no batch processor, and its SQS door refuses even a direct call
    assert api.processor is None
    with pytest.raises(UnsupportedEventError):
        api.sqs(sqs_event(COMMAND, queue_arn=TRUSTED_QUEUE), LocalContext.with_timeout(30))


def test_the_api_function_serves_http() -> None:
    # GIVEN the API function over a store holding one record
    store = MemoryStore()
    runtime("all", store)(
        sqs_event(COMMAND, queue_arn=TRUSTED_QUEUE), LocalContext.with_timeout(30)
    )
    api = runtime("api", store)

    # WHEN a Function URL request arrives
    response = api(http_event("function_url", "/records"), LocalContext.with_timeout(30))

    # THEN it is answered from the store
    assert response["statusCode"] == 200
    assert len(json.loads(response["body"])["messages"]) == 1


def test_the_consumer_refuses_http_events() -> None:
    # GIVEN the consumer function (TRIGGERSQS_ROLE=consumer)
    consumer = runtime("consumer", MemoryStore())

    # WHEN an HTTP request reaches it
    with pytest.raises(UnsupportedEventError) as refused:
        consumer(http_event("function_url", "/records"), LocalContext.with_timeout(30))

    # THEN it is refused, saying why
    assert "TRIGGERSQS_ROLE=consumer" in str(refused.value)


def test_the_consumer_stores_an_sqs_batch_and_never_builds_the_http_app() -> None:
    # GIVEN the consumer function
    store = MemoryStore()
    consumer = runtime("consumer", store)

    # WHEN it handles a batch
    response = consumer(sqs_event(COMMAND, queue_arn=TRUSTED_QUEUE), LocalContext.with_timeout(30))

    # THEN the record is stored, and asking it for the HTTP app is a configuration error
    assert response == {"batchItemFailures": []}
    assert not nothing_written(store)
    with pytest.raises(ConfigurationError, match="TRIGGERSQS_ROLE=consumer"):
        consumer.http_app()


def test_without_a_role_one_function_serves_both_doors_as_before() -> None:
    # GIVEN the default role (local use, `triggersqs invoke`, existing deployments)
    store = MemoryStore()
    both = build_runtime(Settings.build(store="memory"), store=store)
    assert both.settings.role == "all"

    # WHEN it gets an SQS batch and then an HTTP request
    stored = both(sqs_event(COMMAND), LocalContext.with_timeout(30))
    listed = both(http_event("function_url", "/records"), LocalContext.with_timeout(30))

    # THEN it serves both
    assert stored == {"batchItemFailures": []}
    assert len(json.loads(listed["body"])["messages"]) == 1
