"""What DynamoDB charges a write by: the size of an item and of each of its index entries, by the
rules AWS documents ("DynamoDB item sizes and formats"), for the attribute types this store
writes (strings and numbers).

A write unit covers 1 KB (1,024 bytes) of an item, rounded up per item; an index entry counts the
table's key, the index's key, the attributes the index projects and 100 bytes of overhead.
docs/dynamodb.md has the arithmetic this store is designed by.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = dict[str, AttributeValueTypeDef]

WRITE_UNIT_BYTES: Final = 1024
INDEX_ENTRY_OVERHEAD: Final = 100
TABLE_KEY: Final = ("pk", "sk")


def attribute_size(name: str, value: AttributeValueTypeDef) -> int:
    """Bytes of one attribute: its name's UTF-8 bytes plus its value's (a number: one byte per
    two significant digits, plus one; AWS calls this approximate)."""
    size = len(name.encode("utf-8"))
    if "S" in value:
        return size + len(value["S"].encode("utf-8"))
    if "N" in value:
        digits = value["N"].lstrip("-").replace(".", "").strip("0") or "0"
        return size + -(-len(digits) // 2) + 1
    raise ValueError(f"attribute {name!r}: only strings and numbers are sized here")


def item_size(item: Item, names: Iterable[str] | None = None) -> int:
    """Bytes of ``item``, or of only the attributes ``names`` it has."""
    chosen = item if names is None else (name for name in names if name in item)
    return sum(attribute_size(name, item[name]) for name in chosen)


def entry_size(item: Item, index_key: tuple[str, str], projected: Iterable[str]) -> int:
    """Bytes of ``item``'s entry in an index keyed by ``index_key`` that projects ``projected``."""
    return item_size(item, (*TABLE_KEY, *index_key, *projected)) + INDEX_ENTRY_OVERHEAD


def write_units(size: int) -> int:
    """Write units of an item (or index entry) of ``size`` bytes."""
    return max(1, -(-size // WRITE_UNIT_BYTES))
