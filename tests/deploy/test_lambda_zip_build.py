"""scripts/build-lambda-zip: the SDK it pins, the manifest it writes, the bytecode it insists on.

The builds come from tests/deploy/conftest.py: one for this machine (``built_zip``), one for the
template's defaults (``template_target_zip``), whose manifest must agree with
deploy/template.yaml. test_lambda_zip.py runs the first.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import LOCAL_ARCH, LOCAL_PYTHON, Build
from tests.deploy.support import (
    BUILD_LAMBDA_ZIP,
    LOCAL_ONLY,
    ROOT,
    SDK_SERVICES,
    load_template,
    locked_version,
    resources_of_type,
)

pytestmark = pytest.mark.slow

MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
"""The processor names in extension modules' file names, by Lambda architecture."""
# A client is made by boto3 (``.client("s3")``) or by the composition root's helpers, which
# take the service name as their first string argument (bootstrap.py).
CLIENT_CALL = re.compile(
    r"""(?:\.client|build_aws_clients|_aws_client)\((?:[^()"']*?,\s*)?["']([a-z0-9-]+)["']"""
)


def dist_info_versions(build: Build) -> dict[str, str]:
    """Each package in the zip and its version, from its dist-info folder's METADATA."""
    versions = {}
    with zipfile.ZipFile(build.zip) as archive:
        for name in archive.namelist():
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
                text = archive.read(name).decode()
                package = re.search(r"^Name: (.+)$", text, re.MULTILINE)
                version = re.search(r"^Version: (.+)$", text, re.MULTILINE)
                assert package is not None, name
                assert version is not None, name
                normalised = re.sub(r"[-_.]+", "-", package.group(1).strip()).lower()
                versions[normalised] = version.group(1).strip()
    return versions


def extension_suffixes(build: Build) -> set[str]:
    """The ABI part of every compiled module's file name, e.g. cpython-313-aarch64-linux-gnu."""
    return {
        name.rsplit("/", 1)[-1].split(".")[-2]
        for name in build.names()
        if name.endswith(".so") and ".cpython-" in name
    }


def zip_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: function["Properties"]
        for name, function in resources_of_type(template, "AWS::Serverless::Function").items()
        if function["Properties"].get("PackageType", "Zip") == "Zip"
    }


# -- the SDK ------------------------------------------------------------------------------------


def test_the_zip_bundles_the_boto3_and_botocore_uv_lock_pins(built_zip: Build) -> None:
    versions = dist_info_versions(built_zip)

    assert versions["boto3"] == locked_version("boto3")
    assert versions["botocore"] == locked_version("botocore")
    assert built_zip.manifest["sdk"]["boto3"] == locked_version("boto3")
    assert built_zip.manifest["sdk"]["botocore"] == locked_version("botocore")


def test_botocore_keeps_the_models_of_the_services_the_function_calls_only(
    built_zip: Build,
) -> None:
    listed = built_zip.names()
    services = {
        name.split("/")[2]
        for name in listed
        if name.count("/") > 2 and name.startswith("botocore/data/")
    }
    shared = {name for name in listed if re.fullmatch(r"botocore/data/[^/]+\.json", name)}
    [record] = [name for name in listed if re.fullmatch(r"botocore-[^/]+\.dist-info/RECORD", name)]
    with zipfile.ZipFile(built_zip.zip) as archive:
        recorded = archive.read(record).decode()

    assert services == set(SDK_SERVICES) == {"dynamodb", "s3"}
    assert "botocore/data/endpoints.json" in shared
    assert "botocore/data/_retry.json" in shared
    assert "botocore/data/sqs/" not in recorded, "RECORD lists only what the zip holds"
    assert built_zip.manifest["sdk"]["services"] == sorted(SDK_SERVICES)


def test_the_function_code_creates_clients_only_for_the_services_the_zip_keeps() -> None:
    # GIVEN the code that ships (src/triggersqs without the local tooling)
    package = ROOT / "src"
    shipped = [
        path
        for path in package.rglob("*.py")
        if not path.relative_to(package).as_posix().startswith(LOCAL_ONLY)
    ]

    # WHEN every boto3 client it creates is listed
    called = {
        service for path in shipped for service in CLIENT_CALL.findall(path.read_text("utf-8"))
    }

    # THEN botocore in the zip has each one's model
    assert "dynamodb" in called, "the search finds the store's client"
    assert called <= set(SDK_SERVICES), called - set(SDK_SERVICES)


