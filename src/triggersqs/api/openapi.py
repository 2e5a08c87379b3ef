"""The OpenAPI document, written from the routes the app serves (routes.py's :class:`Operation` of
each) and the wire models of schemas.py, on its first request only.

It is the document FastAPI wrote for the same routes (OpenAPI 3.1, the same paths, parameters,
answers and components), so Swagger UI, ReDoc and schemathesis read it as before, but for two
corrections: no 422 for the item routes, and the 422's "message" (issue 15). pydantic, which
turns the wire models into JSON schemas, is imported here only: never on a cold start.
tests/integration/test_openapi_contract.py checks it against the live API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from starlette.routing import BaseRoute

from triggersqs.api.query import Param
from triggersqs.api.routes import ApiRoute

REF: Final = "#/components/schemas/{model}"
ERROR_ANSWERS: Final = {
    400: "The cursor is invalid for this listing.",
    401: "Missing or wrong API key.",
    404: "No such message.",
    503: "The store cannot be reached.",
}
BEARER: Final = "HTTPBearer"
SECURITY_SCHEMES: Final = {
    BEARER: {"type": "http", "description": "`Authorization: Bearer <API key>`", "scheme": "bearer"}
}
# The 422 answer's schema: FastAPI's names and fields for its validation errors, and the
# "message" that api/errors.py writes beside their "detail" list.
VALIDATION_SCHEMAS: Final = {
    "HTTPValidationError": {
        "properties": {
            "message": {"title": "Message", "type": "string"},
            "detail": {
                "items": {"$ref": REF.format(model="ValidationError")},
                "title": "Detail",
                "type": "array",
            },
        },
        "required": ["message", "detail"],
        "title": "HTTPValidationError",
        "type": "object",
    },
    "ValidationError": {
        "properties": {
            "loc": {
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "title": "Location",
                "type": "array",
            },
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
            "input": {"title": "Input"},
            "ctx": {"title": "Context", "type": "object"},
        },
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
        "type": "object",
    },
}


def openapi_document(
    routes: Iterable[BaseRoute], *, title: str, version: str, description: str
) -> dict[str, Any]:
    """The document of every :class:`ApiRoute` in ``routes``, in their order."""
    from pydantic.json_schema import models_json_schema

    from triggersqs.api import schemas

    documented = [route for route in routes if isinstance(route, ApiRoute)]
    models = {route.operation.model for route in documented}
    if any(route.operation.errors for route in documented):
        models.add("ErrorOut")
    _, definitions = models_json_schema(
        [(getattr(schemas, name), "serialization") for name in sorted(models)], ref_template=REF
    )
    components: dict[str, Any] = {"schemas": definitions.get("$defs", {})}
    if any(route.operation.query for route in documented):
        components["schemas"] |= VALIDATION_SCHEMAS
    if any(route.operation.keyed for route in documented):
        components["securitySchemes"] = SECURITY_SCHEMES
    components["schemas"] = dict(sorted(components["schemas"].items()))
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "description": description, "version": version},
        "paths": {route.path: {"get": _operation(route)} for route in documented},
        "components": components,
    }


def _operation(route: ApiRoute) -> dict[str, Any]:
    operation = route.operation
    out: dict[str, Any] = {
        "tags": [operation.tag],
        "summary": operation.name.replace("_", " ").title(),
        "description": operation.description,
        "operationId": operation.name,
    }
    if operation.keyed:
        out["security"] = [{BEARER: []}]
    parameters = _parameters(route)
    if parameters:
        out["parameters"] = parameters
    responses: dict[str, Any] = {"200": _answer("Successful Response", operation.model)}
    for code in operation.errors:
        responses[str(code)] = _answer(ERROR_ANSWERS[code], "ErrorOut")
    if operation.query is not None:
        # Only query parameters can be invalid: a path parameter is any text (FastAPI listed a
        # 422 for every route with a parameter).
        responses["422"] = _answer("Validation Error", "HTTPValidationError")
    out["responses"] = responses
    return out


def _answer(description: str, model: str) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=model)}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _parameters(route: ApiRoute) -> list[dict[str, Any]]:
    path = [
        {"name": name, "in": "path", "required": True, "schema": _titled({"type": "string"}, name)}
        for name in route.param_convertors
    ]
    query = route.operation.query
    return path + [_query_parameter(param) for param in (query.params if query else ())]


def _query_parameter(param: Param) -> dict[str, Any]:
    from pydantic.json_schema import GenerateJsonSchema

    schema = GenerateJsonSchema(ref_template=REF).generate(param.schema)
    if schema.get("default", 0) is None:
        del schema["default"]  # an optional parameter's None is its absence
    schema = _titled(schema, param.name) | {"description": param.description}
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": param.description,
    }


def _titled(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {**schema, "title": name.replace("_", " ").title()}
