"""Never shipped to Lambda: the poller and its visibility keeper, the SQS client, the worker, the
dev stack, the embedded SQS server, the uvicorn server, the sender and the API client."""
