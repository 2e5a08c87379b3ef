"""Creating the DynamoDB table (``triggersqs create-table``, tests, benchmarks); in AWS the SAM
template creates it from the same definition (schema.py), time to live included."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from triggersqs.errors import StorageError
from triggersqs.storage.dynamodb.errors import error_code, translate
from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def create_table(client: DynamoDBClient, table_name: str, *, wait_seconds: int = 300) -> bool:
    """Create the table (on-demand capacity), wait until it is ACTIVE and turn its time to live
    on (``schema.TTL_ATTRIBUTE``); False if it existed (its time to live is turned on all the
    same)."""
    try:
        client.create_table(TableName=table_name, **TABLE_DEFINITION)
        created = True
    except ClientError as exc:
        if error_code(exc) != "ResourceInUseException":
            raise translate(exc, "CreateTable") from exc
        created = False
    except BotoCoreError as exc:
        raise translate(exc, "CreateTable") from exc
    try:
        client.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": wait_seconds}
        )
    except WaiterError as exc:
        raise StorageError(f"DynamoDB table {table_name} did not become ACTIVE: {exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, "DescribeTable") from exc
    enable_time_to_live(client, table_name)
    return created


def enable_time_to_live(client: DynamoDBClient, table_name: str) -> None:
    """Let DynamoDB delete items once their ``expires_at`` has passed; nothing if it already does.

    A table whose time to live is on for another attribute is refused (DynamoDB allows one).
    """
    try:
        described = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if described.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
            if described.get("AttributeName") != TTL_ATTRIBUTE:
                raise StorageError(
                    f"DynamoDB table {table_name} has its time to live on"
                    f" {described.get('AttributeName')!r}; triggersqs needs {TTL_ATTRIBUTE!r}"
                )
            return
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, "UpdateTimeToLive") from exc
