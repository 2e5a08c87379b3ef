"""triggersqs: consume JSON commands from AWS SQS, store them exactly once, serve them over HTTP."""

__version__ = "0.1.0"
