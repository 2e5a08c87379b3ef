"""``triggersqs invoke`` as a user runs it (the installed script in a subprocess): the handler's
response to an SQS event and to an HTTP event on standard output, and the one line it prints for
an event file that is not JSON or not there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.events import http_event, sqs_event
from tests.support.stack import run_triggersqs


def invoke(event_file: Path | str, **env: str) -> subprocess.CompletedProcess[str]:
    """``triggersqs invoke`` as a user runs it, with a memory store (logs at INFO, on stderr)."""
    settings = {"TRIGGERSQS_STORE": "memory", "TRIGGERSQS_LOG_LEVEL": "INFO", **env}
    return run_triggersqs("invoke", str(event_file), env=settings)


def test_invoke_prints_the_handlers_response_to_an_sqs_event(tmp_path: Path) -> None:
    # GIVEN an SQS event file with a valid message and an invalid one, and invalid messages
    # configured to go back to the queue
    valid = json.dumps({"command": "SetStatus", "client_id": "c79da7ce8e5e"})
    event = sqs_event(valid, "not json", message_ids=["good-id", "bad-id"])
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    # WHEN it is invoked
    done = invoke(path, TRIGGERSQS_INVALID_MESSAGES="retry")
    # THEN it exits 0 and prints only the partial batch response naming the invalid one; the
    # processing logs go to standard error
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"batchItemFailures": [{"itemIdentifier": "bad-id"}]}
    assert '"batch processed"' in done.stderr


def test_invoke_prints_the_response_to_an_http_event(tmp_path: Path) -> None:
    # GIVEN a Function URL request for the health check
    path = tmp_path / "http.json"
    path.write_text(json.dumps(http_event("function_url", "/healthcheck")), encoding="utf-8")
    # WHEN it is invoked
    done = invoke(path)
    # THEN the printed response is the API's answer
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"message": "health check"}


def test_invoke_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    # GIVEN a file that is not JSON
    path = tmp_path / "event.json"
    path.write_text("Records: [oops", encoding="utf-8")
    # WHEN it is invoked
    done = invoke(path)
    # THEN it exits non-zero with one clear line naming the file, and no traceback
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.startswith(f"triggersqs: {path} is not JSON")
    assert "Traceback" not in done.stderr


def test_invoke_refuses_a_missing_file_with_one_clear_line(tmp_path: Path) -> None:
    # GIVEN a path where no file is
    path = tmp_path / "nowhere.json"
    # WHEN it is invoked
    done = invoke(path)
    # THEN it exits 2 with one line naming the file, and no traceback
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("triggersqs: ")
    assert str(path) in done.stderr


def test_invoke_refuses_an_event_nested_too_deep_with_one_line(tmp_path: Path) -> None:
    # GIVEN a file of 100,000 nested "[" (as a fuzzer or an attacker writes one)
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    # WHEN it is invoked
    done = invoke(path)
    # THEN it exits 2 with one line naming the file, and no traceback
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"triggersqs: {path} ")


def test_invoke_rejects_a_record_whose_body_is_nested_deep_and_stores_the_others(
    tmp_path: Path,
) -> None:
    # GIVEN an SQS event whose second record's body is a list nested 980 deep (json.loads'
    # own limit is about 1,000)
    valid = json.dumps({"command": "SetStatus", "client_id": "c79da7ce8e5e"})
    event = sqs_event(valid, "placeholder", message_ids=["good-id", "deep-id"])
    text = json.dumps(event).replace('"placeholder"', "[" * 980 + "]" * 980)
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    # WHEN it is invoked
    done = invoke(path)
    # THEN both are acknowledged: one stored, one rejected for its body
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"batchItemFailures": []}
    assert "body must be a string" in done.stderr
