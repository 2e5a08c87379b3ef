"""The command message a producer sends, and the rules a body must pass to be stored.

The rules are a pydantic-core schema, pydantic v2's own validation engine, used directly: it
validates exactly as a ``BaseModel`` would (same parser, same error types), while importing
``pydantic.BaseModel`` would add about 150 ms to every SQS cold start (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypedDict, cast

from pydantic_core import SchemaValidator, ValidationError, core_schema

MAX_FIELD_CHARS: Final = 256
_MAX_REASON_CHARS: Final = 1000


class Message(TypedDict):
    """A command for one client: ``{"command": "SetStatus", "client_id": "c79da7ce8e5e"}``.

    Other fields are allowed and not validated; they are kept, as the raw body is stored.
    """

    command: str
    client_id: str


# JSON strings only (no numbers coerced), 1..256 characters. The JSON parser already refuses
# unpaired surrogates ("\ud800"), so every accepted string encodes to UTF-8 and fits any store.
_FIELD = core_schema.str_schema(min_length=1, max_length=MAX_FIELD_CHARS, strict=True)
MESSAGE_SCHEMA: Final = core_schema.typed_dict_schema(
    {
        "command": core_schema.typed_dict_field(_FIELD),
        "client_id": core_schema.typed_dict_field(_FIELD),
    },
    extra_behavior="ignore",
    total=True,
)
_validator: Final = SchemaValidator(MESSAGE_SCHEMA)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a body cannot be stored as a message."""

    reason: str


def parse_body(body: str, max_bytes: int) -> Message | Invalid:
    """Validate one SQS message body: a JSON object with the required fields, <= ``max_bytes``."""
    # A str holds at most 4 UTF-8 bytes per character, so most bodies skip the encoding.
    if len(body) * 4 > max_bytes:
        size = len(body.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return Invalid(f"body is {size} bytes, above the limit of {max_bytes} bytes")
    try:
        return cast("Message", _validator.validate_json(body))
    except ValidationError as exc:
        return Invalid(describe_errors(exc))


def describe_errors(exc: ValidationError) -> str:
    """One line naming each problem and where it is, without echoing the input."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in err["loc"])
        if err["type"] == "json_invalid":
            parts.append(f"body is not valid JSON ({err['msg'].removeprefix('Invalid JSON: ')})")
        elif err["type"] == "string_unicode" and not where:
            parts.append("body is not valid Unicode text")
        elif err["type"] == "dict_type" and not where:
            parts.append("body is not a JSON object")
        else:
            parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)[:_MAX_REASON_CHARS]
