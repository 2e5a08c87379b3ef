"""The listings' query parameters: one pydantic-core validator per listing, and what the OpenAPI
document says of each parameter, both from the same schemas.

pydantic-core is pydantic's engine (settings.py validates with it too): these are the schemas
FastAPI had pydantic build for the same parameters, so a bad value gets the same message, type
and order of errors, without FastAPI's import on the Lambda cold start (issue 15).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic_core import SchemaValidator, ValidationError, core_schema

from triggersqs.core.pagination import MAX_CURSOR_CHARS

MAX_PAGE: Final = 1000
MAX_FIELD_CHARS: Final = 256


class InvalidQuery(Exception):  # noqa: N818 - the API's 422, like FastAPI's RequestValidationError
    """Query parameters that fail their schema: each error's location, message and type."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: its name, its pydantic-core schema (with its default), its help."""

    name: str
    schema: core_schema.CoreSchema
    description: str


def _optional(schema: core_schema.CoreSchema) -> core_schema.CoreSchema:
    return core_schema.with_default_schema(core_schema.nullable_schema(schema), default=None)


LIMIT: Final = Param(
    "limit",
    core_schema.with_default_schema(core_schema.int_schema(ge=1, le=MAX_PAGE), default=100),
    "Entries per page (1..1000).",
)
CURSOR: Final = Param(
    "cursor",
    _optional(core_schema.str_schema(min_length=1, max_length=MAX_CURSOR_CHARS)),
    "`next_cursor` of the last page.",
)
CLIENT_ID: Final = Param(
    "client_id",
    _optional(core_schema.str_schema(min_length=1, max_length=MAX_FIELD_CHARS)),
    "Only records of this client.",
)
COMMAND: Final = Param(
    "command",
    _optional(core_schema.str_schema(min_length=1, max_length=MAX_FIELD_CHARS)),
    "Only records of this command.",
)
SINCE: Final = Param(
    "since",
    _optional(core_schema.datetime_schema()),
    "Only records stored at or after this ISO 8601 time (UTC if no zone).",
)
UNTIL: Final = Param(
    "until",
    _optional(core_schema.datetime_schema()),
    "Only records stored before this ISO 8601 time.",
)
ORDER: Final = Param(
    "order",
    core_schema.with_default_schema(core_schema.literal_schema(["asc", "desc"]), default="asc"),
    "`asc`: oldest first (the default); `desc`: newest first.",
)


class Query:
    """The validator of one listing's query parameters, in the order they are documented (the
    order of its errors)."""

    def __init__(self, *params: Param) -> None:
        self.params = params
        fields = {
            param.name: core_schema.typed_dict_field(param.schema, required=False)
            for param in params
        }
        self._validator = SchemaValidator(
            core_schema.typed_dict_schema(fields, extra_behavior="ignore")
        )

    def parse(self, query: Mapping[str, str]) -> dict[str, Any]:
        """The parameters' values (defaults filled in); raises InvalidQuery.

        ``query``: one value per name (Starlette's QueryParams keep a repeated name's last).
        """
        try:
            values: dict[str, Any] = self._validator.validate_python(dict(query))
        except ValidationError as exc:
            raise InvalidQuery(
                [
                    {"loc": ["query", *error["loc"]], "msg": error["msg"], "type": error["type"]}
                    for error in exc.errors(include_url=False, include_context=False)
                ]
            ) from None
        return values


RECORDS: Final = Query(LIMIT, CURSOR, CLIENT_ID, COMMAND, SINCE, UNTIL, ORDER)
REJECTED: Final = Query(LIMIT, CURSOR, ORDER)
