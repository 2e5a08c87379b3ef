"""The bytes of the HTTP API's answers over a store of known contents, to prove a change of the
API layer leaves them as they were (issue 15): record before, record after, compare.

    .venv/bin/python scripts/api_snapshot.py record before.json
    .venv/bin/python scripts/api_snapshot.py record after.json
    .venv/bin/python scripts/api_snapshot.py compare before.json after.json

It fills a fresh SQLite file (fixed ids and times), then asks a few hundred requests (good and
bad query values, keys, methods, paths) of ``triggersqs serve`` as a process (open and keyed), of
the API over a store that cannot open (uvicorn in a thread), and of the Lambda door (Mangum)
with every HTTP event shape. Each answer keeps its status, headers (but ``date``) and body bytes.
The OpenAPI documents and Prometheus' text are kept apart (``documents``): they are compared as
JSON and as route lists, not bytes.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.events import HTTP_KINDS, http_event  # noqa: E402
from tests.support.factories import new_record, new_rejection  # noqa: E402
from tests.support.lambda_context import FakeLambdaContext  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

API_KEY = "snap-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
T0 = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
BIN = Path(sys.executable).parent


def populate(path: Path) -> dict[str, str]:
    """Records and rejections of known ids, bodies and times; the ids the requests name."""
    from triggersqs.core.records import us_from_utc
    from triggersqs.storage.sqlite import SqliteStore

    clock = [us_from_utc(T0)]
    store = SqliteStore(path, clock=lambda: clock[0])
    notes = ["", "ü'\"\\", "«größe»" * 1500, "\x01\x1f\t\n", "</script>&<>", "😀" * 3]
    names: dict[str, str] = {}
    for i in range(40):
        clock[0] = us_from_utc(T0 + timedelta(seconds=7 * i, microseconds=i * 1001))
        client, command = f"c{i % 3}", ("Reset" if i % 4 == 1 else "SetStatus")
        text = json.dumps(
            {"command": command, "client_id": client, "note": notes[i % len(notes)]},
            ensure_ascii=i % 2 == 0,
        )
        item = new_record(command, client, body_text=text, group="g1" if i % 5 == 0 else None)
        store.save([item])
        names.setdefault(f"record{i % len(notes)}", item.envelope.message_id)
    # A batch that shares its stored_at (the cached timestamps) and bodies near the page budget.
    clock[0] = us_from_utc(T0 + timedelta(hours=2))
    heavy = "\x01é" * 2000
    store.save(
        [
            new_record("Heavy", "h1", body_text=json.dumps({"command": "Heavy", "n": heavy}))
            for _ in range(1100)
        ]
    )
    clock[0] = us_from_utc(T0 + timedelta(hours=3))
    rejections = [
        new_rejection('{"command": "' + "«größe»" * 1500, "body is not valid JSON (EOF)"),
        new_rejection("Test message.", "body is not valid JSON (expected value)"),
        new_rejection('{"command": "SetStatus"}', "client_id: Field required"),
        new_rejection("\x00\x01 ü", "not JSON", sent_at_ms=None),
    ]
    store.save(rejections)
    store.mark_replayed(rejections[2].envelope.message_id, "6c9b1e52-0e0f-4f5e-9d39-5b3f2f0c7a11")
    for n, rejection in enumerate(rejections):
        names[f"rejection{n}"] = rejection.envelope.message_id
    store.close()
    return names


def queries() -> list[str]:
    """Paths and query strings of the listings, good and bad."""
    values = {
        "limit": [
            "1",
            "3",
            "1000",
            "0",
            "1001",
            "-1",
            "abc",
            "",
            "1.5",
            "1e3",
            " 5",
            "\uff15",
            "0x10",
        ],
        "since": [
            "2025-11-24T16:01:00",
            "2025-11-24T16:01:00Z",
            "2025-11-24T17:01:00+01:00",
            "2025-11-24",
            "1764000060",
            "1764000060.5",
            "bad",
            "",
            "2025-13-01",
            "2025-11-24T16:01:00.123456789",
        ],
        "until": ["2025-11-24T16:02:00Z", "nope", "2025-11-24T16:00:00"],
        "client_id": ["c1", "", "x" * 256, "x" * 257, "ü'\""],
        "command": ["Reset", "", "nope"],
        "order": ["asc", "desc", "ASC", "", "up"],
        "cursor": ["", "junk", "x" * 5000, "eyJwIjoxfQ"],
    }
    found = [""]
    for name, options in values.items():
        found += [urlencode({name: value}) for value in options]
    found += [
        "limit=0&since=bad&order=up&client_id=",
        "limit=2&limit=5",
        "since=bad&since=2025-11-24T16:01:00Z",
        "unknown=1",
        "limit=5&order=desc&client_id=c1&command=SetStatus",
        "limit=2&since=2025-11-24T16:01:00Z&until=2025-11-24T16:03:00Z",
        "client_id=%FF",
        "limit=%00",
    ]
    return found


def requests(names: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path with query, headers) of every request asked."""
    plain: list[tuple[str, str, dict[str, str]]] = []
    for query in queries():
        for path in ("/records", "/rejected"):
            plain.append(("GET", f"{path}?{query}" if query else path, {}))
    for name, message_id in names.items():
        kind = "records" if name.startswith("record") else "rejected"
        plain.append(("GET", f"/{kind}/{message_id}", {}))
    plain += [
        ("GET", "/records/no-such-id", {}),
        ("GET", "/rejected/no-such-id", {}),
        ("GET", "/records/%C3%BC%22'", {}),
        ("GET", "/records/", {}),
        ("GET", "/records//", {}),
        ("GET", "/records?limit=2&order=desc", {}),
        ("GET", "/rejected?order=desc", {}),
        ("GET", "/records?limit=1000", {}),
        ("GET", "/rejected?limit=1000", {}),
        ("GET", "/healthcheck", {}),
        ("GET", "/healthcheck/", {}),
        ("GET", "/health", {}),
        ("GET", "/nope", {}),
        ("GET", "/records/a/b", {}),
        ("HEAD", "/records", {}),
        ("HEAD", "/healthcheck", {}),
        ("POST", "/records", {}),
        ("PUT", "/records/x", {}),
        ("DELETE", "/rejected/x", {}),
        ("OPTIONS", "/records", {}),
        ("GET", "/docs", {}),
        ("GET", "/docs/", {}),
        ("GET", "/redoc", {}),
        ("GET", "/docs/assets/swagger-ui.css", {}),
        ("GET", "/docs/assets/nope.js", {}),
        ("GET", "/", {}),
        ("GET", "/console/api/hello", {}),
        ("GET", "/console/api/hello", {"Host": "evil.example"}),
        ("GET", "/console/api/dlq", {}),
        ("POST", "/console/api/redrive", {"Content-Type": "application/json"}),
        ("GET", "/console/console.js", {}),
        ("POST", "/openapi.json", {}),
        ("HEAD", "/redoc", {}),
        ("POST", "/redoc", {}),
        ("HEAD", "/docs", {}),
        ("HEAD", "/docs/assets/swagger-ui.css", {}),
        ("HEAD", "/", {}),
        ("POST", "/console/api/hello", {}),
        ("DELETE", "/metrics", {}),
        ("GET", "/docs/assets/", {}),
        ("GET", "/docs/assets/favicon-32x32.png", {}),
        ("GET", "/records/%2F", {}),
        ("GET", "/records/%20", {}),
        ("GET", "/records?limit=1", {"Host": "x:y"}),
    ]
    keyed: list[tuple[str, str, dict[str, str]]] = []
    auths = [
        f"Bearer {API_KEY}",
        f"bearer {API_KEY}",
        f"BEARER  {API_KEY}",
        "Bearer wrong-key-0123456789",
        "Bearer",
        f"Basic {API_KEY}",
        "",
        f"Bearer {API_KEY}x",
        f"Token {API_KEY}",
    ]
    for auth in auths:
        for path in ("/records?limit=2", "/records?limit=0", "/health", "/openapi.json", "/docs"):
            keyed.append(("GET", path, {"Authorization": auth}))
    return plain + keyed


