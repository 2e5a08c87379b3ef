"""deploy/template.yaml: the table and the bucket keep what they store as long as they should.

Retention (DynamoDB TTL, S3 lifecycle), protection against deletion and silent replacement, the
throughput caps and warm throughput of the 10,000 writes/s design, and a private, encrypted,
TLS-only bucket. Read from the SAM template itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.support import get_att, load_template, ref
from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION, keys_only_indexes

TTL_ATTRIBUTE = "expires_at"
"""The item attribute holding its expiry (epoch seconds), written by the DynamoDB store."""
DESIGN_WRITES_PER_SECOND = 10_000
"""docs/dynamodb.md: the rate the key design sustains without a hot partition."""
ON_DEMAND_WARM_WRITES = 4_000
"""What a new on-demand table or index takes at once without pre-warming (free)."""


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def table(template: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"]["Table"]
    return resource


@pytest.fixture(scope="module")
def bucket(template: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"]["BodyBucket"]
    return resource


# -- the table --------------------------------------------------------------------------------


def test_the_table_schema_is_exactly_the_one_the_code_creates(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert properties["BillingMode"] == TABLE_DEFINITION["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["AttributeDefinitions"] == TABLE_DEFINITION["AttributeDefinitions"]
    assert properties["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    # By default the indexes carry listings, as create-table makes them
    assert template["Parameters"]["IndexProjection"]["Default"] == "listing"
    assert _indexes(template, properties, "listing") == TABLE_DEFINITION["GlobalSecondaryIndexes"]
    assert set(TABLE_DEFINITION) <= set(properties), "every CreateTable parameter is here"


def test_a_stack_made_before_listings_keeps_its_indexes_with_index_projection_keys_only(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    # CloudFormation refuses to change an index's projection: an earlier stack must be able to
    # deploy this template with the projections it was made with
    properties = table["Properties"]

    assert template["Parameters"]["IndexProjection"]["AllowedValues"] == ["listing", "keys-only"]
    assert _indexes(template, properties, "keys-only") == keys_only_indexes()


def _indexes(
    template: dict[str, Any], properties: dict[str, Any], projection: str
) -> list[dict[str, Any]]:
    """The table's indexes as CreateTable takes them, with ``IndexProjection=projection``."""
    condition = {"Fn::Equals": [ref("IndexProjection"), "listing"]}
    assert template["Conditions"]["IndexesCarryListings"] == condition
    found = []
    for index in properties["GlobalSecondaryIndexes"]:
        name, chosen, otherwise = index["Projection"]["Fn::If"]
        assert name == "IndexesCarryListings"
        found.append(
            {
                "IndexName": index["IndexName"],
                "KeySchema": index["KeySchema"],
                "Projection": chosen if projection == "listing" else otherwise,
            }
        )
    return found


def test_items_expire_after_the_retention_the_functions_are_told(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    retention = template["Parameters"]["RetentionDays"]

    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert retention["Default"] == 30
    assert retention["MinValue"] == 0, "0 keeps everything forever"
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TRIGGERSQS_RETENTION_DAYS"] == ref("RetentionDays")


def test_the_table_survives_the_stack_and_is_never_silently_replaced(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    properties = table["Properties"]

    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # A named table cannot be replaced: CloudFormation fails such an update instead.
    assert properties["TableName"] == {
        "Fn::If": ["HasTableName", ref("TableName"), {"Fn::Sub": "${AWS::StackName}-messages"}]
    }
    assert template["Conditions"]["HasTableName"] == {
        "Fn::Not": [{"Fn::Equals": [ref("TableName"), ""]}]
    }


def test_the_table_and_every_index_cap_their_on_demand_throughput(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    caps = {
        "MaxReadRequestUnits": ref("MaxReadRequestUnits"),
        "MaxWriteRequestUnits": ref("MaxWriteRequestUnits"),
    }
    properties = table["Properties"]

    assert properties["OnDemandThroughput"] == caps
    for index in properties["GlobalSecondaryIndexes"]:
        assert index["OnDemandThroughput"] == caps, index["IndexName"]
    for name in caps:
        parameter = template["Parameters"][name]
        assert parameter["MinValue"] >= 1, "a cap, never unlimited"
        assert parameter["Default"] > DESIGN_WRITES_PER_SECOND, "room for the design's rate"


def test_the_table_and_every_index_are_warm_for_the_design_rate(
    template: dict[str, Any], table: dict[str, Any]
) -> None:
    # Each record writes the table and each index once: all four take the design's rate.
    warm = {"WriteUnitsPerSecond": ref("WarmWriteUnitsPerSecond")}
    parameter = template["Parameters"]["WarmWriteUnitsPerSecond"]
    properties = table["Properties"]

    assert properties["WarmThroughput"] == warm
    for index in properties["GlobalSecondaryIndexes"]:
        assert index["WarmThroughput"] == warm, index["IndexName"]
    assert parameter["Default"] >= DESIGN_WRITES_PER_SECOND * 1.2
    assert parameter["MinValue"] == ON_DEMAND_WARM_WRITES
    assert parameter["Default"] <= template["Parameters"]["MaxWriteRequestUnits"]["Default"]


# -- the bucket of large bodies -----------------------------------------------------------------


def test_the_bucket_is_encrypted_and_private(bucket: dict[str, Any]) -> None:
    properties = bucket["Properties"]

    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert "AccessControl" not in properties
    assert "BucketName" not in properties, "no name to change, so no replacement"
    # Kept with the stack's deletion or an update; deleted (empty) if the first deployment fails.
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_the_bucket_refuses_every_request_without_tls(template: dict[str, Any]) -> None:
    policy = template["Resources"]["BodyBucketPolicy"]["Properties"]
    [statement] = policy["PolicyDocument"]["Statement"]

    assert policy["Bucket"] == ref("BodyBucket")
    assert statement == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att("BodyBucket", "Arn"), {"Fn::Sub": "${BodyBucket.Arn}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_bodies_expire_with_their_messages_unless_kept_forever(
    template: dict[str, Any], bucket: dict[str, Any]
) -> None:
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    [expiry] = [rule for rule in rules if "Fn::If" in rule]

    assert expiry == {
        "Fn::If": [
            "KeepsForever",
            ref("AWS::NoValue"),
            {
                "Id": "expire-with-retention",
                "Status": "Enabled",
                "ExpirationInDays": ref("RetentionDays"),
            },
        ]
    }
    assert template["Conditions"]["KeepsForever"] == {"Fn::Equals": [ref("RetentionDays"), "0"]}
    assert {
        "Id": "abort-incomplete-uploads",
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    } in rules


def test_both_functions_are_told_the_bucket(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["TRIGGERSQS_BODY_BUCKET"] == ref("BodyBucket")
