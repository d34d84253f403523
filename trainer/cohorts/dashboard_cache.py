"""The dashboard's body, kept per worker while nothing it shows has changed.

A cohort's dashboard reads every member's progress (the counts per status, the sort and the
filters, the charts): tens of milliseconds for a thousand learners, on every view, although
a trainer mostly reloads a page whose data has not moved. Here the rendered body (the
cohort's heading and tabs and everything under them) is kept under

- the cohort's change stamp (trainer.learning.dashboard_stamp), read on every view: any
  change of a member, their progress, an assignment, the cohort's heading (its name, region,
  dates, trainers) gives another stamp, and the body is made again from the database;
- everything else the body is made from (its key): the page's address (filters, sort, page,
  chart), today's date, the language and the time zone, whether the reader may change the
  cohort (the heading's buttons) and the application's root.

Readers with the same right to change the cohort see the same body (the site's header, which
is the reader's own, is rendered on every view). Bounded: the bodies of the last COHORTS
cohorts viewed, VARIANTS keys each; a cohort's new stamp drops its old bodies.
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from flask import current_app

COHORTS = 32
VARIANTS = 8
ADDRESS_MAX = 512  # a longer address is not kept (it is made every time)


class Entry(NamedTuple):
    stamp: tuple
    bodies: OrderedDict  # key -> body


class BodyCache:
    """The bodies of one application (each has its own: tests make many, on other data)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[int, Entry] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, cohort_id: int, stamp: tuple, key: tuple):
        """The body kept for this cohort, stamp and key, or None."""
        with self.lock:
            entry = self.entries.get(cohort_id)
            if entry is None or entry.stamp != stamp:
                return None
            body = entry.bodies.get(key)
            if body is not None:
                self.entries.move_to_end(cohort_id)
                entry.bodies.move_to_end(key)
            return body

    def keep(self, cohort_id: int, stamp: tuple, key: tuple, body) -> None:
        """Keep the body made for this stamp and key (a new stamp drops the cohort's others)."""
        if len(key[0]) > ADDRESS_MAX:
            return
        with self.lock:
            entry = self.entries.get(cohort_id)
            if entry is None or entry.stamp != stamp:
                entry = self.entries[cohort_id] = Entry(stamp, OrderedDict())
            entry.bodies[key] = body
            entry.bodies.move_to_end(key)
            self.entries.move_to_end(cohort_id)
            while len(entry.bodies) > VARIANTS:
                entry.bodies.popitem(last=False)
            while len(self.entries) > COHORTS:
                self.entries.popitem(last=False)


def body_cache() -> BodyCache:
    """The current application's cache, made on first use."""
    extensions = current_app.extensions
    cache = extensions.get("dashboard_bodies")
    if cache is None:
        cache = extensions.setdefault("dashboard_bodies", BodyCache())
    return cache
