"""The DynamoDB store: one table shared by every Lambda instance, worker and server in AWS."""
