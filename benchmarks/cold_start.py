"""Cold start: a fresh interpreter imports the Lambda handler module and handles its first event.

Each run is a new process of this virtualenv's Python, as a Lambda execution environment starts
one. Four kinds of run are interleaved round by round, so a slow moment of the machine hits them
alike: triggersqs and the baseline (the tutorial), each on an SQS event (a batch of 10) and on an
API Gateway REST (v1) ``GET /records`` (the one HTTP shape the baseline dispatches). triggersqs
uses its default store, SQLite, in a fresh file per run (so schema creation is included); the
HTTP runs read a copy of a file holding 100 records, and the baseline a copy of a 100-line log.

Bytecode: Lambda images ship compiled bytecode, and this machine sets PYTHONDONTWRITEBYTECODE, so
without care every run would compile every module from source. Before timing, a probe run of
each handler lists the modules it loads and they are compiled (both sides alike); each timed run
then checks that every module it loaded came with bytecode.

Times come from the system-wide monotonic clock: *spawn* is taken by the parent just before it
starts the process, *imported* and *handled* by the child. ``cold start`` = spawn -> first response
(what Lambda's Init Duration plus the first Duration add up to); ``import + event`` leaves out the
interpreter's own start-up, which both sides pay alike.
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CONTEXT,
    PYTHON,
    QUEUE_ARN,
    ROOT,
    Table,
    clean_env,
    median,
    rest_get,
    sqs_batch,
)

OURS = ("triggersqs.lambda_handler", "handler")
BASELINE = ("benchmarks.baseline.lambda_handler", "lambda_handler")
_HTTP_RECORDS = 100

CHILD = """
import time
import json, os, sys
spec = json.loads(sys.stdin.read())

class Context:
    aws_request_id = "cold-start"
    function_name = "cold-start"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-start"
    def get_remaining_time_in_millis(self):
        return 900_000

