"""cfn-lint and checkov pass on deploy/template.yaml as CloudFormation will receive it.

cfn-lint 1.54+ checks SAM resources against SAM's own schema only: an unknown property in an SQS
event, ``Timeout: 3000`` or ``Runtime: python3.99`` in an ``AWS::Serverless::Function`` pass it
silently. So the template is first expanded by the AWS SAM translator (deploy/expand_template.py,
the library CloudFormation runs), for each package type, and the expansion is linted too. The
broken copies prove that this pipeline catches what the SAM shorthand hides.

One fixture runs every tool once (cfn-lint and checkov side by side); the tests read its report.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import (
    EXPAND_TEMPLATE,
    IAC_BIN,
    TEMPLATE,
    VENV_BIN,
    get_att,
    parse_template,
    resources_of_type,
    tool,
)

pytestmark = pytest.mark.slow

PACKAGE_TYPES = ("zip", "image")
# Each copy breaks the template in one way the SAM shorthand hides from cfn-lint; the text says
# what the failure must mention.
BROKEN = {
    "unknown_event_property": (
        "            FunctionResponseTypes: [ReportBatchItemFailures]\n",
        "            FunctionResponseTypes: [ReportBatchItemFailures]\n            Bogus: 1\n",
        "Bogus",
    ),
    "timeout_3000": (
        "      Runtime: python3.13\n",
        "      Runtime: python3.13\n      Timeout: 3000\n",
        "3000",
    ),
    "runtime_python3_99": (
        "      Runtime: python3.13\n",
        "      Runtime: python3.99\n",
        "python3.99",
    ),
}


@dataclass(frozen=True)
class LintRun:
    """What the tools said about the template, its expansions and the broken copies."""

    sources: dict[str, Path]
    expanded: dict[str, Path]
    translator_errors: str
    cfn_lint: list[dict[str, Any]]
    checkov: dict[str, Any]

    def cfn_lint_findings(self, path: Path) -> list[str]:
        return [
            f"{match['Rule']['Id']}: {match['Message']}"
            for match in self.cfn_lint
            if Path(match["Filename"]).resolve() == path.resolve()
        ]


def write_sources(work: Path) -> dict[str, Path]:
    """The template for each package type (the parameter's default decides what checkov and
    cfn-lint evaluate) and one copy per way of breaking it."""
    text = TEMPLATE.read_text(encoding="utf-8")
    variants = {"zip": text, "image": text.replace("    Default: Zip\n", "    Default: Image\n")}
    assert variants["image"] != text
    for name, (old, new, _) in BROKEN.items():
        assert text.count(old) >= 1, f"{name}: the template changed; update the broken copy"
        variants[name] = text.replace(old, new, 1)
    sources = {}
    for name, content in variants.items():
        sources[name] = work / f"{name}.yaml"
        sources[name].write_text(content, encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def lint_run(tmp_path_factory: pytest.TempPathFactory) -> LintRun:
    work = tmp_path_factory.mktemp("lint")
    sources = write_sources(work)
    out = work / "expanded"
    out.mkdir()
    # GIVEN every copy expanded by the SAM translator, as `sam deploy` + CloudFormation would
    expand = [str(tool(IAC_BIN / "python")), "-W", "error", str(EXPAND_TEMPLATE)]
    translated = subprocess.run(
        [*expand, *map(str, sources.values()), "--output-dir", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    expanded = {name: out / f"{name}.json" for name in sources if (out / f"{name}.json").exists()}
    assert set(PACKAGE_TYPES) <= set(expanded), translated.stderr
    # WHEN cfn-lint reads the templates and the expansions, and checkov the good ones
    # (cfn-lint weighs every condition, so one SAM copy covers both package types; checkov
    # follows the parameters' defaults, so it reads the expansion of each.)
    lint_files = [sources["zip"], *expanded.values()]
    cfn_lint = subprocess.Popen(
        [tool(VENV_BIN / "cfn-lint"), "--format", "json", *lint_files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scanned = [sources["zip"], *(expanded[kind] for kind in PACKAGE_TYPES)]
    checkov_options = ["--framework", "cloudformation", "--skip-download", "--output", "json"]
    checkov = subprocess.Popen(
        [str(tool(IAC_BIN / "checkov")), *checkov_options, "--file", *map(str, scanned)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=work,
    )
    cfn_lint_out, cfn_lint_err = cfn_lint.communicate(timeout=240)
    checkov_out, checkov_err = checkov.communicate(timeout=240)
    # cfn-lint's status is a bit set of finding levels (2, 4, 8); 1 means it crashed.
    assert cfn_lint.returncode % 2 == 0, cfn_lint_err
    assert checkov.returncode in (0, 1), checkov_err
    report = json.loads(checkov_out)
    return LintRun(
        sources=sources,
        expanded=expanded,
        translator_errors=translated.stderr,
        cfn_lint=json.loads(cfn_lint_out or "[]"),
        checkov=report[0] if isinstance(report, list) else report,
    )


@pytest.mark.parametrize("package_type", PACKAGE_TYPES)
def test_cfn_lint_passes_on_the_template_and_on_what_cloudformation_receives(
    lint_run: LintRun, package_type: str
) -> None:
    # THEN neither the SAM template nor its CloudFormation expansion has a finding
    assert lint_run.cfn_lint_findings(lint_run.sources["zip"]) == []
    assert lint_run.cfn_lint_findings(lint_run.expanded[package_type]) == []


def test_checkov_passes_on_the_template_and_on_the_expansion_of_each_package_type(
    lint_run: LintRun,
) -> None:
    summary = lint_run.checkov["summary"]
    results = lint_run.checkov["results"]
    scanned = {Path(check["file_path"]).name for check in results["passed_checks"]}

    assert summary["failed"] == 0, results["failed_checks"]
    assert summary["parsing_errors"] == 0
    assert scanned == {"zip.yaml", "zip.json", "image.json"}


def test_checkov_looked_at_the_functions_the_role_the_table_and_the_endpoint(
    lint_run: LintRun,
) -> None:
    passed = {
        (check["check_id"], check["resource"], Path(check["file_path"]).name)
        for check in lint_run.checkov["results"]["passed_checks"]
    }

    for kind, function in (("zip", "ZipFunction"), ("image", "ImageFunction")):
        assert ("CKV_AWS_45", f"AWS::Lambda::Function.{function}", f"{kind}.json") in passed
        assert ("CKV_AWS_258", f"AWS::Lambda::Url.{function}Url", f"{kind}.json") in passed
        assert ("CKV_AWS_63", "AWS::IAM::Role.FunctionRole", f"{kind}.json") in passed
        assert ("CKV_AWS_28", "AWS::DynamoDB::Table.Table", f"{kind}.json") in passed


def test_every_check_checkov_skipped_carries_the_reason_from_the_template(
    lint_run: LintRun,
) -> None:
    skipped = lint_run.checkov["results"]["skipped_checks"]

    assert skipped
    for check in skipped:
        assert check["check_result"]["suppress_comment"], check["check_id"]


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_lint_pipeline_fails_on_a_broken_copy(lint_run: LintRun, broken: str) -> None:
    expected = BROKEN[broken][2]
    source = lint_run.sources[broken]
    if broken in lint_run.expanded:
        findings = lint_run.cfn_lint_findings(lint_run.expanded[broken])
        assert any(expected in finding for finding in findings), findings
    else:
        # The translator itself refused it, as CloudFormation's transform would.
        errors = [line for line in lint_run.translator_errors.splitlines() if str(source) in line]
        assert any(expected in line for line in errors), lint_run.translator_errors


@pytest.mark.parametrize("package_type", PACKAGE_TYPES)
def test_the_expansion_keeps_the_trigger_and_adds_no_permissions(
    lint_run: LintRun, package_type: str
) -> None:
    expanded = parse_template(lint_run.expanded[package_type].read_text(encoding="utf-8"))
    mappings = resources_of_type(expanded, "AWS::Lambda::EventSourceMapping")
    roles = resources_of_type(expanded, "AWS::IAM::Role")
    functions = resources_of_type(expanded, "AWS::Lambda::Function")

    assert {mapping["Properties"]["FunctionResponseTypes"][0] for mapping in mappings.values()} == {
        "ReportBatchItemFailures"
    }
    assert list(roles) == ["FunctionRole"], "SAM created no role of its own"
    assert "ManagedPolicyArns" not in roles["FunctionRole"]["Properties"]
    for function in functions.values():
        assert function["Properties"]["Role"] == get_att("FunctionRole", "Arn")
    assert not resources_of_type(expanded, "AWS::Lambda::Permission")
