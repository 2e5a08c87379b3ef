"""Prometheus metrics of ``serve`` (local/http_metrics.py) under a real uvicorn, and of the
worker's pollers (local/worker_metrics.py) against the embedded SQS server; /metrics is never on
the Lambda path."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.events import HttpEventFactory
from tests.support.factories import QUEUE_ARN, body, envelope, new_record
from tests.support.fakes import RecordingHandler
from tests.support.serving import uvicorn_in_thread
from tests.support.sqs import create_queue, sqs_client, sqs_server
from triggersqs.bootstrap import build_app, build_runtime
from triggersqs.core.outcomes import BatchReport, Outcome, RecordResult
from triggersqs.local.http_metrics import add_metrics
from triggersqs.local.poller import Poller, PollerSettings
from triggersqs.local.worker_metrics import WorkerMetrics
from triggersqs.settings import Settings
from triggersqs.storage.sqlite import SqliteStore

KEY = "metrics-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_serve_counts_requests_by_route_and_status_and_times_them(tmp_path: Path) -> None:
    # GIVEN the API with its metrics, over a store with one record
    store = SqliteStore(tmp_path / "s.db")
    record = new_record()
    store.save([record])
    app = build_app(Settings.build(sqlite_path=str(tmp_path / "s.db")), store)
    add_metrics(app, api_key=None)
    with uvicorn_in_thread(app) as url, httpx.Client(base_url=url) as api:
        # WHEN it answers a few requests
        for _ in range(2):
            assert api.get("/records").status_code == 200
        assert api.get(f"/records/{record.envelope.message_id}").status_code == 200
        assert api.get("/records/nope").status_code == 404
        assert api.get("/no/such/route").status_code == 404
        page = api.get("/metrics")

    # THEN /metrics counts them by route template (not by id), method and status, with latency
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    got = samples(page.text)

    def count(route: str, status: str) -> float:
        labels = (("method", "GET"), ("route", route), ("status", status))
        return got.get(("triggersqs_http_requests_total", labels), 0)

    assert count("/records", "200") == 2
    assert count("/records/{message_id}", "200") == 1
    assert count("/records/{message_id}", "404") == 1
    assert count("(unmatched)", "404") == 1
    latency = (("method", "GET"), ("route", "/records"), ("status", "200"))
    assert got[("triggersqs_http_request_duration_seconds_count", latency)] == 2
    store.close()


def test_metrics_need_the_api_key_when_one_is_set(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    app = build_app(Settings.build(sqlite_path=str(tmp_path / "s.db"), api_key=KEY), store)
    add_metrics(app, api_key=KEY)
    with uvicorn_in_thread(app) as url, httpx.Client(base_url=url) as api:
        assert api.get("/metrics").status_code == 401
        keyed = api.get("/metrics", headers={"Authorization": f"Bearer {KEY}"})
        assert keyed.status_code == 200
        assert "triggersqs_http_requests_total" in keyed.text
    store.close()


def test_the_lambda_http_path_has_no_metrics_route(
    tmp_path: Path, http_event_factory: HttpEventFactory
) -> None:
    runtime = build_runtime(Settings.build(sqlite_path=str(tmp_path / "l.db")))

    class Context:
        aws_request_id = "metrics"

        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    response = runtime(http_event_factory("function_url", "/metrics"), Context())

    assert response["statusCode"] == 404
    runtime.close()


def test_worker_metrics_count_outcomes_batches_and_the_oldest_age() -> None:
    metrics = WorkerMetrics(wall_clock=lambda: 1_764_000_010.0)
    first = envelope(body(), queue_arn=QUEUE_ARN, sent_at_ms=1_764_000_000_000)
    second = envelope("bad", queue_arn=QUEUE_ARN, sent_at_ms=1_764_000_005_000)
    report = BatchReport(
        [
            RecordResult(first.message_id, Outcome.STORED),
            RecordResult(second.message_id, Outcome.REJECTED, "bad", acknowledged=False),
        ],
        duration_ms=12.0,
    )

    metrics.batch_processed([first, second], report)

    from prometheus_client import generate_latest

    got = samples(generate_latest(metrics.registry).decode())
    assert got[("triggersqs_records_total", (("outcome", "stored"),))] == 1
    assert got[("triggersqs_records_total", (("outcome", "rejected"),))] == 1
    assert got[("triggersqs_records_total", (("outcome", "failed"),))] == 0
    assert got[("triggersqs_records_returned_to_queue_total", ())] == 1
    assert got[("triggersqs_batches_total", ())] == 1
    assert got[("triggersqs_oldest_message_age_seconds", ())] == 10.0


def test_a_poller_counts_failed_receives_and_messages_in_hand() -> None:
    with sqs_server() as endpoint:
        sqs = sqs_client(endpoint)
        queue = create_queue(sqs)
        metrics = WorkerMetrics()
        sqs.send_message(QueueUrl=queue.url, MessageBody="in hand")

        def look(event: object, context: object) -> None:
            # while the handler runs, the message is in flight
            in_flight.append(samples(_page(metrics))[("triggersqs_messages_in_flight", ())])

        in_flight: list[float] = []
        handler = RecordingHandler({"batchItemFailures": []}, during=look)
        poller = Poller(sqs, queue, handler, PollerSettings(wait_time=0), events=metrics)
        metrics.watch([poller])
        poller.poll_once()
        sqs.delete_queue(QueueUrl=queue.url)
        poller.poll_once()  # the queue is gone: the receive fails

        got = samples(_page(metrics))
        assert in_flight == [1]
        assert got[("triggersqs_messages_in_flight", ())] == 0
        assert got[("triggersqs_poll_errors_total", ())] == 1
        sqs.close()


def _page(metrics: WorkerMetrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()
