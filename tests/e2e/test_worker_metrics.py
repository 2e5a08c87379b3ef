"""``triggersqs worker --metrics-port`` as a process: Prometheus metrics of what it consumed from
the dev stack's queue, on loopback; a busy port is one line and exit 2."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import free_port
from tests.support.sqs import send_bodies
from tests.support.stack import body, dev_stack, run_triggersqs, worker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def scrape(port: int) -> dict[str, float]:
    """Each sample as ``name{label=value}`` -> value (no labels: the bare name)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
            text = page.read().decode()
    except OSError:
        return {}
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def test_a_worker_serves_what_it_consumed_as_prometheus_metrics(tmp_path: Path) -> None:
    port = free_port()
    with (
        dev_stack(tmp_path, "--concurrency", "0") as stack,
        worker(stack, tmp_path, "--metrics-port", str(port)),
    ):
        # WHEN three valid messages and one invalid are consumed
        send_bodies(stack.sqs(), stack.queue_url, [body("a"), body("b"), body("c"), "not json"])
        wait_for(
            lambda: scrape(port).get("triggersqs_records_total{outcome=stored}") == 3,
            30,
            "three stored records counted",
        )

        # THEN the metrics count them by outcome, with batches, and no errors
        got = scrape(port)
        assert got["triggersqs_records_total{outcome=rejected}"] == 1
        assert got["triggersqs_records_total{outcome=failed}"] == 0
        assert got["triggersqs_batches_total"] >= 1
        assert got["triggersqs_poll_errors_total"] == 0
        assert got["triggersqs_delete_errors_total"] == 0
        assert got["triggersqs_messages_in_flight"] == 0
        assert 0 <= got["triggersqs_oldest_message_age_seconds"] < 60
        assert got["triggersqs_batch_duration_seconds_count"] >= 1


def test_a_busy_metrics_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy, dev_stack(tmp_path, "--concurrency", "0") as stack:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_triggersqs(
            "worker",
            "--queue-url",
            stack.queue_url,
            "--endpoint-url",
            stack.endpoint,
            "--metrics-port",
            str(port),
            "--wait-time",
            "1",
            env={
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": "us-east-1",
            },
            cwd=tmp_path,
        )
        assert done.returncode == 2
        assert done.stderr.startswith(f"triggersqs: cannot serve metrics on 127.0.0.1:{port}")
        assert done.stderr.count("\n") == 1
