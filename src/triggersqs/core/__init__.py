"""The core: records, message validation, batch processing, the store ports, injected clocks,
pagination and the read service. No I/O, no vendor SDK, no environment (docs/architecture.md)."""
