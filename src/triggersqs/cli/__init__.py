"""The ``triggersqs`` command line (never shipped to Lambda)."""

from triggersqs.cli.app import main

__all__ = ["main"]
