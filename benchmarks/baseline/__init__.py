"""The original tutorial (vinybrasil/triggersqs), re-implemented faithfully as the baseline.

Its flaws are kept on purpose (one text file, every request reads all of it, FastAPI and Mangum
imported on every cold start). Two changes only: the file and the queue ARN come from the
environment (``BASELINE_LOG_PATH``, ``BASELINE_QUEUE_ARN``) so runs do not collide, and pydantic
v2's ``model_dump`` replaces v1's ``dict``.
"""
