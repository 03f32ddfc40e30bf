"""Moved to tests/support/images.py; this name stays while tests/benchmarks imports it."""

from tests.support.images import jpeg, png

__all__ = ["jpeg", "png"]
