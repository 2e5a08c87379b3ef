"""Reading the HTTP API from the command line: ``records`` and ``rejected`` pages and items."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from triggersqs.errors import ApiError


class _KeyStaysWithItsOrigin(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but sends ``Authorization`` on only to the origin it was meant for.

    urllib copies every header onto the redirected request: an API (or anything in front of it)
    answering 302 to another host would have received the API key (issue 11).
    """

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: Any,  # noqa: ANN401 - urllib's
        code: int,
        msg: str,
        headers: Any,  # noqa: ANN401 - urllib's
        newurl: str,
    ) -> urllib.request.Request | None:
        """The redirected request, without the key when it leaves the origin."""
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


_opener = urllib.request.build_opener(_KeyStaysWithItsOrigin)


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
        with _opener.open(request, timeout=timeout) as response:
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
