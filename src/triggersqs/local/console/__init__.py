"""The console page of ``dev`` and ``serve`` at ``/``: queue and outcome counts, the latest
records and rejections, the DLQ and its redrive, live in a browser. Never on the Lambda path:
it lives in local/, which the Lambda artifact leaves out (docs/console.md)."""

from triggersqs.local.console.routes import Console, add_console

__all__ = ["Console", "add_console"]