def _answer(response: httpx.Response) -> dict[str, Any]:
    # Starlette writes a route's methods from a set: "GET, HEAD" or "HEAD, GET" by the process's
    # string hashing, before as after.
    headers = [
        [k, ", ".join(sorted(v.split(", "))) if k.lower() == "allow" else v]
        for k, v in response.headers.multi_items()
        if k.lower() != "date"
    ]
    return {
        "status": response.status_code,
        "headers": headers,
        "body": base64.b64encode(response.content).decode(),
    }


def ask(url: str, asked: list[tuple[str, str, dict[str, str]]]) -> list[dict[str, Any]]:
    """Every request against ``url``; key ``with`` an Authorization header when given."""
    answers = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for method, path, headers in asked:
            response = client.request(method, path, headers=headers)
            answers.append({"request": [method, path, headers], **_answer(response)})
    return answers


@contextmanager
def serve(db: Path, api_key: str | None) -> Iterator[str]:
    """``triggersqs serve`` over ``db``; its URL."""
    port = free_port()
    env = {
        **os.environ,
        "TRIGGERSQS_SQLITE_PATH": str(db),
        "TRIGGERSQS_LOG_LEVEL": "ERROR",
    }
    env.pop("TRIGGERSQS_API_KEY", None)
    if api_key:
        env["TRIGGERSQS_API_KEY"] = api_key
    command = [str(BIN / "triggersqs"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/healthcheck")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("serve did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(15)


@contextmanager
def broken_api(folder: Path) -> Iterator[str]:
    """The API (uvicorn in a thread) over a SQLite store that cannot open its file."""
    import uvicorn

    from triggersqs.bootstrap import build_app
    from triggersqs.settings import Settings
    from triggersqs.storage.sqlite import SqliteStore

    app = build_app(Settings.build(store="sqlite"), SqliteStore(folder))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def lambda_answers(db: Path, names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The Lambda door's answers (Mangum), open and keyed, for every HTTP event shape."""
    from triggersqs.bootstrap import build_runtime
    from triggersqs.settings import Settings
    from triggersqs.storage.sqlite import SqliteStore

    asked = [
        ("/records", {"limit": "3"}, {}),
        ("/records", {"limit": "3", "order": "desc", "client_id": "c1"}, {}),
        ("/records", {"limit": "0", "since": "bad"}, {}),
        ("/records", {"limit": "1000"}, {}),
        ("/records/", {"limit": "1"}, {}),
        ("/rejected", {}, {}),
        (f"/records/{names['record1']}", {}, {}),
        (f"/rejected/{names['rejection0']}", {}, {}),
        ("/records/no-such-id", {}, {}),
        ("/healthcheck", {}, {}),
        ("/health", {}, {}),
        ("/nope", {}, {}),
        ("/docs", {}, {}),
        ("/redoc", {}, {}),
        ("/records", {"limit": "2"}, {"Authorization": f"Bearer {API_KEY}"}),
        ("/records", {"limit": "2"}, {"Authorization": "Bearer wrong-key-0123456789"}),
        ("/records", {"limit": "2"}, {"Authorization": f"bearer {API_KEY} "}),
        ("/records", {"limit": "2"}, {"Authorization": "Bearer"}),
        ("/records", {"limit": "2"}, {"Authorization": f"Basic {API_KEY}"}),
    ]
    out: dict[str, list[dict[str, Any]]] = {}
    for keyed in (False, True):
        settings = Settings.build(
            store="sqlite", sqlite_path=str(db), **({"api_key": API_KEY} if keyed else {})
        )
        runtime = build_runtime(settings, store=SqliteStore(db))
        answers = []
        for kind in HTTP_KINDS:
            for path, query, headers in asked:
                event = http_event(kind, path, query=query, headers=headers)
                response = runtime.http(event, FakeLambdaContext())
                answers.append({"request": [kind, path, query, headers], "response": response})
        runtime.close()
        out["keyed" if keyed else "open"] = answers
    return out


def record(out: Path) -> None:
    """Ask everything, write it to ``out``."""
    with tempfile.TemporaryDirectory(prefix="api-snapshot-") as tmp:
        folder = Path(tmp)
        db = folder / "records.db"
        names = populate(db)
        asked = requests(names)
        result: dict[str, Any] = {"names": names, "answers": {}, "documents": {}}
        for label, key in (("open", None), ("keyed", API_KEY)):
            with serve(db, key) as url:
                result["answers"][f"serve {label}"] = ask(url, asked)
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                document = httpx.get(url + "/openapi.json", headers=headers)
                result["documents"][f"openapi {label}"] = document.json()
                metrics = httpx.get(url + "/metrics", headers=headers)
                result["documents"][f"metrics {label}"] = sorted(
                    line.rsplit(" ", 1)[0]
                    for line in metrics.text.splitlines()
                    if line and not line.startswith("#") and "_bucket" not in line
                )
        (folder / "broken").mkdir()
        with broken_api(folder / "broken") as url:
            result["answers"]["broken store"] = ask(url, [r for r in asked if not r[2]][-40:])
        result["answers"]["lambda"] = lambda_answers(db, names)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True))
    count = sum(len(v) if isinstance(v, list) else 1 for v in result["answers"].values())
    print(f"{out}: {count} answer sets")


def compare(before: Path, after: Path) -> int:
    """Print every answer that differs; 1 if any does."""
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    differ = total = 0
    for group, answers in old["answers"].items():
        if group == "lambda":
            for label in answers:
                for a, b in zip(answers[label], new["answers"][group][label], strict=True):
                    total += 1
                    differ += _lambda_differs(label, a, b)
            continue
        for a, b in zip(answers, new["answers"][group], strict=True):
            total += 1
            differ += _http_differs(group, a, b)
    for name in old["documents"]:
        if old["documents"][name] != new["documents"][name]:
            differ += 1
            print(f"DIFF document {name}")
    print(f"{differ} differences in {total} answers and {len(old['documents'])} documents")
    return int(differ > 0)


def _lambda_differs(label: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a == b:
        return False
    print(f"DIFF lambda {label} {a['request']}\n  {a['response']}\n  {b['response']}")
    return True


def _http_differs(group: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a == b or _same_document(a, b):
        return False
    print(f"DIFF {group} {a['request']}: {a['status']} -> {b['status']}")
    for key in ("headers", "body"):
        if a[key] != b[key]:
            shown = [a[key], b[key]]
            if key == "body":
                shown = [base64.b64decode(x)[:300] for x in shown]
            print(f"  {key}: {shown[0]!r}\n  {' ' * len(key)}  {shown[1]!r}")
    return True


def _same_document(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Both answers are the OpenAPI document, the same as JSON (its key order may change)."""
    if not a["request"][1].startswith("/openapi.json") or a["status"] != 200:
        return False
    texts = [base64.b64decode(x["body"]) for x in (a, b)]
    headers = [[h for h in x["headers"] if h[0] != "content-length"] for x in (a, b)]
    same_json = json.loads(texts[0]) == json.loads(texts[1])
    return a["status"] == b["status"] and headers[0] == headers[1] and same_json


def main(argv: list[str]) -> int:
    """``record OUT`` or ``compare BEFORE AFTER``."""
    if argv[:1] == ["record"] and len(argv) == 2:
        record(Path(argv[1]))
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
