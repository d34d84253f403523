"""Answers kept for the rest of the request: a page that lists rows may ask the same question
once per row (whether the user runs the cohort, the learner's certificate of a version)."""

from collections.abc import Callable, Hashable

from flask import g, has_app_context


def once_per_request(name: str, key: Hashable, make: Callable):
    """`make()` the first time `(name, key)` is asked in this request (app context), the kept
    answer after that; outside an app context, `make()` every time."""
    if not has_app_context():
        return make()
    kept = g.setdefault(f"memo_{name}", {})
    if key not in kept:
        kept[key] = make()
    return kept[key]
