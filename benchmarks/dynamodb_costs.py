"""What the DynamoDB store costs per stored message and per page read, in requests and capacity
units, as DynamoDB Local reports them (``ReturnConsumedCapacity=INDEXES`` on every request).

    .venv/bin/python benchmarks/dynamodb_costs.py [--messages 200] [--pages 20]

Starts DynamoDB Local (scripts/install-dynamodb-local) and moto's S3 server, makes fresh tables,
and runs the store as deployed, through a client whose every request asks for its consumed
capacity (botocore's event hooks; the store itself never asks). Prints one Markdown table:
requests and units per message written, per page of 100 read, per single message read.
docs/dynamodb.md quotes it, with where DynamoDB Local departs from AWS's documented rules.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: reuse the tests' server starters and factories

from tests.support.factories import body, envelope, new_record, new_rejection  # noqa: E402
from tests.support.servers import dynamodb_client, dynamodb_local, moto_server, s3_client  # noqa: E402

from triggersqs.core.ports import RecordFilter, SaveStatus  # noqa: E402
from triggersqs.core.records import Incoming, NewRecord  # noqa: E402
from triggersqs.storage.dynamodb import DynamoDbStore, create_table  # noqa: E402
from triggersqs.storage.dynamodb.items import items_of  # noqa: E402
from triggersqs.storage.dynamodb.schema import (  # noqa: E402
    INDEX_CLIENT,
    INDEX_KEYS,
    LISTED_ATTRIBUTES,
    LISTED_BODY,
    TABLE_DEFINITION,
    keys_only_indexes,
)
from triggersqs.storage.dynamodb.sizes import INDEX_ENTRY_OVERHEAD, entry_size, item_size  # noqa: E402
from triggersqs.storage.retention import Retention  # noqa: E402
from triggersqs.storage.s3_bodies import BodyBucket  # noqa: E402


@dataclass
class Meter:
    """Requests and consumed capacity units seen since the last :meth:`take`."""

    requests: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)

    def attach(self, client: Any) -> None:  # noqa: ANN401 - a boto3 DynamoDB client
        """Make every request of ``client`` ask for, and report here, its consumed capacity."""

        def ask(params: dict[str, Any], **_: object) -> None:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

        def count(parsed: dict[str, Any], model: Any, **_: object) -> None:  # noqa: ANN401
            self.requests[model.name] += 1
            consumed = parsed.get("ConsumedCapacity") or []
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                self.units["table"] += entry.get("Table", {}).get("CapacityUnits", 0.0)
                for index, used in entry.get("GlobalSecondaryIndexes", {}).items():
                    self.units[index] += used.get("CapacityUnits", 0.0)

        client.meta.events.register("provide-client-params.dynamodb.*", ask)
        client.meta.events.register("after-call.dynamodb.*", count)

    def take(self) -> tuple[Counter[str], Counter[str]]:
        """What was counted, and start again from zero."""
        taken = (self.requests, self.units)
        self.requests, self.units = Counter(), Counter()
        return taken


@contextmanager
def measured_store(
    endpoint: str, bodies: BodyBucket | None, *, keys_only: bool = False
) -> Iterator[tuple[DynamoDbStore, Meter]]:
    """A store on a fresh table (its indexes as create-table makes them, or ``keys_only`` as
    tables made before they carried listings) whose client counts every request."""
    admin = dynamodb_client(endpoint)
    table = f"costs-{uuid.uuid4().hex[:8]}"
    if keys_only:
        definition = {**TABLE_DEFINITION, "GlobalSecondaryIndexes": keys_only_indexes()}
        admin.create_table(TableName=table, **definition)
        admin.get_waiter("table_exists").wait(TableName=table)
    else:
        create_table(admin, table)
    client = dynamodb_client(endpoint)
    meter = Meter()
    meter.attach(client)
    store = DynamoDbStore(client, table, retention=Retention(30), bodies=bodies)
    try:
        yield store, meter
    finally:
        store.close()
        admin.delete_table(TableName=table)
        admin.close()


def per_item(
    store: DynamoDbStore, meter: Meter, make: Callable[[], Incoming], count: int
) -> dict[str, Any]:
    """Write ``count`` items in batches of 10; requests and units per item."""
    items = [make() for _ in range(count)]
    meter.take()
    for start in range(0, count, 10):
        statuses = store.save(items[start : start + 10])
        assert statuses == [SaveStatus.STORED] * len(statuses), statuses
    requests, units = meter.take()
    return _row(requests, units, count)


def _row(requests: Counter[str], units: Counter[str], count: int) -> dict[str, Any]:
    return {
        "requests": {name: n / count for name, n in sorted(requests.items())},
        "units": {name: round(n / count, 2) for name, n in sorted(units.items())},
        "total_units": round(sum(units.values()) / count, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    n = args.messages
    rows: dict[str, dict[str, Any]] = {}
    with dynamodb_local() as endpoint, moto_server() as moto:
        with measured_store(endpoint, None) as (store, meter):
            command = len(body())  # {"command": "SetStatus", "client_id": "c79da7ce8e5e"}
            rows[f"record, {command}-byte body"] = per_item(store, meter, new_record, n)
            rows["rejection, 8-byte body"] = per_item(store, meter, new_rejection, n)
            rows["duplicate (record again)"] = _duplicates(store, meter, n)
            for size in (1_000, 4_000, 16_000):
                text = body(padding="x" * size)
                rows[f"record, {len(text):,}-byte body"] = per_item(
                    store, meter, _record_of(text), n // 10
                )
            large = body(padding="x" * 100_000)
            rows[f"record, {len(large):,}-byte body, no bucket (parts)"] = per_item(
                store, meter, _record_of(large), 10
            )
        for keys_only in (False, True):
            with measured_store(endpoint, None, keys_only=keys_only) as (store, meter):
                found = _reads(store, meter, args.pages)
                if keys_only:
                    found = {
                        f"{name}, indexes with keys only (tables made before)": row
                        for name, row in found.items()
                        if name.startswith("page")
                    }
                rows.update(found)
        s3 = s3_client(moto)
        s3.create_bucket(Bucket="costs")
        with measured_store(endpoint, BodyBucket(s3_client(moto), "costs")) as (store, meter):
            rows[f"record, {len(large):,}-byte body, in S3 (and 1 S3 PutObject)"] = per_item(
                store, meter, _record_of(large), 10
            )
    print(_storage())
    print()
    print("| what | requests | write or read units: table | indexes | total |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        requests = ", ".join(f"{count:g} {op}" for op, count in row["requests"].items())
        table = row["units"].get("table", 0)
        indexes = round(row["total_units"] - table, 2)
        print(f"| {name} | {requests} | {table:g} | {indexes:g} | {row['total_units']:g} |")


def _storage() -> str:
    """Bytes stored per command (item and index entries, 100 bytes of overhead each), computed
    from the items by AWS's size rules (storage/dynamodb/sizes.py): not something Local reports."""
    main, _ = items_of(new_record(), 1_764_000_000_000_000, expires_at=1_766_592_000)
    stored = item_size(main) + INDEX_ENTRY_OVERHEAD
    listing = [entry_size(main, key, LISTED_ATTRIBUTES) for key in INDEX_KEYS.values()]
    plain = dict(main)
    plain.pop(LISTED_BODY, None)
    keys_only = [entry_size(plain, key, ()) for key in INDEX_KEYS.values()]
    keys_only[1] = entry_size(plain, INDEX_KEYS[INDEX_CLIENT], ("command",))
    before = item_size(plain) + INDEX_ENTRY_OVERHEAD + sum(keys_only)
    return (
        f"Storage per command ({len(body())}-byte body), computed: {stored + sum(listing):,} bytes"
        f" (item {stored}, index entries {', '.join(map(str, listing))});"
        f" with indexes of keys only, {before:,} bytes"
    )


