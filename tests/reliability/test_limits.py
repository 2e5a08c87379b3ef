"""Limits: over-large message bodies are rejected with their reason and kept; a page above 1000
is refused; a page that would pass Lambda's 6 MB response limit is shortened and its cursor goes
on from there; `triggersqs serve` keeps its memory bounded whatever the size of the store."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.events import http_event
from tests.support.factories import QUEUE_ARN, new_record, sqs_event, sqs_record
from tests.support.figures import Figures
from tests.support.servers import BIN, free_port, wait_until_answering
from tests.support.serving import uvicorn_in_thread
from triggersqs.bootstrap import Runtime, build_app, build_runtime
from triggersqs.core.records import MAX_KEPT_REJECTED_BODY_BYTES
from triggersqs.local.context import LocalContext
from triggersqs.settings import MAX_SQS_BODY_BYTES, Settings
from triggersqs.storage.sqlite import SqliteStore

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Runtime]:
    made = build_runtime(Settings.build(store="sqlite", sqlite_path=str(tmp_path / "t.db")))
    yield made
    made.store.close()


def valid_body_of(size: int, filler: str = "x") -> str:
    """A valid message body of exactly ``size`` UTF-8 bytes."""
    head = json.dumps({"command": "SetStatus", "client_id": "c", "note": ""})
    return head[:-2] + filler * (size - len(head)) + '"}'


def test_a_body_over_the_limit_is_rejected_with_its_size_and_kept_up_to_the_cap(
    app: Runtime, figures: Figures
) -> None:
    # GIVEN a batch with a body of exactly the limit and one a byte over it
    at_limit = valid_body_of(MAX_SQS_BODY_BYTES)
    over = valid_body_of(MAX_SQS_BODY_BYTES + 1)
    event = sqs_event(sqs_record(at_limit), sqs_record(over))
    first, second = (record["messageId"] for record in event["Records"])

    # WHEN the handler gets it
    response = app(event, LocalContext.with_timeout(30))

    # THEN the first is stored, the second rejected with its size, and served up to the cap
    # with its whole size and SHA-256
    assert response == {"batchItemFailures": []}
    assert app.store.get_record(first) is not None
    with uvicorn_in_thread(build_app(app.settings, app.store)) as url:
        rejected = httpx.get(f"{url}/rejected/{second}", timeout=30).json()
        listing = httpx.get(f"{url}/rejected", timeout=30).json()["rejected"]
    assert rejected["reason"] == (
        f"body is {MAX_SQS_BODY_BYTES + 1} bytes, above the limit of {MAX_SQS_BODY_BYTES} bytes"
    )
    assert rejected["body"] == over[:MAX_KEPT_REJECTED_BODY_BYTES]
    assert rejected["body_bytes"] == MAX_SQS_BODY_BYTES + 1
    assert rejected["body_truncated"] is True
    assert rejected["body_sha256"] == hashlib.sha256(over.encode()).hexdigest()
    assert [r["body_truncated"] for r in listing.values()] == [True]
    figures.add("limits", oversized_bodies_rejected=1, at_limit_stored=1)


@pytest.mark.parametrize("limit", ["1001", "5000", "0", "-1"])
def test_a_page_size_outside_1_to_1000_is_refused_with_a_reason(
    app: Runtime, limit: str, figures: Figures
) -> None:
    response = app(http_event("http_api_v2", "/records", query={"limit": limit}), None)  # type: ignore[arg-type]

    assert response["statusCode"] == 422
    assert "limit" in json.loads(response["body"])["message"]
    figures.add("limits", page_sizes_refused=1)


@pytest.mark.slow
def test_a_page_over_lambdas_6_mb_is_shortened_and_its_cursor_goes_on_from_there(
    app: Runtime, figures: Figures
) -> None:
    # GIVEN 1,000 records whose 4 KiB previews are quotes: 16 KiB each once Lambda wraps them
    total = 1000
    body = valid_body_of(8192, '\\"')
    app.store.save([new_record(body_text=body) for _ in range(total)])

    # WHEN every page of 1,000 is read through the Lambda function's HTTP path
    seen: list[str] = []
    sizes: list[int] = []
    positions: list[int] = []
    query = {"limit": "1000"}
    while True:
        response: dict[str, Any] = app(http_event("function_url", "/records", query=query), None)  # type: ignore[arg-type]
        assert response["statusCode"] == 200
        sizes.append(len(json.dumps(response).encode()))
        page = json.loads(response["body"])
        positions.extend(int(key) for key in page["messages"])
        seen.extend(record["message_id"] for record in page["messages"].values())
        if page["next_cursor"] is None:
            break
        query = {"limit": "1000", "cursor": page["next_cursor"]}

    # THEN each response fits in 6 MB, more than one page was needed, and every record came once
    assert max(sizes) <= LAMBDA_RESPONSE_LIMIT
    assert len(sizes) > 1
    assert positions == list(range(total))
    assert len(set(seen)) == total
    figures.add("limits", shortened_pages=len(sizes) - 1, largest_response_bytes=max(sizes))


def test_one_rejected_body_of_control_characters_is_served_under_lambdas_6_mb(
    app: Runtime, figures: Figures
) -> None:
    # GIVEN a 1 MiB body of control characters, rejected (7 MiB once JSON and Lambda escape it)
    body = "\x01" * MAX_SQS_BODY_BYTES
    event = sqs_event(sqs_record(body, message_id="controls"))
    assert app(event, LocalContext.with_timeout(30)) == {"batchItemFailures": []}

    # WHEN it is read through the Lambda function's HTTP path
    response: dict[str, Any] = app(
        http_event("function_url", "/rejected/controls"), LocalContext.with_timeout(30)
    )

    # THEN the response fits, and says how much of the body it carries, and of what whole
    assert response["statusCode"] == 200
    size = len(json.dumps(response).encode())
    assert size <= LAMBDA_RESPONSE_LIMIT
    served = json.loads(response["body"])
    assert served["body_truncated"] is True
    assert served["body_bytes"] == MAX_SQS_BODY_BYTES
    assert served["body_sha256"] == hashlib.sha256(body.encode()).hexdigest()
    assert body.startswith(served["body"])
    figures.add("limits", control_body_response_bytes=size)


# -- memory ----------------------------------------------------------------------------------------

BODY_CHARS = 32 * 1024


def fill(path: Path, records: int) -> None:
    store = SqliteStore(path, synchronous="normal")
    note = "é" * (BODY_CHARS // 2)
    for start in range(0, records, 500):
        store.save(
            [
                new_record(
                    "SetStatus",
                    f"c{n % 7}",
                    body_text=json.dumps(
                        {"command": "SetStatus", "client_id": f"c{n % 7}", "note": note},
                        ensure_ascii=False,
                    ),
                    queue_arn=QUEUE_ARN,
                )
                for n in range(start, min(start + 500, records))
            ]
        )
    store.close()


def peak_rss_serving(path: Path) -> tuple[int, int]:
    """Serve ``path`` with `triggersqs serve`, read every page (1000 per page, and filtered) and
    some whole records; the server's peak resident memory in KiB, and the records it served."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TRIGGERSQS_SQLITE_PATH": str(path), "TRIGGERSQS_LOG_LEVEL": "ERROR"}
    process = subprocess.Popen(
        [str(BIN / "triggersqs"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    walked = 0
    try:
        wait_until_answering(f"{url}/healthcheck", process)
        with httpx.Client(base_url=url, timeout=60) as client:
            for query in ({}, {"client_id": "c3"}, {"command": "SetStatus", "client_id": "c1"}):
                params: dict[str, str | int] = {**query, "limit": 1000}
                while True:
                    page = client.get("/records", params=params).json()
                    walked += len(page["messages"])
                    ids = [r["message_id"] for r in page["messages"].values()]
                    for message_id in ids[:3]:
                        assert client.get(f"/records/{message_id}").status_code == 200
                    if page["next_cursor"] is None:
                        break
                    params["cursor"] = page["next_cursor"]
        # VmHWM: the peak resident size of the server's own memory since it started (its exec);
        # ru_maxrss would also count the test process's memory from before the exec.
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak_kib = int(
            next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    return peak_kib, walked


@pytest.mark.slow
def test_serving_pages_keeps_memory_bounded_whatever_the_number_of_records(
    tmp_path: Path, soak: bool, figures: Figures
) -> None:
    # GIVEN two stores of 32 KiB bodies, one eight (soak: thirty-two) times the other
    small_count, large_count = (500, 16_000) if soak else (500, 4_000)
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    fill(small, small_count)
    fill(large, large_count)

    # WHEN `triggersqs serve` walks every page of each
    small_peak, small_walked = peak_rss_serving(small)
    large_peak, large_walked = peak_rss_serving(large)

    # THEN the server's peak memory grows by far less than the data it served
    grown_mib = (large_peak - small_peak) / 1024
    data_mib = (large.stat().st_size - small.stat().st_size) / 2**20
    figures.add(
        "memory",
        small_records=small_count,
        large_records=large_count,
        small_peak_rss_mib=small_peak // 1024,
        large_peak_rss_mib=large_peak // 1024,
        store_grew_mib=int(data_mib),
    )
    assert small_walked > small_count
    assert large_walked > large_count
    assert data_mib > 100
    assert grown_mib < 40, f"peak RSS grew {grown_mib:.0f} MiB for {data_mib:.0f} MiB more data"
