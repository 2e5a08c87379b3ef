"""``/docs`` works offline: the page loads Swagger UI from the API's own files (api/swagger.py),
never from a CDN, and the Lambda HTTP path does not import the package that holds them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.serving import uvicorn_in_thread
from triggersqs.bootstrap import build_app
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    app = build_app(Settings.build(store="memory"), MemoryStore())
    with uvicorn_in_thread(app) as url, httpx.Client(base_url=url) as client:
        yield client


def test_the_docs_page_loads_nothing_from_another_host(api: httpx.Client) -> None:
    page = api.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(source.startswith("/") for source in sources), sources
    assert "cdn" not in page.text.lower()
    assert "url: '/openapi.json'" in page.text


def test_every_file_the_docs_page_loads_is_served_by_the_api(api: httpx.Client) -> None:
    page = api.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)

    answers = {source: api.get(source) for source in sources}

    assert {source: a.status_code for source, a in answers.items()} == dict.fromkeys(sources, 200)
    script = next(a for s, a in answers.items() if s.endswith(".js"))
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    # Swagger UI 5 reads OpenAPI 3.1, the version api/openapi.py writes
    assert api.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert re.search(r'version:"5\.\d+\.\d+"|"5\.\d+\.\d+"', script.text)


def test_only_the_pages_own_files_are_served(api: httpx.Client) -> None:
    for name in ["index.html", "..%2F..%2Fpyproject.toml", "swagger-initializer.js", "x"]:
        assert api.get(f"/docs/assets/{name}").status_code == 404


def test_building_the_http_app_does_not_import_the_swagger_files() -> None:
    # The Lambda HTTP path builds the app on its first request: the package must not load there.
    script = (
        "import sys\n"
        "from triggersqs.bootstrap import build_app\n"
        "from triggersqs.settings import Settings\n"
        "from triggersqs.storage.memory import MemoryStore\n"
        "build_app(Settings.build(store='memory'), MemoryStore())\n"
        "print('swagger_ui_bundle' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
