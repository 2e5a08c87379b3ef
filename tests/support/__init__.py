"""What the test groups share, and the only test code a group may import besides its own.

One fake clock (clock.py), one Lambda context (lambda_context.py), one ``wait_for`` (waiting.py),
the fakes (fakes.py), the servers tests start (servers.py, serving.py, sqs.py, stack.py), the
builders of events and records (events.py, factories.py), and what a run left behind (tally.py,
figures.py). pyproject.toml's import-linter contracts keep the groups from importing each other.
"""
