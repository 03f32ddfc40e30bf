"""Long-lived objects built without the cyclic garbage collector watching.

Importing Flask, SQLAlchemy and the app, and building the app, allocate objects that live
as long as the process; the collector running meanwhile only walks them again and again.
It is paused while they are made, then they are frozen out of its sight (re-enabled
without the freeze, its next young collection would walk all of them at once):
https://docs.python.org/3/library/gc.html#gc.freeze. Measured in docs/performance.md
(cold start).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside; what exists at the end is frozen; the collector is
    enabled again afterwards if it was before."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
