"""AWS Lambda entry point: API Gateway (REST v1 or HTTP v2) events into the WSGI app."""

from service.gcpause import collector_paused

with collector_paused():  # as for the imports (service/gcpause.py): the app lives on
    from service import create_app, snapstart
    from service.apigateway import make_handler
    from service.observability import instrument

    app = create_app()

handler = instrument(make_handler(app), app)
snapstart.register(app)  # no-op unless the runtime provides snapshot_restore_py
