"""The Lambda doors: dispatch by event shape, one module per event source, and Lambda's types."""
