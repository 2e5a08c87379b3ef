"""Settings: every TRIGGERSQS_* variable, its default, and the values refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from triggersqs.errors import ConfigurationError
from triggersqs.settings import Settings

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
FIFO_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"
KEY = "Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5oTq1rWx2"  # secrets.token_urlsafe(32)


def refusal(environ: dict[str, str]) -> str:
    """The message of the ConfigurationError ``environ`` raises."""
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ(environ)
    return str(caught.value)


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_environ({})

    assert settings.store == "sqlite"
    assert settings.sqlite_path == Path("triggersqs.db")
    assert settings.sqlite_synchronous == "full"
    assert settings.dynamodb_table == ""
    assert settings.max_body_bytes == 1_048_576
    assert settings.invalid_messages == "store"
    assert settings.queue_arns == ()
    assert settings.api_key is None
    assert settings.api_base_path == ""
    assert settings.time_margin_ms == 1000
    assert settings.log_level == "INFO"


def test_every_variable_is_read() -> None:
    environ = {
        "TRIGGERSQS_STORE": "dynamodb",
        "TRIGGERSQS_SQLITE_PATH": "/data/t.db",
        "TRIGGERSQS_SQLITE_SYNCHRONOUS": "normal",
        "TRIGGERSQS_DYNAMODB_TABLE": "triggersqs-records",
        "TRIGGERSQS_MAX_BODY_BYTES": "262144",
        "TRIGGERSQS_INVALID_MESSAGES": "retry",
        "TRIGGERSQS_QUEUE_ARNS": f"{QUEUE},{FIFO_QUEUE}",
        "TRIGGERSQS_API_KEY": KEY,
        "TRIGGERSQS_API_BASE_PATH": "/prod",
        "TRIGGERSQS_TIME_MARGIN_MS": "2500",
        "TRIGGERSQS_LOG_LEVEL": "DEBUG",
    }

    settings = Settings.from_environ(environ)

    assert settings == Settings(
        store="dynamodb",
        sqlite_path=Path("/data/t.db"),
        sqlite_synchronous="normal",
        dynamodb_table="triggersqs-records",
        max_body_bytes=262_144,
        invalid_messages="retry",
        queue_arns=(QUEUE, FIFO_QUEUE),
        api_key=KEY,
        api_base_path="/prod",
        time_margin_ms=2500,
        log_level="DEBUG",
    )


def test_variables_without_the_prefix_are_ignored() -> None:
    settings = Settings.from_environ({"PATH": "/usr/bin", "STORE": "memory", "AWS_REGION": "x"})

    assert settings == Settings()


def test_empty_values_count_as_unset() -> None:
    environ = {f"TRIGGERSQS_{name}": "" for name in ("STORE", "QUEUE_ARNS", "LOG_LEVEL")}

    assert Settings.from_environ(environ) == Settings()


def test_choices_are_case_insensitive() -> None:
    settings = Settings.from_environ(
        {
            "TRIGGERSQS_STORE": "SQLite",
            "TRIGGERSQS_SQLITE_SYNCHRONOUS": "NORMAL",
            "TRIGGERSQS_INVALID_MESSAGES": "Retry",
            "TRIGGERSQS_LOG_LEVEL": "warning",
        }
    )

    assert (settings.store, settings.sqlite_synchronous) == ("sqlite", "normal")
    assert (settings.invalid_messages, settings.log_level) == ("retry", "WARNING")


def test_queue_arns_are_split_on_commas_and_trimmed() -> None:
    settings = Settings.from_environ({"TRIGGERSQS_QUEUE_ARNS": f" {QUEUE} ,, {FIFO_QUEUE} ,"})

    assert settings.queue_arns == (QUEUE, FIFO_QUEUE)


def test_overrides_win_over_the_environment() -> None:
    settings = Settings.from_environ({"TRIGGERSQS_STORE": "sqlite"}, store="memory")

    assert settings.store == "memory"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/prod", "/prod"),
        ("/prod/", "/prod"),
        ("prod", "/prod"),
        ("/v1/api/", "/v1/api"),
        ("/", ""),
    ],
)
def test_the_api_base_path_is_kept_as_one_leading_slash_and_no_trailing_one(
    given: str, kept: str
) -> None:
    assert Settings.from_environ({"TRIGGERSQS_API_BASE_PATH": given}).api_base_path == kept


def test_the_api_key_is_not_shown_in_the_settings_repr() -> None:
    assert KEY not in repr(Settings.build(api_key=KEY))


# -- refusals --------------------------------------------------------------------------------------


def test_an_unknown_variable_is_refused_by_name() -> None:
    message = refusal({"TRIGGERSQS_STROE": "memory"})

    assert "TRIGGERSQS_STROE: unknown setting" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORE", "postgres"),
        ("SQLITE_SYNCHRONOUS", "off"),
        ("SQLITE_SYNCHRONOUS", "extra"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "-1"),
        ("MAX_BODY_BYTES", "1048577"),
        ("MAX_BODY_BYTES", "1MB"),
        ("MAX_BODY_BYTES", "1e6"),
        ("INVALID_MESSAGES", "drop"),
        ("TIME_MARGIN_MS", "-1"),
        ("TIME_MARGIN_MS", "900001"),
        ("TIME_MARGIN_MS", "1.5"),
        ("LOG_LEVEL", "TRACE"),
        ("DYNAMODB_TABLE", "ab"),
        ("DYNAMODB_TABLE", "table with spaces"),
        ("DYNAMODB_TABLE", "t" * 256),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(name: str, value: str) -> None:
    message = refusal({f"TRIGGERSQS_{name}": value})

    assert message.startswith("invalid configuration: ")
    assert f"TRIGGERSQS_{name}:" in message


def test_the_dynamodb_store_needs_a_table() -> None:
    message = refusal({"TRIGGERSQS_STORE": "dynamodb"})

    assert "TRIGGERSQS_DYNAMODB_TABLE" in message


def test_an_api_key_shorter_than_32_characters_is_refused_without_echoing_it() -> None:
    short = KEY[:31]

    message = refusal({"TRIGGERSQS_API_KEY": short})

    assert "TRIGGERSQS_API_KEY:" in message
    assert short not in message


def test_a_random_api_key_of_32_characters_or_more_is_accepted() -> None:
    assert Settings.from_environ({"TRIGGERSQS_API_KEY": KEY}).api_key == KEY
    assert Settings.from_environ({"TRIGGERSQS_API_KEY": KEY[:32]}).api_key == KEY[:32]


@pytest.mark.parametrize(
    "key",
    [
        "k" * 40,
        "passwordpassword",
        "password" * 4,
        "12345678901234567890123456789012",
        "abcdefghijklmnopqrstuvwxyz012345",
        "qwertyuiopasdfghjklzxcvbnmqwertyu",
        "correcthorsebatterystaplecorrecthorse",
        "triggersqs-production-api-key-000001",
    ],
    ids=[
        "one-character",
        "passwordpassword",
        "repeated-word",
        "digits-in-order",
        "alphabet",
        "keyboard-rows",
        "words",
        "name-and-counter",
    ],
)
def test_a_weak_api_key_is_refused_without_echoing_it(key: str) -> None:
    message = refusal({"TRIGGERSQS_API_KEY": key})

    assert "TRIGGERSQS_API_KEY:" in message
    assert key not in message
    assert "secrets.token_urlsafe(32)" in message


def test_an_empty_api_key_is_a_configuration_error_not_an_open_api() -> None:
    # GIVEN TRIGGERSQS_API_KEY set but empty, as a secret that failed to arrive often is
    message = refusal({"TRIGGERSQS_API_KEY": ""})

    # THEN start-up stops, naming the variable
    assert "TRIGGERSQS_API_KEY" in message
    assert "empty" in message


@pytest.mark.parametrize(
    "key",
    [
        "schlüssel-für-die-api-Zp4tq9V1xkR7mN2s",
        " leading-space-key-Zp4tq9V1xkR7mN2sLw8e",
        "trailing-space-key-Zp4tq9V1xkR7mN2sLw8e ",
        "tab\tinside-the-key-Zp4tq9V1xkR7mN2sLw8e",
    ],
    ids=["non-ascii", "leading-space", "trailing-space", "control-character"],
)
def test_an_api_key_that_http_could_not_carry_intact_is_refused_without_echoing_it(
    key: str,
) -> None:
    message = refusal({"TRIGGERSQS_API_KEY": key})

    assert "TRIGGERSQS_API_KEY:" in message
    assert key.strip() not in message


def test_an_api_key_of_visible_ascii_with_inner_spaces_is_accepted() -> None:
    key = "Open Sesame! ~#$%&'()*+,-./:;<=>?@[]^_`{|} Zp4tq9V1xkR7"

    assert Settings.from_environ({"TRIGGERSQS_API_KEY": key}).api_key == key


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:us-east-1:123456789012:orders",
        "arn:aws:sqs:us-east-1:1234:orders",
        "arn:aws:sqs:us-east-1:123456789012:*",
        "arn:aws:sqs:us-east-1:123456789012:",
        "arn:aws:sqs:us-east-1:123456789012:orders/extra",
        "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
        "orders",
        "arn:aws:sqs:us-east-1:123456789012:" + "q" * 76,
    ],
)
def test_a_value_that_is_not_an_sqs_queue_arn_is_refused(arn: str) -> None:
    message = refusal({"TRIGGERSQS_QUEUE_ARNS": f"{QUEUE},{arn}"})

    assert "TRIGGERSQS_QUEUE_ARNS" in message
    assert "not an SQS queue ARN" in message


@pytest.mark.parametrize(
    "arn",
    [
        QUEUE,
        FIFO_QUEUE,
        "arn:aws-cn:sqs:cn-north-1:123456789012:orders",
        "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:orders_2-b",
        "arn:aws:sqs:us-east-1:123456789012:" + "q" * 75 + ".fifo",
    ],
)
def test_sqs_queue_arns_of_every_partition_are_accepted(arn: str) -> None:
    assert Settings.from_environ({"TRIGGERSQS_QUEUE_ARNS": arn}).queue_arns == (arn,)


def test_every_problem_is_reported_at_once() -> None:
    message = refusal({"TRIGGERSQS_STORE": "nosql", "TRIGGERSQS_LOG_LEVEL": "LOUD"})

    assert "TRIGGERSQS_STORE:" in message
    assert "TRIGGERSQS_LOG_LEVEL:" in message


def test_build_validates_like_the_environment() -> None:
    with pytest.raises(ConfigurationError, match="TRIGGERSQS_MAX_BODY_BYTES"):
        Settings.build(max_body_bytes=0)


@pytest.mark.parametrize("value", [",", " , ,"])
def test_a_queue_list_of_only_separators_is_refused_rather_than_accepting_any_queue(
    value: str,
) -> None:
    message = refusal({"TRIGGERSQS_QUEUE_ARNS": value})

    assert "TRIGGERSQS_QUEUE_ARNS" in message
    assert "names no queue ARN" in message


# -- roles, retention, large bodies (issue 16) -----------------------------------------------------


def test_role_retention_and_body_bucket_default_to_todays_behaviour_and_30_days() -> None:
    settings = Settings.from_environ({})

    assert settings.role == "all"
    assert settings.retention_days == 30
    assert settings.body_bucket == ""
    assert settings.body_s3_threshold_bytes == 16_384


def test_role_retention_and_body_bucket_are_read() -> None:
    settings = Settings.from_environ(
        {
            "TRIGGERSQS_STORE": "dynamodb",
            "TRIGGERSQS_DYNAMODB_TABLE": "records",
            "TRIGGERSQS_ROLE": "Consumer",
            "TRIGGERSQS_RETENTION_DAYS": "0",
            "TRIGGERSQS_BODY_BUCKET": "my-bodies.example",
            "TRIGGERSQS_BODY_S3_THRESHOLD_BYTES": "4096",
        }
    )

    assert (settings.role, settings.retention_days) == ("consumer", 0)
    assert (settings.body_bucket, settings.body_s3_threshold_bytes) == ("my-bodies.example", 4096)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"TRIGGERSQS_ROLE": "writer"}, "TRIGGERSQS_ROLE"),
        ({"TRIGGERSQS_RETENTION_DAYS": "-1"}, "TRIGGERSQS_RETENTION_DAYS"),
        ({"TRIGGERSQS_RETENTION_DAYS": "30d"}, "TRIGGERSQS_RETENTION_DAYS"),
        ({"TRIGGERSQS_BODY_BUCKET": "Bad_Bucket"}, "TRIGGERSQS_BODY_BUCKET"),
        ({"TRIGGERSQS_BODY_S3_THRESHOLD_BYTES": "0"}, "TRIGGERSQS_BODY_S3_THRESHOLD_BYTES"),
        # Large bodies go to S3 beside DynamoDB items only: SQLite keeps them in its file.
        ({"TRIGGERSQS_BODY_BUCKET": "bodies"}, "TRIGGERSQS_BODY_BUCKET needs"),
    ],
)
def test_a_bad_role_retention_or_bucket_is_refused_by_name(
    environ: dict[str, str], named: str
) -> None:
    assert named in refusal(environ)
