"""Python's cyclic garbage collector, tuned for long batch work (a crawl, `reextract`'s workers).

With its defaults (a young collection every 700 new container objects) such work spends a noticeable share of its
CPU collecting, each older collection walking every object the process holds. Pages and records are freed by
reference counting as soon as they are done with; the collector is only there for cycles, which this work makes few
of. So what exists when the work starts is frozen out of every collection, and young collections run rarely.
"""

from __future__ import annotations

import gc

BATCH_THRESHOLD = (20000, 20, 20)


def tune(threshold: tuple[int, int, int] = BATCH_THRESHOLD) -> tuple[int, int, int]:
    """Freeze what exists now and collect rarely; returns the thresholds to give back to `restore`."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)
    return previous


def restore(previous: tuple[int, int, int]) -> None:
    gc.set_threshold(*previous)
    gc.unfreeze()
