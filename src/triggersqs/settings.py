"""Configuration: every ``TRIGGERSQS_*`` environment variable, validated in one model.

This is a plain pydantic model rather than a pydantic-settings ``BaseSettings``: importing
pydantic-settings costs about 200 ms, which the SQS cold-start path cannot afford
(docs/benchmarks.md), and the service reads nothing but environment variables. Callers build it
with :meth:`Settings.from_environ`, or directly with keyword arguments in tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from triggersqs.errors import ConfigurationError

ENV_PREFIX = "TRIGGERSQS_"
MAX_SQS_BODY_BYTES = 1_048_576
"""SQS's own limit on a message body (1 MiB): larger bodies can never arrive."""

_SQS_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,75}(\.fifo)?$"
)
_MIN_API_KEY_LENGTH = 16


class Settings(BaseModel):
    """What the service is configured to do; immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: Literal["sqlite", "memory", "dynamodb"] = "sqlite"
    sqlite_path: Path = Path("triggersqs.db")
    sqlite_synchronous: Literal["full", "normal"] = "full"
    dynamodb_table: str = ""
    max_body_bytes: Annotated[int, Field(ge=1, le=MAX_SQS_BODY_BYTES)] = MAX_SQS_BODY_BYTES
    invalid_messages: Literal["store", "retry"] = "store"
    queue_arns: tuple[str, ...] = ()
    api_key: SecretStr | None = None
    api_base_path: str = ""
    time_margin_ms: Annotated[int, Field(ge=0, le=900_000)] = 1000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("queue_arns", mode="before")
    @classmethod
    def _split_arns(cls, value: Any) -> Any:  # noqa: ANN401 - pydantic passes raw input through
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("queue_arns")
    @classmethod
    def _check_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not _SQS_ARN.match(arn)]
        if bad:
            raise ValueError(f"not an SQS queue ARN: {', '.join(bad)}")
        return value

    @field_validator("api_key")
    @classmethod
    def _check_api_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_API_KEY_LENGTH:
            raise ValueError(f"must be at least {_MIN_API_KEY_LENGTH} characters long")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:  # noqa: ANN401 - pydantic passes raw input through
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_store(self) -> Settings:
        if self.store == "dynamodb" and not self.dynamodb_table:
            raise ValueError("TRIGGERSQS_STORE=dynamodb needs TRIGGERSQS_DYNAMODB_TABLE")
        return self

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:  # noqa: ANN401
        """Build settings from ``TRIGGERSQS_*`` variables (empty values count as unset)."""
        values: dict[str, Any] = {
            key[len(ENV_PREFIX) :].lower(): value
            for key, value in environ.items()
            if key.upper().startswith(ENV_PREFIX) and value != ""
        }
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid configuration: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        name = f"{ENV_PREFIX}{'.'.join(map(str, err['loc'])).upper()}" if err["loc"] else ""
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown setting"
        problems.append(f"{name}: {message}" if name else message)
    return "; ".join(problems)
