"""The two functions' permissions, on the template CloudFormation receives, in every variant.

The SAM template is expanded by the AWS SAM translator (tests/deploy/conftest.py), then resolved
for each package type, with a queue the stack creates and with an existing one
(tests/deploy/cloudformation.py): what is checked is what a stack would hold. The API's role
writes nothing; the consumer has no URL; each role has exactly what its function does.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.cloudformation import Deployment, resolve
from tests.deploy.support import (
    EXISTING_QUEUE,
    QUEUE_KEY,
    VARIANTS,
    get_att,
)
from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION

TABLE = repr(get_att("Table", "Arn"))
OBJECTS = repr({"Fn::Sub": "${BodyBucket.Arn}/*"})
INDEXES = [
    repr({"Fn::Sub": f"${{Table.Arn}}/index/{index['IndexName']}"})
    for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]
]
LOG_WRITES = ("logs:CreateLogStream", "logs:PutLogEvents")
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "s3:GetObject"}
"""The only data actions the API's role may have."""


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def stack(request: pytest.FixtureRequest, expanded_template: dict[str, Any]) -> Deployment:
    return resolve(expanded_template, **VARIANTS[request.param])


def as_list(value: Any) -> list[Any]:  # IAM allows one value or a list
    return value if isinstance(value, list) else [value]


def function_of(stack: Deployment, role: str) -> tuple[str, dict[str, Any]]:
    """The logical id and properties of the function told TRIGGERSQS_ROLE=role."""
    [found] = [
        (name, function["Properties"])
        for name, function in stack.of_type("AWS::Lambda::Function").items()
        if function["Properties"]["Environment"]["Variables"]["TRIGGERSQS_ROLE"] == role
    ]
    return found


def grants(stack: Deployment, role: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the role of the function told ``role`` allows."""
    _, function = function_of(stack, role)
    [role_name, _] = function["Role"]["Fn::GetAtt"]
    policies = stack.resources[role_name]["Properties"]["Policies"]
    statements = [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]
    assert all(statement["Effect"] == "Allow" for statement in statements)
    return {
        (action, repr(resource))
        for statement in statements
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def queue(stack: Deployment) -> Any:
    """The consumed queue: the existing one's ARN, or the Fn::GetAtt of the one created."""
    return stack.parameters["QueueArn"] or get_att("Queue", "Arn")


def test_every_reference_points_to_a_resource_the_stack_creates(stack: Deployment) -> None:
    assert stack.references() <= set(stack.resources)


def test_one_consumer_and_one_api_function_exist(stack: Deployment) -> None:
    functions = stack.of_type("AWS::Lambda::Function")
    kind = "Image" if stack.parameters["PackageType"] == "Image" else "Zip"

    assert sorted(functions) == [f"Api{kind}Function", f"Consumer{kind}Function"]
    assert function_of(stack, "api")[0] == f"Api{kind}Function"
    assert function_of(stack, "consumer")[0] == f"Consumer{kind}Function"


def test_the_consumer_has_no_url_and_is_triggered_by_the_queue_only(stack: Deployment) -> None:
    consumer, _ = function_of(stack, "consumer")
    api, _ = function_of(stack, "api")
    [url] = stack.of_type("AWS::Lambda::Url").values()
    [mapping] = stack.of_type("AWS::Lambda::EventSourceMapping").values()

    assert url["Properties"]["TargetFunctionArn"] == {"Ref": api}
    assert mapping["Properties"]["FunctionName"] == {"Ref": consumer}
    assert mapping["Properties"]["EventSourceArn"] == queue(stack)
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert not stack.of_type("AWS::Lambda::Permission"), "nobody else may invoke either"


def test_the_api_url_takes_only_iam_signed_requests(stack: Deployment) -> None:
    [url] = stack.of_type("AWS::Lambda::Url").values()

    assert url["Properties"]["AuthType"] == "AWS_IAM"
    assert "Cors" not in url["Properties"]


def test_the_api_role_has_no_write_action(stack: Deployment) -> None:
    log_group = repr(get_att("ApiLogGroup", "Arn"))

    data = {action for action, resource in grants(stack, "api") if resource != log_group}
    logs = {action for action, resource in grants(stack, "api") if resource == log_group}

    assert data == READS
    assert logs == set(LOG_WRITES), "its own log group only"


def test_the_api_role_grants_exactly_the_reads_the_api_makes(stack: Deployment) -> None:
    assert grants(stack, "api") == {
        *((action, TABLE) for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem")),
        ("dynamodb:Query", TABLE),
        *(("dynamodb:Query", index) for index in INDEXES),
        ("s3:GetObject", OBJECTS),
        *((action, repr(get_att("ApiLogGroup", "Arn"))) for action in LOG_WRITES),
    }


def test_the_consumer_role_grants_exactly_what_consuming_and_storing_take(
    stack: Deployment,
) -> None:
    sqs = (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    )
    decrypt = {("kms:Decrypt", repr(QUEUE_KEY))} if stack.parameters["QueueKmsKeyArn"] else set()

    assert grants(stack, "consumer") == {
        *((action, repr(queue(stack))) for action in sqs),
        ("dynamodb:PutItem", TABLE),  # also authorises the puts of TransactWriteItems
        ("s3:PutObject", OBJECTS),
        *((action, repr(get_att("ConsumerLogGroup", "Arn"))) for action in LOG_WRITES),
        *decrypt,
    }


def test_no_allow_statement_has_a_wildcard_but_object_keys_and_log_streams(
    stack: Deployment,
) -> None:
    # The only wildcards: the bucket's objects (one per message id) and the log group's streams
    # (its Fn::GetAtt Arn ends in ":*"; Lambda names a stream per execution environment).
    for role in ("api", "consumer"):
        for action, resource in grants(stack, role):
            assert "*" not in action, (role, action)
            assert "*" not in resource or resource == OBJECTS, (role, action, resource)


def test_sam_adds_no_role_policy_or_managed_policy_of_its_own(stack: Deployment) -> None:
    roles = stack.of_type("AWS::IAM::Role")

    assert sorted(roles) == ["ApiRole", "ConsumerRole"]
    for role in roles.values():
        properties = role["Properties"]
        assert "ManagedPolicyArns" not in properties
        assert properties["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    assert not stack.of_type("AWS::IAM::Policy")
    assert not stack.of_type("AWS::IAM::ManagedPolicy")


def test_an_existing_queue_gets_no_new_queue_and_both_functions_are_told_it(
    stack: Deployment,
) -> None:
    queues = stack.of_type("AWS::SQS::Queue")
    told = {
        repr(function["Properties"]["Environment"]["Variables"]["TRIGGERSQS_QUEUE_ARNS"])
        for function in stack.of_type("AWS::Lambda::Function").values()
    }

    if stack.parameters["QueueArn"]:
        assert queues == {}
        assert told == {repr(EXISTING_QUEUE)}
        assert "QueueUrl" not in stack.outputs
    else:
        assert sorted(queues) == ["DeadLetterQueue", "Queue"]
        assert told == {repr(get_att("Queue", "Arn"))}


def test_an_existing_queue_without_a_customer_key_gets_no_kms_permission(
    expanded_template: dict[str, Any],
) -> None:
    stack = resolve(expanded_template, QueueArn=EXISTING_QUEUE)

    assert not any(action.startswith("kms:") for action, _ in grants(stack, "consumer"))
    assert "DeadLetterQueueAlarm" not in stack.resources, "no dead-letter queue named to watch"