started = time.monotonic()
module = __import__(spec["module"], fromlist=["_"])
handler = getattr(module, spec["handler"])
imported = time.monotonic()
responses = [handler(event, Context()) for event in spec["events"]]
handled = time.monotonic()
cpu = time.process_time()
# Modules frozen into the interpreter (os, codecs, ...) have a __file__ but load no file.
sources = [
    m for m in list(sys.modules.values())
    if isinstance(getattr(m, "__file__", None), str) and m.__file__.endswith(".py")
    and getattr(getattr(m, "__spec__", None), "origin", None) != "frozen"
]
files = sorted({m.__file__ for m in sources})
uncompiled = [
    m.__file__ for m in sources if not os.path.exists(getattr(m, "__cached__", None) or "")
]
print("RESULT " + json.dumps({
    "started": started, "imported": imported, "handled": handled, "cpu": cpu,
    "responses": responses, "uncompiled": uncompiled,
    "files": files if spec.get("list_files") else [],
}, default=str))
"""


@dataclass(frozen=True)
class Kind:
    """One kind of cold start: which handler, which event, what its answer must be."""

    label: str
    path: str
    handler: tuple[str, str]
    event: dict[str, Any]
    env: Callable[[Path], dict[str, str]]
    check: Callable[[Any], bool]


def _ours_env(store: str, **extra: str) -> Callable[[Path], dict[str, str]]:
    def env(workdir: Path) -> dict[str, str]:
        return {
            "TRIGGERSQS_STORE": store,
            "TRIGGERSQS_SQLITE_PATH": str(workdir / "triggersqs.db"),
            **extra,
        }

    return env


def _baseline_env(workdir: Path) -> dict[str, str]:
    return {"BASELINE_LOG_PATH": str(workdir / "log.txt"), "BASELINE_QUEUE_ARN": QUEUE_ARN}


def _stored_all(response: Any) -> bool:  # noqa: ANN401
    return bool(response == {"batchItemFailures": []})


def _baseline_stored(response: Any) -> bool:  # noqa: ANN401
    return response is None  # the tutorial answers nothing when it succeeds


def _page_of(count: int) -> Callable[[Any], bool]:
    def check(response: Any) -> bool:  # noqa: ANN401
        if not isinstance(response, dict) or response.get("statusCode") != 200:
            return False
        return len(json.loads(response["body"])["messages"]) == count

    return check


def kinds() -> list[Kind]:
    """The runs compared: both handlers on both paths (and ours on its memory store)."""
    sqs = sqs_batch(10)
    http = rest_get("/records")
    return [
        Kind("triggersqs (SQLite)", "SQS", OURS, sqs, _ours_env("sqlite"), _stored_all),
        Kind("baseline (tutorial)", "SQS", BASELINE, sqs, _baseline_env, _baseline_stored),
        Kind("triggersqs (memory store)", "SQS", OURS, sqs, _ours_env("memory"), _stored_all),
        # What the EMF metrics (on by default) cost the SQS cold start: the same run without.
        Kind(
            "triggersqs (SQLite, metrics off)",
            "SQS",
            OURS,
            sqs,
            _ours_env("sqlite", TRIGGERSQS_METRICS="off"),
            _stored_all,
        ),
        Kind(
            "triggersqs (SQLite)",
            "HTTP",
            OURS,
            http,
            _ours_env("sqlite"),
            _page_of(_HTTP_RECORDS),
        ),
        Kind("baseline (tutorial)", "HTTP", BASELINE, http, _baseline_env, _page_of(_HTTP_RECORDS)),
    ]


def _prepare_templates(templates: Path) -> None:
    """A SQLite file and a tutorial log, each holding the same 100 records."""
    from triggersqs.bootstrap import build_runtime
    from triggersqs.settings import Settings

    app = build_runtime(
        Settings.build(store="sqlite", sqlite_path=str(templates / "triggersqs.db"))
    )
    assert app.sqs(sqs_batch(_HTTP_RECORDS), CONTEXT) == {"batchItemFailures": []}
    app.store.close()
    with (templates / "log.txt").open("w") as log:
        for event_record in sqs_batch(_HTTP_RECORDS)["Records"]:
            log.write(str(json.loads(event_record["body"])) + "\n")


def run_child(
    kind: Kind, workdir: Path, templates: Path, *, list_files: bool = False
) -> dict[str, Any]:
    """One fresh interpreter: its timings, checked answer and loaded module files."""
    if kind.path == "HTTP":
        for name in ("triggersqs.db", "log.txt"):
            shutil.copy(templates / name, workdir / name)
    spec = {
        "module": kind.handler[0],
        "handler": kind.handler[1],
        "events": [kind.event],
        "list_files": list_files,
    }
    payload = json.dumps(spec)
    spawned = time.monotonic()
    finished = subprocess.run(
        [PYTHON, "-c", CHILD],
        input=payload,
        capture_output=True,
        text=True,
        env=clean_env(**kind.env(workdir)),
        cwd=ROOT,
        check=False,
    )
    exited = time.monotonic()
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"{kind.label} {kind.path} failed:\n{finished.stdout}{finished.stderr}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    if not kind.check(result["responses"][0]):
        raise RuntimeError(f"{kind.label} {kind.path} answered wrongly: {result['responses']}")
    result["spawned"] = spawned
    result["exited"] = exited
    return result


def compile_bytecode(all_kinds: list[Kind], workdir: Path, templates: Path) -> int:
    """Compile every module the handlers load (as a Lambda image ships); how many were stale."""
    files: set[str] = set()
    for kind in all_kinds:
        files.update(run_child(kind, workdir, templates, list_files=True)["files"])
        _clear(workdir)
    compiled = 0
    for file in sorted(files):
        cached = Path(file).parent / "__pycache__"
        before = {p: p.stat().st_mtime for p in cached.glob(Path(file).stem + ".*.pyc")}
        if not compileall.compile_file(file, quiet=2):
            raise RuntimeError(f"cannot compile {file}")
        after = {p: p.stat().st_mtime for p in cached.glob(Path(file).stem + ".*.pyc")}
        compiled += after != before
    return compiled


def _clear(workdir: Path) -> None:
    for path in workdir.iterdir():
        path.unlink()


def run(runs: int = 20) -> Table:
    """Median cold starts of ``runs`` fresh interpreters per kind, with ratios to the baseline."""
    all_kinds = kinds()
    samples: dict[tuple[str, str], list[dict[str, float]]] = {
        (k.label, k.path): [] for k in all_kinds
    }
    with tempfile.TemporaryDirectory(prefix="triggersqs-cold-") as tmp:
        workdir, templates = Path(tmp) / "run", Path(tmp) / "templates"
        workdir.mkdir()
        templates.mkdir()
        _prepare_templates(templates)
        compiled = compile_bytecode(all_kinds, workdir, templates)
        for _ in range(runs):
            for kind in all_kinds:
                result = run_child(kind, workdir, templates)
                _clear(workdir)
                if result["uncompiled"]:
                    raise RuntimeError(f"modules loaded without bytecode: {result['uncompiled']}")
                samples[(kind.label, kind.path)].append(
                    {
                        "cold_ms": (result["handled"] - result["spawned"]) * 1000,
                        "import_event_ms": (result["handled"] - result["started"]) * 1000,
                        "import_ms": (result["imported"] - result["started"]) * 1000,
                        "event_ms": (result["handled"] - result["imported"]) * 1000,
                        "process_ms": (result["exited"] - result["spawned"]) * 1000,
                        "cpu_ms": result["cpu"] * 1000,
                    }
                )
    return _table(all_kinds, samples, runs, compiled)


def _table(
    all_kinds: list[Kind],
    samples: dict[tuple[str, str], list[dict[str, float]]],
    runs: int,
    compiled: int,
) -> Table:
    table = Table(
        "cold_start",
        f"1. Cold start (median of {runs} fresh interpreters, ms)",
        [
            "path",
            "handler",
            "cold start (spawn → 1st response)",
            "x baseline",
            "import + 1st event",
            "x baseline",
            "CPU time",
            "x baseline",
            "import",
            "1st event",
        ],
    )
    medians = {
        key: {metric: median([s[metric] for s in values]) for metric in values[0]}
        for key, values in samples.items()
    }
    for kind in all_kinds:
        m = medians[(kind.label, kind.path)]
        base = medians[("baseline (tutorial)", kind.path)]
        is_base = kind.label.startswith("baseline")
        table.rows.append(
            [
                kind.path,
                kind.label,
                m["cold_ms"],
                None if is_base else m["cold_ms"] / base["cold_ms"],
                m["import_event_ms"],
                None if is_base else m["import_event_ms"] / base["import_event_ms"],
                m["cpu_ms"],
                None if is_base else m["cpu_ms"] / base["cpu_ms"],
                m["import_ms"],
                m["event_ms"],
            ]
        )
    table.data = {
        "runs": runs,
        "medians": {f"{label} / {path}": m for (label, path), m in medians.items()},
        "samples": {f"{label} / {path}": s for (label, path), s in samples.items()},
        "sqs_ratio": medians[("triggersqs (SQLite)", "SQS")]["cold_ms"]
        / medians[("baseline (tutorial)", "SQS")]["cold_ms"],
        "http_ratio": medians[("triggersqs (SQLite)", "HTTP")]["cold_ms"]
        / medians[("baseline (tutorial)", "HTTP")]["cold_ms"],
    }
    table.notes = [
        "SQS: a batch of 10 valid messages; triggersqs stores them in a fresh SQLite file (schema"
        " created in the run), the baseline appends them to a fresh text file.",
        f"HTTP: API Gateway REST (v1) `GET /records` over {_HTTP_RECORDS} stored records (SQLite"
        " file / tutorial log copied in before each run).",
        "Every module both handlers load was compiled to bytecode first, as a Lambda image ships"
        f" it ({compiled} files were missing or stale); each run checked it loaded no module"
        " without bytecode.",
        "`cold start` includes the interpreter's own start-up (spawn to first response);"
        " `import + 1st event` starts the clock in the child just before the import.",
    ]
    return table
