"""``python -m tests.support.xray_capture DATABASE_URL``: run the traced Lambda handler
as on Lambda (X-Ray's Lambda mode, moto S3) with X-Ray's emitter replaced by one that
keeps every segment document; print them, the requests' secrets and the responses.

A separate process, because the X-Ray SDK picks its Lambda mode when it is imported
and Powertools patches botocore and pymysql for the rest of the process.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import tempfile
from typing import Any

LAMBDA_ENV = {
    # What the Lambda runtime sets: the X-Ray SDK's Lambda mode and the invocation's trace.
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "inventory-api",
    "_X_AMZN_TRACE_ID": (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    ),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}
BUCKET = "xray-capture-images"


class CapturingEmitter:
    """Stands in for the UDP emitter that sends segment documents to the X-Ray daemon."""

    def __init__(self) -> None:
        self.documents: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.documents.append(entity.serialize())

    def set_daemon_address(self, address: str) -> None:
        pass


def run(database_url: str) -> dict[str, Any]:
    os.environ.update(LAMBDA_ENV)
    import boto3
    from aws_xray_sdk.core import xray_recorder
    from moto import mock_aws
    from werkzeug.datastructures import Headers

    from service import create_app
    from service.apigateway import make_handler
    from service.observability import instrument
    from tests.support import images
    from tests.support.transport import LambdaContext, _encode, _from_lambda_result, make_v1_event

    emitter = CapturingEmitter()
    xray_recorder.configure(emitter=emitter)
    password = "tr4ced-Secret:pw"
    username = "traced.person@example.com"
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}
    responses = []
    with mock_aws(), tempfile.TemporaryDirectory() as folder:
        boto3.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        app = create_app({
            "DATABASE_URL": database_url, "TRACING_ENABLED": True, "IMAGES_BUCKET": BUCKET,
            "BCRYPT_ROUNDS": 4, "SECRET_KEY": "x", "IMAGES_DIR": folder,
        })  # fmt: skip
        handler = instrument(make_handler(app), app)

        def call(method: str, path: str, **kwargs: Any) -> Any:
            raw_path, query, headers, body = _encode(method, path, **kwargs)
            event = make_v1_event(method=method, path=raw_path, query=query,
                                  headers=Headers(headers), body=body)  # fmt: skip
            response = _from_lambda_result(handler(event, LambdaContext()))
            responses.append({"status": response.status_code, "body": response.text,
                              "headers": dict(response.headers)})  # fmt: skip
            return response

        user = {"username": username, "password": password,
                "first_name": "Tracey", "last_name": "Secretive"}  # fmt: skip
        user_id = call("POST", "/v1/user", json=user).json["id"]
        call("GET", f"/v1/user/{user_id}", headers=auth)
        product = call("POST", "/v1/product", headers=auth, json={
            "name": "Hidden Widget", "description": "Confidential description",
            "sku": "TRACE-SKU-1", "manufacturer": "Acme Secret Works", "quantity": 3,
        }).json  # fmt: skip
        upload = {"image": (io.BytesIO(images.png(2, 2)), "private-holiday.png")}
        image = call("POST", f"/v1/product/{product['id']}/image", headers=auth, data=upload).json
        call("GET", f"/v1/product/{product['id']}/image/{image['image_id']}", headers=auth)
        call("GET", f"/v1/user/{user_id}", headers={"Authorization": "Basic bm9ib2R5Ondyb25n"})
        call("GET", "/v1/product/424242")  # a 404 problem document

        def failing(event: Any, context: Any) -> Any:
            raise RuntimeError(f"failed for {username}")  # an error naming a user

        try:
            instrument(failing, app)({}, LambdaContext())
        except Exception as error:  # what Lambda would report as the invocation's error
            responses.append({"status": None, "body": str(error), "headers": {}})
    return {
        "documents": emitter.documents,
        "responses": responses,
        "secrets": {
            "username": username,
            "password": password,
            "token": token,
            "names": [
                "Tracey",
                "Secretive",
                "Hidden Widget",
                "Confidential description",
                "Acme Secret Works",
                "private-holiday",
            ],
            "download_url": image["download_url"],
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
