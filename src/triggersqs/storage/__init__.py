"""Stores of messages: the port, and its adapters (SQLite, DynamoDB, in-memory)."""
