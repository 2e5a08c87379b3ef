"""What routes document only in the OpenAPI schema: response models and error answers.

The app that serves is built with ``Docs(documented=False)``, which hands out nothing, so it skips
building models that only describe answers; app.py builds the schema from a second app made with
``Docs(documented=True)``, which hands out the wire models of schemas.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ERROR_ANSWERS = {
    400: "The cursor is invalid for this listing.",
    401: "Missing or wrong API key.",
    404: "No such message.",
    503: "The store cannot be reached.",
}


@dataclass(frozen=True, slots=True)
class Docs:
    """What routes document beyond their parameters: response models and error answers."""

    documented: bool

    def model(self, name: str) -> Any:  # noqa: ANN401 - a pydantic model class, or None
        """The wire schema ``name`` of triggersqs.api.schemas; None (no model) when undocumented."""
        if not self.documented:
            return None
        from triggersqs.api import schemas

        return getattr(schemas, name)

    def errors(self, *codes: int) -> dict[int | str, dict[str, Any]]:
        """The error answers with these status codes, in this order."""
        if not self.documented:
            return {}
        from triggersqs.api import schemas

        return {
            code: {"model": schemas.ErrorOut, "description": _ERROR_ANSWERS[code]} for code in codes
        }
