"""Celery workers of the document pipeline: ``app`` (queues, crash-safe settings), ``tasks``
(ocr → record → archive, webhooks), ``results`` (intermediate results in S3), ``webhooks``,
``run`` (``sohoa worker``)."""
