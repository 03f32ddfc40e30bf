"""AWS Lambda entry point: API Gateway (REST v1 or HTTP v2) events into the WSGI app."""

import gc

# Like the imports (service/__init__.py): no cyclic collection while the app is built,
# then everything that exists is frozen out of the collector's sight, so the first
# requests' collections do not walk it either (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.disable()
try:
    from service import create_app, snapstart
    from service.apigateway import make_handler
    from service.observability import instrument

    app = create_app()
finally:
    gc.freeze()
    gc.enable()

handler = instrument(make_handler(app), app)
snapstart.register(app)  # no-op unless the runtime provides snapshot_restore_py
