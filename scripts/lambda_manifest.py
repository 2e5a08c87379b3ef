"""The manifest scripts/build-lambda-zip writes next to a zip: what the zip was built for.

deploy/template.yaml must agree with it (the functions' ``Runtime``, the ``Architecture``
parameter); :func:`template_notes` says where it does not. docs/deploying.md explains it.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import metadata
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "template.yaml"


def installed_versions(task: Path) -> dict[str, str]:
    """Every package in ``task`` and its version, by normalised name."""
    return {
        re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(): dist.version
        for dist in sorted(metadata.distributions(path=[str(task)]), key=lambda d: d.name)
    }


def manifest_path(output: Path) -> Path:
    """Where the manifest of a zip goes: dist/lambda.zip -> dist/lambda.manifest.json."""
    return output.with_name(f"{output.stem}.manifest.json")


def write_manifest(
    output: Path,
    *,
    python_version: str,
    arch: str,
    platform: str,
    services: list[str],
    packages: dict[str, str],
    compiled: bool,
) -> Path:
    """What the zip was built for, next to it; deploy/template.yaml must agree (docs/deploying.md).

    ``runtime`` and ``architecture`` are the template's ``Runtime`` and ``Architecture``.
    """
    manifest = {
        "zip": output.name,
        "sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
        "runtime": f"python{python_version}",
        "architecture": arch,
        "platform": platform,
        "bytecode": compiled,
        "sdk": {
            "boto3": packages["boto3"],
            "botocore": packages["botocore"],
            "services": services,
        },
        "packages": packages,
    }
    path = manifest_path(output)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def template_notes(python_version: str, arch: str) -> list[str]:
    """What deploy/template.yaml needs to run this zip, where its defaults differ."""
    text = TEMPLATE.read_text(encoding="utf-8")
    notes = []
    runtimes = set(re.findall(r"^\s+Runtime: (python\S+)$", text, re.MULTILINE))
    if runtimes != {f"python{python_version}"}:
        notes.append(
            f"warning: deploy/template.yaml runs {', '.join(sorted(runtimes))}; this zip is for "
            f"python{python_version} and will not load there"
        )
    default = re.search(r"^  Architecture:\n(?:    .*\n)*?    Default: (\S+)$", text, re.MULTILINE)
    if default is None or default.group(1) != arch:
        notes.append(f"deploy with --parameter-overrides Architecture={arch}")
    return notes
