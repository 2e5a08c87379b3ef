"""The tutorial's ``triggersqs/main.py``: the FastAPI app, reading the whole file per request."""

from __future__ import annotations

import json

from fastapi import FastAPI

from benchmarks.baseline import sqs_handler

app = FastAPI()


@app.get("/healthcheck")
def root():  # noqa: ANN201 - untyped, as there
    return {"message": "health check"}


@app.get("/records")  # type: ignore[no-redef]
def root():  # type: ignore[no-untyped-def]  # noqa: ANN201, F811 - both are named root there
    try:
        with open(sqs_handler.LOG_PATH) as file:
            lines = file.readlines()
        # Each line is a Python repr; swapping quotes makes it JSON unless a value holds a quote.
        parsed = [json.loads(line.replace("\n", "").replace("'", '"')) for line in lines]
        messages = {}
        for position in range(len(parsed)):
            messages[f"{position}"] = parsed[position]
        return {"messages": messages}  # noqa: TRY300 - as there
    except:  # noqa: E722 - as there: any error, even one bad line, answers an empty listing
        return {"messages": {}}
