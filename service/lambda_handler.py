"""AWS Lambda entry point: API Gateway (REST v1 or HTTP v2) events into the WSGI app."""

from apig_wsgi import make_lambda_handler

from service import create_app, snapstart
from service.observability import instrument

app = create_app()
handler = instrument(make_lambda_handler(app, binary_support=True), app)
snapstart.register(app)  # no-op unless the runtime provides snapshot_restore_py
