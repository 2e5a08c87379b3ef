"""Configuration: every ``TRIGGERSQS_*`` environment variable, validated in one place.

Validation uses a pydantic-core schema (pydantic v2's engine) rather than pydantic-settings:
importing pydantic-settings and ``BaseModel`` costs about 300 ms on this project's reference
machine, which the SQS cold-start path cannot afford (docs/benchmarks.md), and the service reads
nothing but environment variables. Build it with :meth:`Settings.from_environ` or, in tests,
:meth:`Settings.build`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pydantic_core import PydanticCustomError, SchemaValidator, ValidationError, core_schema

from triggersqs.errors import ConfigurationError

ENV_PREFIX: Final = "TRIGGERSQS_"
QUEUE_URL_VARIABLE: Final = "TRIGGERSQS_QUEUE_URL"
API_URL_VARIABLE: Final = "TRIGGERSQS_API_URL"
CLIENT_VARIABLES: Final = frozenset({QUEUE_URL_VARIABLE, API_URL_VARIABLE})
"""Read by the client commands (``send``, ``records``, ``worker``: cli/targets.py) to find a queue
or an API, not by the service: its settings pass over them instead of refusing them as unknown."""
MAX_SQS_BODY_BYTES: Final = 1_048_576
"""SQS's own limit on a message body (1 MiB): larger bodies can never arrive."""
MAX_RETENTION_DAYS: Final = 36_500
MIN_API_KEY_CHARS: Final = 32
MIN_API_KEY_GUESSES_LOG10: Final = 24
"""zxcvbn's estimate of the guesses a key takes, as a power of ten (10^24 is about 2^80): a
random key of 32 or more characters is far above it (``secrets.token_urlsafe(32)``: about 10^43);
words, sequences, keyboard rows and repetitions are far below."""
_API_KEY_HINT: Final = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
_ZXCVBN_MAX_CHARS: Final = 72
_KEEP_EMPTY: Final = frozenset({"api_key"})
"""Settings whose empty value is an error, not "unset": an empty API key is a secret that failed
to arrive, and must not silently mean an open API."""

_SQS_ARN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,75}(\.fifo)?"
)

_API_KEY = re.compile(r"[!-~](?:[ -~]*[!-~])?")

StoreKind = Literal["sqlite", "memory", "dynamodb"]
Role = Literal["all", "consumer", "api"]


@dataclass(frozen=True, slots=True)
class Settings:
    """What the service is configured to do; immutable once built."""

    store: StoreKind = "sqlite"
    """Where messages are kept: ``sqlite`` (default), ``dynamodb``, or ``memory`` (demos)."""
    sqlite_path: Path = Path("triggersqs.db")
    sqlite_synchronous: Literal["full", "normal"] = "full"
    """``full``: a stored record survives a power cut; ``normal``: survives a process crash."""
    dynamodb_table: str = ""
    max_body_bytes: int = MAX_SQS_BODY_BYTES
    invalid_messages: Literal["store", "retry"] = "store"
    """``store``: keep invalid messages in quarantine; ``retry``: return them to the queue."""
    queue_arns: tuple[str, ...] = ()
    """Queues records may come from; empty accepts any SQS queue."""
    api_key: str | None = field(default=None, repr=False)
    """When set, the HTTP API (but the health checks) needs ``Authorization: Bearer <key>``."""
    api_base_path: str = ""
    """A path prefix to strip from HTTP requests (an API Gateway stage or custom mapping)."""
    time_margin_ms: int = 1000
    """Stop processing a batch when less than this is left of the invocation's time."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    role: Role = "all"
    """Which doors this process opens: ``all`` (SQS and HTTP), ``consumer`` (SQS batches only),
    ``api`` (HTTP only, and nothing that writes)."""
    retention_days: int = 30
    """How long stored and rejected messages are kept; 0 keeps them forever."""
    body_bucket: str = ""
    """An S3 bucket for bodies over ``body_s3_threshold_bytes`` (dynamodb store); empty: none."""
    body_s3_threshold_bytes: int = 16_384
    metrics: Literal["on", "off"] = "on"
    """``on``: one CloudWatch EMF line per SQS batch in Lambda (aws_lambda/metrics.py)."""
    metrics_namespace: str = "triggersqs"
    """The CloudWatch namespace of those metrics."""

    @classmethod
    def build(cls, **values: object) -> Settings:
        """Validated settings from field values (strings are parsed as in the environment)."""
        try:
            clean: dict[str, Any] = _validator.validate_python(values)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid configuration: {_describe(exc)}") from None
        if "sqlite_path" in clean:
            clean["sqlite_path"] = Path(clean["sqlite_path"])
        settings = cls(**clean)
        if settings.store == "dynamodb" and not settings.dynamodb_table:
            raise ConfigurationError(
                "invalid configuration: TRIGGERSQS_STORE=dynamodb needs TRIGGERSQS_DYNAMODB_TABLE"
            )
        if settings.body_bucket and settings.store != "dynamodb":
            raise ConfigurationError(
                "invalid configuration: TRIGGERSQS_BODY_BUCKET needs TRIGGERSQS_STORE=dynamodb"
            )
        return settings

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        """Settings from ``TRIGGERSQS_*`` variables; empty values count as unset, but for the API
        key (an empty one is refused). The client commands' variables are passed over."""
        values: dict[str, object] = {}
        for key, value in environ.items():
            if key.upper().startswith(ENV_PREFIX) and key.upper() not in CLIENT_VARIABLES:
                name = key[len(ENV_PREFIX) :].lower()
                if value != "" or name in _KEEP_EMPTY:
                    values[name] = value
        values.update(overrides)
        return cls.build(**values)


