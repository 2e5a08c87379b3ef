"""The console's same-origin guard (local/console/guard.py), on requests built by hand: which
``Host``, ``Origin`` and ``Sec-Fetch-Site`` it lets through."""

from __future__ import annotations

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from triggersqs.local.console.guard import same_origin


def request(host: str, server: str = "127.0.0.1", **headers: str) -> Request:
    raw = [(b"host", host.encode())]
    raw += [(name.replace("_", "-").lower().encode(), v.encode()) for name, v in headers.items()]
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "path": "/console/api/state",
            "query_string": b"",
            "headers": raw,
            "server": (server, 8000),
        }
    )


@pytest.mark.parametrize(
    ("host", "server"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("localhost:8000", "127.0.0.1"),
        ("[::1]:8000", "::1"),
        # `serve --host 0.0.0.0` reached by the address the connection came in on
        ("192.168.1.5:8000", "192.168.1.5"),
    ],
)
def test_the_page_is_served_under_a_loopback_name_or_the_servers_own_address(
    host: str, server: str
) -> None:
    same_origin(request(host, server, origin=f"http://{host}", sec_fetch_site="same-origin"))


@pytest.mark.parametrize(
    ("host", "server", "headers"),
    [
        ("evil.example", "127.0.0.1", {}),  # DNS rebinding: the attacker's name, our address
        ("evil.example:8000", "192.168.1.5", {}),
        ("10.0.0.9:8000", "192.168.1.5", {}),  # an address that is not this connection's
        ("", "127.0.0.1", {}),
        ("127.0.0.1:8000", "127.0.0.1", {"origin": "http://evil.example"}),
        ("127.0.0.1:8000", "127.0.0.1", {"origin": "null"}),
        ("127.0.0.1:8000", "127.0.0.1", {"origin": "http://127.0.0.1:3000"}),
        ("127.0.0.1:8000", "127.0.0.1", {"sec_fetch_site": "cross-site"}),
        ("127.0.0.1:8000", "127.0.0.1", {"sec_fetch_site": "same-site"}),
    ],
)
def test_anything_else_is_refused_with_403(host: str, server: str, headers: dict[str, str]) -> None:
    with pytest.raises(HTTPException) as refused:
        same_origin(request(host, server, **headers))
    assert refused.value.status_code == 403
