"""The HTTP API (FastAPI): routes, dependencies and schemas kept apart, errors in EN and VI."""
