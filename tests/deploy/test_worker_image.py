"""deploy/worker.Dockerfile (the `worker`/`serve` image) and deploy/docker-compose.yaml (`dev`
beside a service), checked offline: no Docker engine runs here, so hadolint reads the Dockerfile,
dclint checks the compose file against the Compose specification's schema and its rules, and these
tests assert what each must hold (non-root, no dev tools, the services wired by name)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from tests.deploy.support import ROOT, tool
from tests.deploy.test_lambda_dockerfile import hadolint

WORKER_DOCKERFILE: Final = ROOT / "deploy" / "worker.Dockerfile"
COMPOSE: Final = ROOT / "deploy" / "docker-compose.yaml"
DCLINT: Final = ROOT / ".tools" / "compose-lint" / "node_modules" / ".bin" / "dclint"


def instructions(path: Path) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line and line[0].isupper()]


def final_stage(path: Path) -> list[str]:
    steps = instructions(path)
    last_from = max(i for i, step in enumerate(steps) if step.startswith("FROM "))
    return steps[last_from:]


def dclint(path: Path) -> subprocess.CompletedProcess[str]:
    if not DCLINT.exists():
        pytest.fail(f"{DCLINT} is missing: run scripts/install-compose-lint (scripts/test does)")
    return subprocess.run(
        [str(DCLINT), str(path)], capture_output=True, text=True, check=False, timeout=60
    )


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


# -- the image -------------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_worker_dockerfile() -> None:
    result = hadolint(WORKER_DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_user_without_privileges() -> None:
    steps = final_stage(WORKER_DOCKERFILE)
    users = [step for step in steps if step.startswith("USER ")]

    assert users, "the final stage names no USER: it would run as root"
    user = users[-1].split()[1].split(":")[0]
    assert user not in {"0", "root"}
    assert any("useradd" in step and f"--uid {user}" in step for step in steps)


def test_the_image_installs_the_locked_server_extra_without_dev_tools() -> None:
    steps = instructions(WORKER_DOCKERFILE)
    syncs = [step for step in steps if "uv sync" in step]

    assert syncs
    for step in syncs:
        assert "--frozen" in step
        assert "--no-default-groups" in step, "the dev group (pytest, mypy...) would be installed"
        assert '--extra "$EXTRAS"' in step
    assert "ARG EXTRAS=server" in steps
    final = final_stage(WORKER_DOCKERFILE)
    assert not any(step.startswith("RUN") and ("pip" in step or "uv" in step) for step in final)
    assert "COPY --from=build /opt/triggersqs /opt/triggersqs" in final


def test_the_image_runs_the_triggersqs_command_worker_by_default() -> None:
    final = final_stage(WORKER_DOCKERFILE)

    assert 'ENTRYPOINT ["triggersqs"]' in final
    assert final[-1] == 'CMD ["worker"]'


def locked(*extras: str) -> set[str]:
    """The packages ``uv sync --no-default-groups --extra ...`` installs, read from the lock."""
    uv = ROOT / ".tools" / "uv" / "bin" / "uv"
    chosen = [arg for extra in extras for arg in ("--extra", extra)]
    exported = subprocess.run(
        [str(tool(uv)), "export", "--frozen", "--no-default-groups", *chosen,
         "--no-emit-project", "--no-hashes", "--project", str(ROOT)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    return {line.split("==")[0] for line in exported.splitlines() if "==" in line}


DEV_TOOLS: Final = {"pytest", "mypy", "ruff", "hypothesis", "schemathesis", "matplotlib", "awscli"}


def test_the_server_extra_leaves_out_the_test_and_lint_toolchain() -> None:
    # what the image installs
    names = locked("server")

    assert {"uvicorn", "boto3", "starlette", "swagger-ui-bundle-v2"} <= names
    assert names.isdisjoint(DEV_TOOLS | {"moto", "cfn-lint"}), names & (DEV_TOOLS | {"moto"})


def test_scripts_dev_installs_the_dev_extra_and_no_test_toolchain() -> None:
    # what scripts/dev installs: the project's dev extra, not the default (test) group
    script = (ROOT / "scripts" / "dev").read_text()
    [install] = [line for line in script.splitlines() if line.startswith("scripts/bootstrap")]
    assert "--no-default-groups" in install.split()
    assert "--extra dev" in install
    names = locked("dev")

    assert {"uvicorn", "moto", "flask", "flask-cors"} <= names
    assert names.isdisjoint(DEV_TOOLS | {"cfn-lint", "sympy", "docker"}), names & DEV_TOOLS


# -- the compose example ---------------------------------------------------------------------------


def test_dclint_finds_nothing_in_the_compose_example() -> None:
    result = dclint(COMPOSE)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "problem" not in result.stdout, result.stdout


def test_dclint_does_fail_on_a_broken_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yaml"
    broken.write_text("services:\n  web:\n    image: nginx\n    ports: 8080\n    restrat: always\n")

    result = dclint(broken)

    assert result.returncode != 0
    assert "invalid-schema" in result.stdout
    assert "additional properties" in result.stdout  # the misspelt key


def test_dev_runs_in_the_compose_example_reachable_by_its_service_name() -> None:
    services = compose()["services"]
    dev = services["triggersqs"]

    assert dev["build"]["dockerfile"] == "deploy/worker.Dockerfile"
    assert dev["build"]["args"]["EXTRAS"] == "dev"
    assert dev["command"][:3] == ["dev", "--host", "0.0.0.0"]  # noqa: S104 - in its container
    # published on this machine's loopback only
    assert all(port.startswith("127.0.0.1:") for port in dev["ports"])


def test_the_service_beside_dev_finds_it_through_the_client_variables() -> None:
    services = compose()["services"]
    client = services["your-service"]

    assert client["depends_on"]["triggersqs"]["condition"] == "service_healthy"
    environment = client["environment"]
    assert environment["TRIGGERSQS_QUEUE_URL"].startswith("http://triggersqs:9324/")
    assert environment["TRIGGERSQS_API_URL"] == "http://triggersqs:8000"
    assert "triggersqs send" in client["command"][0]
