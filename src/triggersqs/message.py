"""The command message a producer sends, and the rules a body must pass to be stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

MAX_FIELD_CHARS = 256
_MAX_REASON_CHARS = 1000


# The JSON parser already refuses unpaired surrogates ("\ud800"), so every accepted string
# encodes to UTF-8 and fits any store.
Field = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_FIELD_CHARS)]


class Message(BaseModel):
    """A command for one client: ``{"command": "SetStatus", "client_id": "c79da7ce8e5e"}``.

    Other fields are allowed and not validated here; they are kept, as the raw body is stored.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    command: Field
    client_id: Field


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
        return Message.model_validate_json(body)
    except ValidationError as exc:
        return Invalid(describe_errors(exc))


def describe_errors(exc: ValidationError) -> str:
    """One line naming each problem and where it is, without echoing the input."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        if err["type"] == "json_invalid":
            parts.append(f"body is not valid JSON ({err['msg'].removeprefix('Invalid JSON: ')})")
        elif err["type"] == "string_unicode" and not err["loc"]:
            parts.append("body is not valid Unicode text")
        elif err["type"] == "model_type" and not err["loc"]:
            parts.append("body is not a JSON object")
        else:
            where = ".".join(str(part) for part in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)[:_MAX_REASON_CHARS]
