"""Message validation: what a body must be to be stored, and the reason given when it is not."""

from __future__ import annotations

import json

import pytest

from triggersqs.core.message import MAX_FIELD_CHARS, Invalid, parse_body

ONE_MIB = 1_048_576


def reason_for(body: str, max_bytes: int = ONE_MIB) -> str:
    """The rejection reason of ``body``; fails the test if the body is accepted."""
    result = parse_body(body, max_bytes)
    assert isinstance(result, Invalid), f"expected a rejection, got {result!r}"
    return result.reason


# -- accepted --------------------------------------------------------------------------------------


def test_a_body_with_command_and_client_id_is_a_message() -> None:
    # GIVEN the command from the design document
    body = '{"command": "SetStatus", "client_id": "c79da7ce8e5e"}'

    # WHEN it is parsed
    message = parse_body(body, ONE_MIB)

    # THEN both fields come back as given
    assert message == {"command": "SetStatus", "client_id": "c79da7ce8e5e"}


def test_extra_fields_are_accepted() -> None:
    body = json.dumps({"command": "SetStatus", "client_id": "c1", "status": {"on": True}, "n": 3})

    message = parse_body(body, ONE_MIB)

    assert not isinstance(message, Invalid)
    assert (message["command"], message["client_id"]) == ("SetStatus", "c1")


@pytest.mark.parametrize(
    "text",
    ["x" * MAX_FIELD_CHARS, "é" * MAX_FIELD_CHARS, "😀" * MAX_FIELD_CHARS, "中" * MAX_FIELD_CHARS],
    ids=["ascii", "two-byte", "four-byte", "three-byte"],
)
def test_fields_of_256_characters_are_accepted_whatever_their_size_in_bytes(text: str) -> None:
    # GIVEN fields of exactly 256 characters, up to 1024 UTF-8 bytes each
    body = json.dumps({"command": text, "client_id": text}, ensure_ascii=False)

    # WHEN parsed THEN the limit counts characters, not bytes
    assert parse_body(body, ONE_MIB) == {"command": text, "client_id": text}


def test_fields_written_as_json_escapes_count_as_the_characters_they_stand_for() -> None:
    # "\u00e9" is six characters of JSON but one character of the field
    body = json.dumps({"command": "é" * MAX_FIELD_CHARS, "client_id": "c"}, ensure_ascii=True)

    assert parse_body(body, ONE_MIB) == {"command": "é" * MAX_FIELD_CHARS, "client_id": "c"}


def test_a_body_of_exactly_the_byte_limit_is_accepted() -> None:
    body = json.dumps({"command": "SetStatus", "client_id": "c1", "pad": ""})
    body = body.replace('""', '"' + "x" * (100 - len(body)) + '"')
    assert len(body.encode()) == 100

    assert parse_body(body, 100) == {"command": "SetStatus", "client_id": "c1"}


# -- rejected --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["Test message.", "", "{", '{"command": "a", "client_id": "b"} trailing', "\ufeff{}"],
    ids=["text", "empty", "unclosed", "trailing", "byte-order-mark"],
)
def test_a_body_that_is_not_json_is_rejected(body: str) -> None:
    assert reason_for(body).startswith("body is not valid JSON")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "12", "true", "null"])
def test_a_json_body_that_is_not_an_object_is_rejected(body: str) -> None:
    assert reason_for(body) == "body is not a JSON object"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{}", "command: Field required; client_id: Field required"),
        ('{"command": "SetStatus"}', "client_id: Field required"),
        ('{"client_id": "c1"}', "command: Field required"),
    ],
)
def test_a_missing_field_is_named_in_the_reason(body: str, reason: str) -> None:
    assert reason_for(body) == reason


@pytest.mark.parametrize("field", ["command", "client_id"])
def test_an_empty_field_is_rejected(field: str) -> None:
    fields = {"command": "SetStatus", "client_id": "c1", field: ""}

    assert reason_for(json.dumps(fields)) == f"{field}: String should have at least 1 character"


@pytest.mark.parametrize("field", ["command", "client_id"])
@pytest.mark.parametrize("char", ["x", "é", "😀"])
def test_a_field_of_257_characters_is_rejected(field: str, char: str) -> None:
    fields = {"command": "SetStatus", "client_id": "c1", field: char * (MAX_FIELD_CHARS + 1)}

    reason = reason_for(json.dumps(fields, ensure_ascii=False))

    assert reason == f"{field}: String should have at most 256 characters"


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["SetStatus"], {"name": "SetStatus"}])
@pytest.mark.parametrize("field", ["command", "client_id"])
def test_a_field_that_is_not_a_json_string_is_rejected_not_coerced(
    field: str, value: object
) -> None:
    fields = {"command": "SetStatus", "client_id": "c1", field: value}

    assert reason_for(json.dumps(fields)) == f"{field}: Input should be a valid string"


def test_every_problem_is_named_in_one_reason() -> None:
    reason = reason_for('{"command": 7, "client_id": ""}')

    assert reason == (
        "command: Input should be a valid string; "
        "client_id: String should have at least 1 character"
    )


def test_the_reason_does_not_echo_the_body() -> None:
    secret = "s3cr3t-token-value"

    reason = reason_for(json.dumps({"command": 1, "client_id": "c1", "token": secret}))

    assert secret not in reason


def test_a_body_over_the_byte_limit_is_rejected_with_its_size() -> None:
    body = json.dumps({"command": "SetStatus", "client_id": "c1", "pad": "x" * 200})
    size = len(body.encode())

    assert reason_for(body, max_bytes=size - 1) == (
        f"body is {size} bytes, above the limit of {size - 1} bytes"
    )


def test_the_byte_limit_counts_utf8_bytes_not_characters() -> None:
    # GIVEN a body of fewer than 100 characters but more than 100 bytes ("😀" is 4 bytes)
    body = '{"command":"a","client_id":"b","p":"' + "😀" * 31 + '"}'
    assert len(body) < 100 < len(body.encode())

    # WHEN the limit is 100 bytes THEN it is rejected, though it has fewer than 100 characters
    assert reason_for(body, max_bytes=100) == (
        f"body is {len(body.encode())} bytes, above the limit of 100 bytes"
    )


def test_the_default_limit_rejects_a_body_just_over_one_mebibyte() -> None:
    body = json.dumps({"command": "SetStatus", "client_id": "c1", "pad": ""})
    body = body.replace('""', '"' + "é" * ((ONE_MIB - len(body)) // 2 + 1) + '"')
    assert len(body.encode()) > ONE_MIB >= len(body)

    assert reason_for(body).startswith(f"body is {len(body.encode())} bytes")


def test_a_body_holding_an_unpaired_surrogate_is_rejected_as_not_unicode() -> None:
    # GIVEN a body SQS delivered with "\ud800" inside, decoded by the runtime into a lone surrogate
    body = json.loads(r'"{\"command\": \"\ud800\", \"client_id\": \"c1\"}"')

    assert reason_for(body) == "body is not valid Unicode text"


def test_an_escaped_unpaired_surrogate_is_not_valid_json() -> None:
    assert reason_for(r'{"command": "\ud800", "client_id": "c1"}').startswith(
        "body is not valid JSON"
    )