def _split_arns(value: Any) -> Any:  # noqa: ANN401 - raw input, checked by the schema after
    if isinstance(value, str):
        arns = [part.strip() for part in value.split(",") if part.strip()]
        if not arns:
            # "," would otherwise silently mean "accept every queue".
            raise PydanticCustomError("sqs_arn", "names no queue ARN; leave it unset to accept any")
        return arns
    return value


def _check_arn(value: str) -> str:
    if not _SQS_ARN.fullmatch(value):
        raise PydanticCustomError("sqs_arn", "not an SQS queue ARN: {arn}", {"arn": value})
    return value


def _check_api_key(value: str) -> str:
    # Messages never quote the key: they end up in logs.
    if value == "":
        raise PydanticCustomError(
            "api_key_empty",
            "is set but empty; unset it for an open API, or {hint}",
            {"hint": _API_KEY_HINT},
        )
    # HTTP carries header values as Latin-1 bytes and trims them: a key with other characters
    # or outer spaces could never be presented, and every request would get 401.
    if not _API_KEY.fullmatch(value):
        raise PydanticCustomError(
            "api_key_chars", "use visible ASCII characters only (inner spaces allowed)"
        )
    if len(value) < MIN_API_KEY_CHARS:
        raise PydanticCustomError(
            "api_key_short",
            "must be at least {chars} characters long; {hint}",
            {"chars": MIN_API_KEY_CHARS, "hint": _API_KEY_HINT},
        )
    if _guesses_log10(value) < MIN_API_KEY_GUESSES_LOG10:
        raise PydanticCustomError(
            "api_key_weak",
            "too easy to guess (a repeated character, words, a sequence or a keyboard pattern);"
            " {hint}",
            {"hint": _API_KEY_HINT},
        )
    return value


def _check_namespace(value: str) -> str:
    if value.startswith("AWS/"):
        raise PydanticCustomError("namespace", "the AWS/ prefix is AWS's own")
    return value


def _guesses_log10(key: str) -> float:
    """zxcvbn's estimate of how many guesses ``key`` takes, as a power of ten.

    zxcvbn (Dropbox's estimator) knows word lists, keyboard layouts, sequences and repetitions; a
    hand-written copy would know less. It is imported here, only when a key is set: ~40 ms that
    the SQS cold start without a key never pays. zxcvbn takes at most 72 characters: a longer
    key is judged by its first 72, strong enough alone.
    """
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    result: dict[str, Any] = zxcvbn(key[:_ZXCVBN_MAX_CHARS])
    return float(result["guesses_log10"])


def _base_path(value: str) -> str:
    # Mangum strips the prefix as given: "/prod/" would leave "records" and every route 404.
    stripped = value.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def _case(convert: str) -> Any:  # noqa: ANN401 - a pydantic-core "before" function
    def normalise(value: Any) -> Any:  # noqa: ANN401
        return getattr(value, convert)() if isinstance(value, str) else value

    return normalise


def _choice(*options: str, convert: str = "lower") -> core_schema.CoreSchema:
    return core_schema.no_info_before_validator_function(
        _case(convert), core_schema.literal_schema(list(options))
    )


def _int(low: int, high: int) -> core_schema.CoreSchema:
    return core_schema.int_schema(ge=low, le=high)


_FIELDS: Final[dict[str, core_schema.CoreSchema]] = {
    "store": _choice("sqlite", "memory", "dynamodb"),
    "sqlite_path": core_schema.str_schema(min_length=1),
    "sqlite_synchronous": _choice("full", "normal"),
    "dynamodb_table": core_schema.str_schema(
        min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
    "max_body_bytes": _int(1, MAX_SQS_BODY_BYTES),
    "invalid_messages": _choice("store", "retry"),
    "queue_arns": core_schema.no_info_before_validator_function(
        _split_arns,
        core_schema.tuple_variable_schema(
            core_schema.no_info_after_validator_function(_check_arn, core_schema.str_schema())
        ),
    ),
    "api_key": core_schema.no_info_after_validator_function(
        _check_api_key, core_schema.str_schema()
    ),
    "api_base_path": core_schema.no_info_after_validator_function(
        _base_path, core_schema.str_schema()
    ),
    "time_margin_ms": _int(0, 900_000),
    "log_level": _choice("DEBUG", "INFO", "WARNING", "ERROR", convert="upper"),
    "role": _choice("all", "consumer", "api"),
    "retention_days": _int(0, MAX_RETENTION_DAYS),
    # S3's bucket naming rules (3 to 63 characters: lower-case letters, digits, dots, hyphens).
    "body_bucket": core_schema.str_schema(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
    "body_s3_threshold_bytes": _int(1, MAX_SQS_BODY_BYTES),
    "metrics": _choice("on", "off"),
    # CloudWatch's namespace characters (without the space, which EMF clients refuse too), and
    # not AWS's own "AWS/" prefix.
    "metrics_namespace": core_schema.no_info_after_validator_function(
        _check_namespace, core_schema.str_schema(pattern=r"^[0-9A-Za-z._#:/-]{1,255}$")
    ),
}
_validator: Final = SchemaValidator(
    core_schema.typed_dict_schema(
        {
            name: core_schema.typed_dict_field(schema, required=False)
            for name, schema in _FIELDS.items()
        },
        extra_behavior="forbid",
    )
)


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        name = ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else "settings"
        message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"{name}: {message}")
    return "; ".join(problems)
