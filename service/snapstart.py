"""Lambda SnapStart runtime hooks: warm what is safe before the snapshot; after each
restore, make the copy unique and let it reconnect.

A snapshot is taken once, after init, and restored into many execution environments:
anything created at init is shared by all of them. So before the snapshot we only warm
(imports, the app's first requests that need no database, the OpenAPI document), never
open a connection or read a secret; after a restore we drop pooled connections (their
sockets belong to the snapshot), make the secret cache re-read, and re-seed everything
random made at init (the credential cache's HMAC key, ``random``) and rebuild the
image store (its client and URL signer). Hooks: https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html
(the runtime ships ``snapshot_restore_py``; elsewhere nothing calls the hooks).
"""

from __future__ import annotations

import gc
import logging
import random
import time

from flask import Flask

logger = logging.getLogger(__name__)

# Requests that touch no database and no AWS service: they run the app's request path
# (routing, JSON, problem details) and build the OpenAPI document before the snapshot.
WARM_PATHS = ("/v1/openapi.json", "/v1/product/0")


def register(app: Flask) -> bool:
    """Register the hooks with the runtime's library; False where it is not installed."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, app)
    register_after_restore(after_restore, app)
    return True


def before_snapshot(app: Flask) -> dict[str, float]:
    """Warm imports and the request path; leave no connection in the snapshot.

    Returns the milliseconds each step took (init work moved before the snapshot).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    _import_aws_sdk()
    timings["aws_sdk_ms"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    _warm_requests(app)
    timings["requests_ms"] = (time.perf_counter() - started) * 1000
    _drop_connections(app)
    # Everything made so far lives as long as the process: collect once, then freeze it
    # out of the collector's sight, so the first requests after a restore do not pay a
    # full collection over the whole heap (https://docs.python.org/3/library/gc.html#gc.freeze).
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    timings["gc_ms"] = (time.perf_counter() - started) * 1000
    logger.info("before snapshot: warmed", extra={"timings_ms": timings})
    return timings


def after_restore(app: Flask) -> None:
    """Make this restored copy unique: new connections, fresh secret, new random state."""
    _drop_connections(app)
    secret_cache = app.extensions.get("db_secrets")
    if secret_cache is not None:
        secret_cache.forget()
    credential_cache = app.extensions.get("credential_cache")
    if credential_cache is not None:
        credential_cache.reseed()
    random.seed()  # from os.urandom: each copy draws its own sequence
    from service import storage

    storage.init_app(app)  # a new store: no client or signer from before the snapshot


def _import_aws_sdk() -> None:
    # The S3 client (image routes) and the SDK secret read import botocore on first use
    # and decode the models the clients of service/aws_sdk.py use; warm both. JSON
    # only: no credentials, no network. (The clients themselves are made after a restore.)
    try:
        import botocore  # noqa: F401  (the Lambda runtime ships it; a laptop may not)
    except ImportError:
        return
    from service import aws_sdk

    aws_sdk.warm()


def _warm_requests(app: Flask) -> None:
    from service.observability import Metrics

    metrics = app.extensions.get("metrics")
    access = logging.getLogger("service.access")
    level = access.level
    # Nothing of the warm-up may reach CloudWatch as a request.
    app.extensions["metrics"] = Metrics(False, "", "")
    access.setLevel(logging.WARNING)
    try:
        client = app.test_client()
        for path in WARM_PATHS:
            client.get(path)
    finally:
        app.extensions["metrics"] = metrics
        access.setLevel(level)


def _drop_connections(app: Flask) -> None:
    from service.extensions import db

    with app.app_context():
        db.session.remove()
        # close=False: after a restore the sockets are copies shared with other
        # environments; closing them would send a goodbye on someone else's connection.
        db.engine.dispose(close=False)
