"""A request path with trailing slashes is routed as the path without them, with no redirect.

Starlette's own answer was a redirect whose ``Location`` it builds from the ``Host`` and
``X-Forwarded-Proto`` headers, which any client sets (``javascript://evil.example/records``),
and which drops an API Gateway stage that Mangum stripped (issue 11). No route here has a
trailing slash, so serving the same answer is both simpler and safe.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class WithoutTrailingSlash:
    """ASGI middleware: ``/records/`` is routed as ``/records``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route the request by its path without trailing slashes (``/`` stays ``/``)."""
        path: str = scope.get("path", "")
        if len(path) > 1 and path.endswith("/") and scope["type"] == "http":
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            raw: bytes | None = scope.get("raw_path")
            if raw is not None:
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
