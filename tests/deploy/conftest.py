"""The artifacts the deployment tests read, each made once per session.

The Lambda zips, built by scripts/build-lambda-zip:

- ``built_zip``: for the Python and processor running the tests, so the tests can run it;
- ``template_target_zip``: for deploy/template.yaml's defaults (Python 3.13, arm64), as a user
  builds it, so its manifest can be checked against the template. Its bytecode is allowed to be
  missing: this machine need not have Python 3.13, and that zip is only read, never run.

And ``expanded_template``: the template as CloudFormation receives it, once per session.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import (
    BUILD_LAMBDA_ZIP,
    EXPAND_TEMPLATE,
    IAC_BIN,
    TEMPLATE,
    parse_template,
    tool,
)

LOCAL_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]
LOCAL_PYTHON = "{}.{}".format(*sys.version_info[:2])


@dataclass(frozen=True)
class Build:
    """A zip build-lambda-zip wrote, its manifest, and what the script printed."""

    zip: Path
    manifest: dict[str, Any]
    stdout: str
    stderr: str

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.zip) as archive:
            return archive.namelist()


def build_zip(output: Path, *arguments: str) -> Build:
    """Run scripts/build-lambda-zip; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, str(BUILD_LAMBDA_ZIP), *arguments, "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # No Python is downloaded to compile bytecode: a build finds one here or goes without.
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads(output.with_name(f"{output.stem}.manifest.json").read_text())
    return Build(output, manifest, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> Build:
    output = tmp_path_factory.mktemp("dist") / "lambda.zip"
    build = build_zip(output, "--python-version", LOCAL_PYTHON, "--arch", LOCAL_ARCH)
    assert f"Python {LOCAL_PYTHON} {LOCAL_ARCH}" in build.stdout
    return build


@pytest.fixture(scope="session")
def template_target_zip(tmp_path_factory: pytest.TempPathFactory) -> Build:
    output = tmp_path_factory.mktemp("dist") / "lambda.zip"
    return build_zip(output, "--allow-no-bytecode")


@pytest.fixture(scope="session")
def task_root(built_zip: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local zip unpacked into an empty folder, as Lambda unpacks it into /var/task."""
    root = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(built_zip.zip) as archive:
        archive.extractall(root)
    return root


@pytest.fixture(scope="session")
def expanded_template() -> dict[str, Any]:
    """deploy/template.yaml as CloudFormation receives it: expanded by the AWS SAM translator."""
    result = subprocess.run(
        [str(tool(IAC_BIN / "python")), "-W", "error", str(EXPAND_TEMPLATE), str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return parse_template(result.stdout)
