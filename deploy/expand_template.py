"""Print the CloudFormation template AWS really runs for a SAM template, offline.

``sam deploy`` uploads local code and replaces its path with an S3 URI (``sam package``); then
CloudFormation expands the ``AWS::Serverless-2016-10-31`` transform with the AWS SAM translator.
This script does both without AWS: the code path becomes a placeholder S3 URI and the translator
(the same library CloudFormation uses) expands the rest. cfn-lint and checkov then check what
CloudFormation will receive, not the SAM shorthand (cfn-lint 1.54+ no longer expands SAM itself).

Run it with the interpreter that has ``aws-sam-translator`` (scripts/install-iac-tools)::

    .tools/iac/bin/python deploy/expand_template.py deploy/template.yaml -o expanded.json

Several templates at once: ``--output-dir DIR`` writes ``DIR/<name>.json`` for each. A template
the translator refuses (an unknown event property, say) gets no output, its reasons go to stderr
and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER_CODE_URI = "s3://triggersqs-artifacts/lambda.zip"
"""Where ``sam package`` would have put the function's zip."""
REGION = "us-east-1"

# The translator records usage metrics for AWS and warns when nobody publishes them; nobody will.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)


def package(template: dict[str, Any]) -> dict[str, Any]:
    """Replace local ``CodeUri`` paths by an S3 URI, as ``sam package`` does."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        code_uri = properties.get("CodeUri")
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            properties["CodeUri"] = PLACEHOLDER_CODE_URI
    return template


def expand(template: dict[str, Any]) -> dict[str, Any]:
    """The plain CloudFormation template the SAM transform turns ``template`` into."""
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        boto_session=boto3.session.Session(region_name=REGION),
    )
    expanded: dict[str, Any] = translator.translate(
        package(template),
        parameter_values={},
        # No AWS account to ask for managed policy ARNs; a template that needs one fails here.
        get_managed_policy_map=dict,
    )
    return expanded


def main(argv: list[str] | None = None) -> int:
    """Expand the templates named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("templates", type=Path, nargs="+")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, help="one template: write here, not stdout")
    where.add_argument("--output-dir", type=Path, help="write DIR/<name>.json for each template")
    args = parser.parse_args(argv)
    if len(args.templates) > 1 and not args.output_dir:
        parser.error("several templates need --output-dir")
    status = 0
    for template in args.templates:
        try:
            expanded = expand(yaml_parse(template.read_text(encoding="utf-8")))
        except InvalidDocumentException as exc:
            for cause in exc.causes:
                print(f"{template}: {cause.message}", file=sys.stderr)
            status = 1
            continue
        text = json.dumps(expanded, indent=2, sort_keys=True) + "\n"
        if args.output_dir:
            (args.output_dir / f"{template.stem}.json").write_text(text, encoding="utf-8")
        elif args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
