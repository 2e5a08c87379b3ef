"""The adapters of the core's store ports (SQLite, DynamoDB, in-memory), and what they share
(common.py)."""
