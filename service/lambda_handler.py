"""AWS Lambda entry point: API Gateway (REST v1 or HTTP v2) events into the WSGI app."""

from apig_wsgi import make_lambda_handler

from service import create_app

app = create_app()
handler = make_lambda_handler(app, binary_support=True)
