"""``triggersqs records``: read stored records from the HTTP API and print them as a table."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from triggersqs.errors import ApiError

COLUMNS = ("#", "stored_at", "command", "client_id", "message_id")
_MAX_CELL = 40


def fetch_records(
    api_url: str,
    *,
    limit: int,
    filters: Mapping[str, str | None],
    api_key: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """One page of ``GET /records``."""
    query = {"limit": str(limit), **{k: v for k, v in filters.items() if v is not None}}
    url = f"{api_url.rstrip('/')}/records?{urllib.parse.urlencode(query)}"
    if not url.startswith(("http://", "https://")):
        raise ApiError(f"not an http(s) URL: {api_url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            page: dict[str, Any] = json.load(response)
            return page
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("message", exc.reason)
        except ValueError:
            message = exc.reason
        raise ApiError(f"the API answered {exc.code}: {message}") from None
    except OSError as exc:
        raise ApiError(f"cannot reach the API at {api_url}: {exc}") from None


def table(page: Mapping[str, Any]) -> str:
    """The page's records as an aligned text table, with the cursor of the next page."""
    rows: list[Sequence[str]] = [COLUMNS]
    for position, record in page.get("messages", {}).items():
        rows.append(
            [
                position,
                str(record.get("stored_at", "")),
                _cell(record.get("command")),
                _cell(record.get("client_id")),
                str(record.get("message_id", "")),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if len(rows) == 1:
        lines.append("(no records)")
    if page.get("next_cursor"):
        lines.append(f"more: --cursor {page['next_cursor']}")
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"
