"""The browsable docs: ``/docs`` (Swagger UI served from this API's own files, so it works offline:
``dev`` on a plane, a container without internet) and ``/redoc`` (ReDoc, from its CDN).

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package (the ``server`` extra). It is
imported only when ``/docs`` or one of its files is asked for, never while the app is built, so
the Lambda cold start does not pay for it; where it is not installed (the Lambda zip leaves it
out), ``/docs`` loads Swagger UI from its CDN.

The two pages are the ones FastAPI wrote, byte for byte (its ``get_swagger_ui_html`` and
``get_redoc_html``, with their defaults): thirty lines of HTML are not worth FastAPI's import,
most of an HTTP cold start (issue 15, docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from triggersqs.api.routes import get_only

ASSETS_PATH: Final = "/docs/assets"
_ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The only files served: what the page loads."""
_CDN: Final = {
    "swagger-ui-bundle.js": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
    "swagger-ui.css": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css",
    "favicon-32x32.png": "https://fastapi.tiangolo.com/img/favicon.png",
}
_REDOC_JS: Final = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
_REDOC_ICON: Final = "https://fastapi.tiangolo.com/img/favicon.png"
_FONTS: Final = "https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"

_SWAGGER_PAGE: Final = """
    <!DOCTYPE html>
    <html>
    <head>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link type="text/css" rel="stylesheet" href="{css}">
    <link rel="shortcut icon" href="{icon}">
    <title>{title}</title>
    </head>
    <body>
    <div id="swagger-ui">
    </div>
    <script src="{js}"></script>
    <!-- `SwaggerUIBundle` is now available on the page -->
    <script>
    const ui = SwaggerUIBundle({{
        url: '{openapi_url}',
    "dom_id": "#swagger-ui",
"layout": "BaseLayout",
"deepLinking": true,
"showExtensions": true,
"showCommonExtensions": true,

    presets: [
        SwaggerUIBundle.presets.apis,
        SwaggerUIBundle.SwaggerUIStandalonePreset
        ],
    }})
    </script>
    </body>
    </html>
    """

_REDOC_PAGE: Final = """
    <!DOCTYPE html>
    <html>
    <head>
    <title>{title}</title>
    <!-- needed for adaptive design -->
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    
    <link href="{fonts}" rel="stylesheet">
    
    <link rel="shortcut icon" href="{icon}">
    <!--
    ReDoc doesn't change outer page styles
    -->
    <style>
      body {{
        margin: 0;
        padding: 0;
      }}
    </style>
    </head>
    <body>
    <noscript>
        ReDoc requires Javascript to function. Please enable it to browse the documentation.
    </noscript>
    <redoc spec-url="{openapi_url}"></redoc>
    <script src="{js}"> </script>
    </body>
    </html>
    """  # noqa: W293 - the blank lines' indentation is the page's, byte for byte


def docs_routes(*, title: str, openapi_url: str) -> list[BaseRoute]:
    """``/docs``, its files and ``/redoc``, for an app that serves its schema at ``openapi_url``."""

    def docs(_request: Request) -> Response:
        local = _assets_folder() is not None
        urls = {name: f"{ASSETS_PATH}/{name}" if local else cdn for name, cdn in _CDN.items()}
        return HTMLResponse(
            _SWAGGER_PAGE.format(
                css=urls["swagger-ui.css"],
                icon=urls["favicon-32x32.png"],
                js=urls["swagger-ui-bundle.js"],
                title=f"{title} - docs",
                openapi_url=openapi_url,
            )
        )

    def asset(request: Request) -> Response:
        name: str = request.path_params["name"]
        folder = _assets_folder()
        if folder is None or name not in _ASSETS:
            raise HTTPException(404, f"no such file: {name}")
        return Response(
            (folder / name).read_bytes(),
            media_type=_ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    def redoc(_request: Request) -> Response:
        return HTMLResponse(
            _REDOC_PAGE.format(
                title=f"{title} - ReDoc",
                fonts=_FONTS,
                icon=_REDOC_ICON,
                openapi_url=openapi_url,
                js=_REDOC_JS,
            )
        )

    return [
        get_only(Route("/docs", docs, include_in_schema=False)),
        get_only(Route(ASSETS_PATH + "/{name}", asset, include_in_schema=False)),
        # GET and HEAD, as FastAPI's own /redoc (and /openapi.json) answered them.
        Route("/redoc", redoc, include_in_schema=False),
    ]


def _assets_folder() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(str(swagger_ui_path))
