"""deploy/Dockerfile: clean under hadolint, and built the way the issue asks.

No Docker engine runs here, so the image is not built; these tests read the Dockerfile. The zip
tests exercise the same uv commands (export from the lock, install for the target, wheel from
src/, unchecked-hash bytecode) end to end.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.deploy.support import DOCKERFILE, LOCAL_ONLY, VENV_BIN, tool

INSTRUCTION = re.compile(r"^(FROM|RUN|COPY|CMD|ARG|ENV|WORKDIR|ENTRYPOINT)\b", re.MULTILINE)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool(VENV_BIN / "hadolint"), "--no-color", path],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if INSTRUCTION.match(line)]


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = hadolint(DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_fail_on_a_broken_copy(tmp_path: Path) -> None:
    # GIVEN a copy that installs with pip unpinned, from an untagged image
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM public.ecr.aws/lambda/python\nRUN pip install boto3\n")

    result = hadolint(broken)

    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged image
    assert "DL3013" in result.stdout  # unpinned pip install


def test_the_image_builds_on_the_lambda_python_313_base_image_in_stages() -> None:
    steps = instructions()
    bases = [step for step in steps if step.startswith("FROM ")]

    assert "ARG PYTHON_VERSION=3.13" in steps
    assert bases[-1] == "FROM public.ecr.aws/lambda/python:${PYTHON_VERSION}"
    assert "FROM public.ecr.aws/lambda/python:${PYTHON_VERSION} AS build" in bases
    assert steps[-1] == 'CMD ["triggersqs.lambda_handler.handler"]'
    assert "COPY --from=build /opt/task ${LAMBDA_TASK_ROOT}" in steps


def test_the_image_installs_the_locked_runtime_dependencies_and_sdk_only() -> None:
    [install] = [step for step in instructions() if "uv export" in step]

    assert "uv export --frozen --no-dev --no-emit-project" in install
    # The locked boto3 and botocore, always: not the base image's floating copy.
    assert "--format requirements.txt --extra aws -o requirements.txt" in install
    assert "--target /opt/task --only-binary :all:" in install
    assert "WITH_BOTO3" not in " ".join(instructions())
    text = DOCKERFILE.read_text()
    assert "uvicorn" not in re.sub(r"#.*", "", text)
    assert "moto" not in re.sub(r"#.*", "", text)


def test_the_image_holds_the_project_as_a_wheel_compiled_to_bytecode() -> None:
    [project] = [step for step in instructions() if "uv build" in step]

    assert "uv build --wheel" in project
    assert "--no-deps /build/dist/*.whl" in project
    assert "compileall" in project
    assert '-s /opt/task -p "$LAMBDA_TASK_ROOT"' in project
    assert "--invalidation-mode unchecked-hash /opt/task" in project


def test_the_image_leaves_out_the_local_tooling_as_the_zip_does() -> None:
    [project] = [step for step in instructions() if "uv build" in step]
    removed = re.search(r"rm -rf ([^\\&]+)", project)

    assert removed is not None
    assert {path.removeprefix("/opt/task/") for path in removed.group(1).split()} >= set(LOCAL_ONLY)
