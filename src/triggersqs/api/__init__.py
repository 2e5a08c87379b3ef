"""The HTTP API (Starlette): stored records and rejected messages, read-only."""

from triggersqs.api.app import create_app

__all__ = ["create_app"]
