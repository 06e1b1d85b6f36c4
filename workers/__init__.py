"""Celery workers (a later issue)."""
