"""Never shipped to Lambda: the poller, worker, dev stack, embedded SQS server, uvicorn server,
sender and API client."""