def _record_of(text: str) -> Callable[[], Incoming]:
    return lambda: NewRecord(envelope(text), "SetStatus", "c1")


def _duplicates(store: DynamoDbStore, meter: Meter, count: int) -> dict[str, Any]:
    items = [new_record() for _ in range(count)]
    for start in range(0, count, 10):
        store.save(items[start : start + 10])
    meter.take()
    for start in range(0, count, 10):
        store.save(items[start : start + 10])
    requests, units = meter.take()
    return _row(requests, units, count)


def _reads(store: DynamoDbStore, meter: Meter, pages: int) -> dict[str, dict[str, Any]]:
    """Pages of 100 (unfiltered, by client, by command) and single reads, per page or read."""
    # One client in 20 sends half the records, so its filter fills pages too.
    clients = [f"client-{n}" for n in range(20)]
    items = [
        NewRecord(envelope(body(client_id=who)), "SetStatus", who)
        for n in range(100 * pages * 2 + 100)
        for who in [clients[3] if n % 2 else clients[n % 20]]
    ]
    for start in range(0, len(items), 100):
        store.save(items[start : start + 100])
    found: dict[str, dict[str, Any]] = {}
    for name, where in (
        ("page of 100, no filter", RecordFilter()),
        ("page of 100, client_id filter", RecordFilter(client_id=clients[3])),
        ("page of 100, command filter", RecordFilter(command="SetStatus")),
    ):
        meter.take()
        _walk(store, where, pages)
        requests, units = meter.take()
        found[name] = _row(requests, units, pages)
    # Bodies too long to be copied to the index: each page reads its main items too.
    long_body = body(padding="x" * 1000)
    store.save([NewRecord(envelope(long_body), "Long", "c1") for _ in range(100 * pages + 1)])
    meter.take()
    _walk(store, RecordFilter(command="Long"), pages)
    requests, units = meter.take()
    found[f"page of 100, {len(long_body):,}-byte bodies"] = _row(requests, units, pages)
    meter.take()
    for item in items[:pages]:
        assert store.get_record(item.envelope.message_id) is not None
    requests, units = meter.take()
    found[f"one message by id, {len(body())}-byte body"] = _row(requests, units, pages)
    return found


def _walk(store: DynamoDbStore, where: RecordFilter, pages: int) -> None:
    """Read ``pages`` full pages of 100 from the start, each from the last one's cursor."""
    after = None
    for _ in range(pages):
        page = store.list_records(where, after=after, limit=100)
        assert len(page.items) == 100, "the dataset holds fewer full pages than asked"
        after = page.items[-1].cursor


if __name__ == "__main__":
    main()
