"""Form types, their field specifications, and the checks that decide what a clerk must review.

One YAML spec per form type lives in ``specs/``; the checks are plain functions that take values
and return ``ReviewReason`` lists, so the extractor (``pipeline/extract.py``) stays generic.
"""
