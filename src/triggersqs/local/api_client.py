"""Reading the HTTP API from the command line: ``records`` and ``rejected`` pages and items."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from triggersqs.errors import ApiError


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
    return get_json(api_url, "/records", query, api_key=api_key, timeout=timeout)


def get_json(
    api_url: str,
    path: str,
    query: Mapping[str, str] | None = None,
    *,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """``GET path`` of the API as JSON; ApiError with the API's message when it refuses."""
    url = f"{api_url.rstrip('/')}{path}"
    if query:
        url += f"?{urllib.parse.urlencode(query)}"
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
