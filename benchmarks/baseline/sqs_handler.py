"""The tutorial's ``triggersqs/sqs_handler.py``: parse the batch, append each message to a file."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import BaseModel

# Hard-coded there; read from the environment here so the benchmark's events match it.
ARN_SOURCE = os.environ.get(
    "BASELINE_QUEUE_ARN", "arn:aws:sqs:us-east-1:123456789012:triggersqs_Queue"
)
LOG_PATH = os.environ.get("BASELINE_LOG_PATH", "/tmp/log.txt")


class Message(BaseModel):
    command: str
    client_id: str


class SQSHandler:
    def __init__(self, arn_source: str) -> None:
        self.arn_source = arn_source

    def parse_messages(self, event: dict[str, Any]) -> list[Message]:
        # Records from another queue are skipped (and so deleted by Lambda): the tutorial's flaw.
        return [
            Message(**json.loads(record["body"]))
            for record in event.get("Records", [])
            if record["eventSourceARN"] == self.arn_source
        ]


def handler_sqs(event: dict[str, Any]) -> None:
    for message in SQSHandler(ARN_SOURCE).parse_messages(event):
        # A repr, not JSON, and a file opened per message and left for the GC to close.
        open(LOG_PATH, "a+").write(str(message.model_dump()) + "\n")  # noqa: SIM115
