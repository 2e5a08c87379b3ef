"""The console's own endpoints (local/console/) under a real uvicorn, over the embedded SQS
server: the counts, the DLQ and its redrive; what a foreign web page cannot make them do; and
that the Lambda HTTP path has none of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.test_sqs_redrive import dead_letter, into_dlq
from tests.support.events import HttpEventFactory
from tests.support.factories import body, envelope
from tests.support.lambda_context import FakeLambdaContext
from tests.support.serving import uvicorn_in_thread
from tests.support.sqs import counts, send_bodies, sqs_client, sqs_server
from tests.support.waiting import wait_for
from triggersqs.bootstrap import build_runtime
from triggersqs.core.outcomes import BatchReport, Outcome, RecordResult
from triggersqs.local.console import Console
from triggersqs.local.console.queues import QueueWatch
from triggersqs.local.console.tally import OutcomeTally
from triggersqs.local.server import served_app
from triggersqs.local.sqs_wire import QueueInfo
from triggersqs.settings import Settings
from triggersqs.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

KEY = "console-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
EVIL = "http://evil.example"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def sqs() -> Iterator[SQSClient]:
    with sqs_server() as url:
        client = sqs_client(url)
        yield client
        client.close()


@dataclass
class Served:
    """The console of a dev-like app over a queue and its DLQ, and a client of it."""

    api: httpx.Client
    queue: QueueInfo
    dlq: QueueInfo
    tally: OutcomeTally

    def state(self, **headers: str) -> dict[str, Any]:
        answer = self.api.get("/console/api/state", headers=headers)
        assert answer.status_code == 200, answer.text
        state: dict[str, Any] = answer.json()
        return state


@contextmanager
def console_over(
    sqs: SQSClient, tmp_path: Path, *, api_key: str | None = None, mode: str = "dev"
) -> Iterator[Served]:
    dlq, (queue,) = dead_letter(sqs)
    tally = OutcomeTally()
    endpoint = sqs.meta.endpoint_url
    watch = QueueWatch(lambda: sqs_client(endpoint), queue, dlq)
    console = Console(mode, tally=tally, queues=watch) if mode == "dev" else Console(mode)
    store = SqliteStore(tmp_path / "console.db")
    keyed = {"api_key": api_key} if api_key else {}
    app = served_app(
        Settings.build(sqlite_path=str(tmp_path / "console.db"), **keyed),
        store,
        console=console,
    )
    try:
        with uvicorn_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as api:
            yield Served(api, queue, dlq, tally)
    finally:
        store.close()


@pytest.fixture
def served(sqs: SQSClient, tmp_path: Path) -> Iterator[Served]:
    with console_over(sqs, tmp_path) as served:
        yield served


def test_the_state_has_the_queue_counts_the_dlq_depth_and_the_outcome_counts(
    sqs: SQSClient, served: Served
) -> None:
    # GIVEN two dead letters, and in the queue one visible, one in flight and one delayed message
    into_dlq(sqs, served.queue, ["dead 1", "dead 2"])
    send_bodies(sqs, served.queue.url, ["one", "two"])
    sqs.send_message(QueueUrl=served.queue.url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=served.queue.url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    # AND a batch the processor reported to the observer
    results = [RecordResult("a", Outcome.STORED), RecordResult("b", Outcome.REJECTED)]
    served.tally.batch_processed([envelope(), envelope()], BatchReport(results))

    # WHEN the page asks for the state
    state = served.state()

    # THEN it has the counts SQS reports and the observer's outcome counts
    assert {k: state["queue"][k] for k in ("visible", "in_flight", "delayed")} == {
        "visible": 1,
        "in_flight": 1,
        "delayed": 1,
    }
    assert state["queue"]["name"] == served.queue.url.rpartition("/")[2]
    assert state["dlq"]["visible"] == 2
    assert state["outcomes"] == {"stored": 1, "duplicate": 0, "rejected": 1, "failed": 0}
    assert state["rate_per_second"] > 0
    assert state["mode"] == "dev"
    assert state["redrive"] is None


def test_the_dlq_listing_shows_the_waiting_messages_and_leaves_them_there(
    sqs: SQSClient, served: Served
) -> None:
    # GIVEN two dead letters
    ids = into_dlq(sqs, served.queue, [body(client_id="dead1"), "not json"])

    # WHEN the page lists the DLQ
    answer = served.api.get("/console/api/dlq")

    # THEN each shows with its body and the queue it came from
    assert answer.status_code == 200
    messages = {m["message_id"]: m for m in answer.json()["messages"]}
    assert set(messages) == set(ids)
    assert {m["body"] for m in messages.values()} == {body(client_id="dead1"), "not json"}
    assert {m["source"] for m in messages.values()} == {served.queue.url.rpartition("/")[2]}
    # AND they are all still there, visible
    assert counts(sqs, served.dlq.url).visible == 2


def test_the_redrive_button_moves_the_dead_letters_back_with_the_dlq_commands_redrive(
    sqs: SQSClient, served: Served
) -> None:
    # GIVEN three dead letters
    into_dlq(sqs, served.queue, ["a", "b", "c"])

    # WHEN the page starts a redrive
    started = served.api.post("/console/api/redrive", json={})

    # THEN it is accepted, and the state follows it to its end: StartMessageMoveTask moved 3
    assert started.status_code == 202, started.text
    wait_for(lambda: not served.state()["redrive"]["running"], 20, "the redrive to end")
    redrive = served.state()["redrive"]
    assert (redrive["method"], redrive["status"], redrive["moved"]) == (
        "StartMessageMoveTask",
        "COMPLETED",
        3,
    )
    assert redrive["error"] is None
    # AND the messages are back in their queue, none left in the DLQ
    assert counts(sqs, served.dlq.url).visible == 0
    assert counts(sqs, served.queue.url).visible == 3


def evil_requests(api: httpx.Client) -> dict[str, httpx.Response]:
    """What a foreign page, or a page on a rebound DNS name, could try."""
    return {
        "a text/plain POST, as a form or a no-cors fetch sends it": api.post(
            "/console/api/redrive", content="{}", headers={"Content-Type": "text/plain"}
        ),
        "a JSON POST from another origin": api.post(
            "/console/api/redrive", json={}, headers={"Origin": EVIL}
        ),
        "a JSON POST from another port of localhost": api.post(
            "/console/api/redrive", json={}, headers={"Origin": "http://localhost:1"}
        ),
        "a cross-site fetch of the DLQ": api.get(
            "/console/api/dlq", headers={"Sec-Fetch-Site": "cross-site"}
        ),
        "a rebound DNS name reading the DLQ": api.get(
            "/console/api/dlq", headers={"Host": "evil.example"}
        ),
        "a rebound DNS name starting a redrive": api.post(
            "/console/api/redrive", json={}, headers={"Host": "evil.example:80"}
        ),
    }


def test_no_foreign_page_can_start_a_redrive_or_read_the_dlq(
    sqs: SQSClient, served: Served
) -> None:
    # GIVEN a dead letter
    into_dlq(sqs, served.queue, ["stay"])

    # WHEN foreign pages try what they can
    answers = evil_requests(served.api)

    # THEN each is refused with a JSON message, and the message stays in the DLQ
    for what, answer in answers.items():
        assert answer.status_code in {403, 415}, what
        assert answer.json()["message"], what
    assert answers["a text/plain POST, as a form or a no-cors fetch sends it"].status_code == 415
    assert counts(sqs, served.dlq.url).visible == 1
    assert served.state()["redrive"] is None


def test_a_preflight_from_another_origin_gets_no_cors_grant(served: Served) -> None:
    # WHEN a foreign page asks leave to POST JSON
    answer = served.api.options(
        "/console/api/redrive",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    # THEN no grant comes back, so the browser never sends the POST
    assert answer.status_code >= 400
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)


def test_a_post_of_the_pages_own_origin_is_accepted(sqs: SQSClient, served: Served) -> None:
    # GIVEN the console reached at localhost, as a browser on this machine does
    port = served.api.base_url.port
    own = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}

    # WHEN the page posts the redrive with its own Origin and Sec-Fetch-Site
    answer = served.api.post(
        "/console/api/redrive", json={}, headers={**own, "Sec-Fetch-Site": "same-origin"}
    )

    # THEN it is accepted
    assert answer.status_code == 202, answer.text
    wait_for(lambda: not served.state()["redrive"]["running"], 20, "the redrive to end")


def test_with_an_api_key_the_console_endpoints_need_it_and_the_page_shows_no_data(
    sqs: SQSClient, tmp_path: Path
) -> None:
    with console_over(sqs, tmp_path, api_key=KEY) as served:
        api = served.api
        # WHEN the page starts without the key
        hello = api.get("/console/api/hello")
        page = api.get("/")

        # THEN it learns that it must ask for the key, and gets nothing else
        assert hello.json() == {"mode": "dev", "api_key": True}
        assert page.status_code == 200
        for path in ("/console/api/state", "/console/api/dlq", "/records"):
            assert api.get(path).status_code == 401, path
        assert api.post("/console/api/redrive", json={}).status_code == 401
        # AND with the key as a Bearer header, the data comes
        keyed = {"Authorization": f"Bearer {KEY}"}
        assert served.state(**keyed)["queue"]["visible"] == 0


def test_serve_says_it_watches_no_queue(sqs: SQSClient, tmp_path: Path) -> None:
    with console_over(sqs, tmp_path, mode="serve") as served:
        # WHEN the page of `serve` asks for the state, the DLQ and a redrive
        state = served.state()
        dlq = served.api.get("/console/api/dlq")
        redrive = served.api.post("/console/api/redrive", json={})

    # THEN it has no queue and no outcome counts, and the DLQ calls say why, as JSON 404s
    assert (state["mode"], state["queue"], state["dlq"], state["outcomes"]) == (
        "serve",
        None,
        None,
        None,
    )
    assert dlq.status_code == redrive.status_code == 404
    assert "watches no queue" in dlq.json()["message"]


def test_the_page_and_its_files_come_from_the_package_with_a_strict_policy(
    served: Served,
) -> None:
    # WHEN a browser loads the page and its files
    page = served.api.get("/")
    script = served.api.get("/console/console.js")
    style = served.api.get("/console/console.css")

    # THEN they are the packaged files, loading nothing from elsewhere and never framed
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="console/console.js"' in page.text
    assert "http" not in page.text.replace('name="viewport"', "")  # no CDN
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'const ORDER = "desc"' in script.text
    assert style.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("path", ["/", "/console/console.js", "/console/api/state"])
def test_the_lambda_http_path_has_no_console(
    tmp_path: Path, http_event_factory: HttpEventFactory, path: str
) -> None:
    # GIVEN the Lambda runtime, as the API function builds it
    runtime = build_runtime(Settings.build(sqlite_path=str(tmp_path / "l.db")))

    # WHEN a request for the console arrives through the HTTP door
    response = runtime(http_event_factory("function_url", path), FakeLambdaContext())

    # THEN there is no such route
    assert response["statusCode"] == 404
    runtime.close()
