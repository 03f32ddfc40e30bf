"""Moved to tests/support/transport.py; this name stays while tests/benchmarks imports it."""

from tests.support.transport import ApiClient, LambdaContext, basic_auth, make_v1_event

__all__ = ["ApiClient", "LambdaContext", "basic_auth", "make_v1_event"]
