"""``/docs``: Swagger UI served from this API's own files, so it works offline (``dev`` on a plane,
a container without internet), not from a CDN.

The files come from the ``swagger-ui-bundle-v2`` package (the ``server`` extra). It is imported
only when ``/docs`` or one of its files is asked for, never while the app is built, so the Lambda
cold start does not pay for it; where it is not installed (the Lambda zip leaves it out), ``/docs``
falls back to FastAPI's page, which loads Swagger UI from its CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

ASSETS_PATH: Final = "/docs/assets"
_ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The only files served: what the page loads."""


def add_docs_routes(app: FastAPI, *, openapi_url: str) -> None:
    """``/docs`` and its files on ``app`` (built with ``docs_url=None``)."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        title = f"{app.title} - docs"
        if _assets_folder() is None:
            return get_swagger_ui_html(openapi_url=openapi_url, title=title)
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        folder = _assets_folder()
        if folder is None or name not in _ASSETS:
            raise HTTPException(404, f"no such file: {name}")
        return Response(
            (folder / name).read_bytes(),
            media_type=_ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )


def _assets_folder() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(str(swagger_ui_path))