# -- the manifest -------------------------------------------------------------------------------


def test_the_manifest_says_what_the_zip_was_built_for_and_holds(built_zip: Build) -> None:
    manifest = built_zip.manifest
    python_tag = LOCAL_PYTHON.replace(".", "")

    assert manifest["zip"] == built_zip.zip.name
    assert manifest["sha256"] == hashlib.sha256(built_zip.zip.read_bytes()).hexdigest()
    assert manifest["runtime"] == f"python{LOCAL_PYTHON}"
    assert manifest["architecture"] == LOCAL_ARCH
    assert manifest["bytecode"] is True
    assert manifest["packages"] == dist_info_versions(built_zip)
    assert extension_suffixes(built_zip) == {
        f"cpython-{python_tag}-{MACHINE[LOCAL_ARCH]}-linux-gnu"
    }


def test_a_default_build_matches_the_runtime_and_architecture_of_the_template(
    template_target_zip: Build,
) -> None:
    # GIVEN the zip scripts/build-lambda-zip builds with no options, and the template
    template = load_template()
    manifest = template_target_zip.manifest
    runtimes = {properties["Runtime"] for properties in zip_functions(template).values()}
    architecture = template["Parameters"]["Architecture"]["Default"]

    # THEN its manifest names the template's runtime and default architecture...
    assert runtimes == {manifest["runtime"]}
    assert manifest["architecture"] == architecture
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]
    # ...and says the truth: every compiled module is for that Python and processor
    python_tag = manifest["runtime"].removeprefix("python").replace(".", "")
    assert extension_suffixes(template_target_zip) == {
        f"cpython-{python_tag}-{MACHINE[architecture]}-linux-gnu"
    }
    assert manifest["sdk"]["boto3"] == locked_version("boto3")
    # ...and the build said nothing needs overriding at deploy time
    assert "parameter-overrides" not in template_target_zip.stderr
    assert "will not load" not in template_target_zip.stderr


def test_a_zip_for_another_processor_says_which_architecture_to_deploy_with(
    built_zip: Build,
) -> None:
    default = load_template()["Parameters"]["Architecture"]["Default"]
    if default == LOCAL_ARCH:
        assert "parameter-overrides" not in built_zip.stderr
    else:
        assert f"--parameter-overrides Architecture={LOCAL_ARCH}" in built_zip.stderr


# -- bytecode -----------------------------------------------------------------------------------


def test_a_build_without_an_interpreter_of_the_target_version_stops_before_writing(
    tmp_path: Path,
) -> None:
    # GIVEN the template's Python (3.13; 3.12 if the tests run on 3.13) nowhere to be found: an
    # empty PATH, no Python installed by uv, no downloads
    target = "3.12" if LOCAL_PYTHON == "3.13" else "3.13"
    output = tmp_path / "dist" / "lambda.zip"
    empty = tmp_path / "empty"
    empty.mkdir()
    environ = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PATH": str(empty),
        "UV_PYTHON_INSTALL_DIR": str(empty),
        "UV_PYTHON_DOWNLOADS": "never",
    }

    # WHEN the zip is built for it without --allow-no-bytecode
    result = subprocess.run(
        [sys.executable, BUILD_LAMBDA_ZIP, "--python-version", target, "--output", output],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=environ,
    )

    # THEN it fails with one clear line, and writes neither a zip nor a manifest
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"no Python {target} found to compile the bytecode" in result.stderr
    assert "--allow-no-bytecode" in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.parent.exists()


def test_a_build_allowed_to_go_without_bytecode_says_so_in_its_manifest(
    template_target_zip: Build,
) -> None:
    has_bytecode = any(name.endswith(".pyc") for name in template_target_zip.names())

    assert template_target_zip.manifest["bytecode"] is has_bytecode
    if not has_bytecode:
        assert "warning: no Python 3.13 here (--allow-no-bytecode)" in template_target_zip.stderr
