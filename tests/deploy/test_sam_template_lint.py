"""cfn-lint and checkov pass on deploy/template.yaml as CloudFormation will receive it.

cfn-lint 1.54+ checks SAM resources against SAM's own schema only: an unknown property in an SQS
event, ``Timeout: 3000`` or ``Runtime: python3.99`` in an ``AWS::Serverless::Function`` pass it
silently. So the template is first expanded by the AWS SAM translator (deploy/expand_template.py,
the library CloudFormation runs), for each package type, with a queue the stack creates and with
an existing one, and the expansion is linted too. The broken copies prove that this pipeline
catches what the SAM shorthand hides.

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
    EXISTING,
    EXPAND_TEMPLATE,
    IAC_BIN,
    TEMPLATE,
    VENV_BIN,
    tool,
)

pytestmark = pytest.mark.slow

VARIANTS = ("zip", "image", "zip-existing", "image-existing")
"""Each package type, with a queue the stack creates and with an existing one (and an alarm
mail, so that the SNS topic is checked too)."""
EXISTING_DEFAULTS = {**EXISTING, "AlarmEmail": "ops@example.com"}
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


def with_default(text: str, parameter: str, value: str) -> str:
    """The template with another default for an empty-by-default parameter."""
    old = f'  {parameter}:\n    Type: String\n    Default: ""\n'
    assert text.count(old) == 1, parameter
    return text.replace(old, f"  {parameter}:\n    Type: String\n    Default: {value}\n")


def write_sources(work: Path) -> dict[str, Path]:
    """The template for each variant (the parameters' defaults decide what checkov evaluates)
    and one copy per way of breaking it."""
    text = TEMPLATE.read_text(encoding="utf-8")
    image = text.replace("    Default: Zip\n", "    Default: Image\n")
    assert image != text
    variants = {"zip": text, "image": image}
    for kind in ("zip", "image"):
        existing = variants[kind]
        for parameter, value in EXISTING_DEFAULTS.items():
            existing = with_default(existing, parameter, value)
        variants[f"{kind}-existing"] = existing
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
    assert set(VARIANTS) <= set(expanded), translated.stderr
    # WHEN cfn-lint reads the templates and the expansions, and checkov the good ones
    # (cfn-lint weighs every condition, so one SAM copy covers every variant; checkov follows
    # the parameters' defaults, so it reads the expansion of each.)
    lint_files = [sources["zip"], *expanded.values()]
    cfn_lint = subprocess.Popen(
        [tool(VENV_BIN / "cfn-lint"), "--format", "json", *lint_files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scanned = [sources["zip"], *(expanded[variant] for variant in VARIANTS)]
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


@pytest.mark.parametrize("variant", VARIANTS)
def test_cfn_lint_passes_on_the_template_and_on_what_cloudformation_receives(
    lint_run: LintRun, variant: str
) -> None:
    # THEN neither the SAM template nor its CloudFormation expansion has a finding
    assert lint_run.cfn_lint_findings(lint_run.sources["zip"]) == []
    assert lint_run.cfn_lint_findings(lint_run.expanded[variant]) == []


def test_checkov_passes_on_the_template_and_on_the_expansion_of_each_variant(
    lint_run: LintRun,
) -> None:
    summary = lint_run.checkov["summary"]
    results = lint_run.checkov["results"]
    scanned = {Path(check["file_path"]).name for check in results["passed_checks"]}

    assert summary["failed"] == 0, results["failed_checks"]
    assert summary["parsing_errors"] == 0
    assert scanned == {"zip.yaml", *(f"{variant}.json" for variant in VARIANTS)}


def test_checkov_looked_at_the_functions_the_roles_the_table_the_bucket_and_the_endpoint(
    lint_run: LintRun,
) -> None:
    passed = {
        (check["check_id"], check["resource"], Path(check["file_path"]).name)
        for check in lint_run.checkov["results"]["passed_checks"]
    }

    for variant in VARIANTS:
        kind = "Image" if variant.startswith("image") else "Zip"
        scanned = f"{variant}.json"
        for function in (f"Consumer{kind}Function", f"Api{kind}Function"):
            assert ("CKV_AWS_45", f"AWS::Lambda::Function.{function}", scanned) in passed
        assert ("CKV_AWS_258", f"AWS::Lambda::Url.Api{kind}FunctionUrl", scanned) in passed
        for role in ("ConsumerRole", "ApiRole"):
            assert ("CKV_AWS_63", f"AWS::IAM::Role.{role}", scanned) in passed
        assert ("CKV_AWS_28", "AWS::DynamoDB::Table.Table", scanned) in passed
        for check in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"):
            assert (check, "AWS::S3::Bucket.BodyBucket", scanned) in passed


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
