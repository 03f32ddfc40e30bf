"""One client interface over three transports: the Flask test client, and the Lambda
handler fed API Gateway REST (v1) and HTTP API (v2) events.

The request body and headers are encoded once by Werkzeug's ``EnvironBuilder``
(JSON, multipart with files, raw bytes), then either handed to the test
client or packed into an event the way API Gateway does it.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from service.apigateway import make_handler

EVENTS = Path(__file__).parents[1] / "events"
STAGE = "prod"


def load_event(name: str) -> dict[str, Any]:
    """A captured API Gateway event from tests/events."""
    return json.loads((EVENTS / name).read_text())


def basic_auth(username: str, password: str) -> dict[str, str]:
    """An Authorization header for HTTP Basic."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that libraries read."""

    function_name: str = "inventory-api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:inventory-api:live"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/inventory-api"
    log_stream_name: str = "2026/11/27/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Response:
    """What a test looks at, whatever the transport."""

    status_code: int
    headers: Headers
    data: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def json(self) -> Any:
        return json.loads(self.data) if self.data else None

    @property
    def text(self) -> str:
        return self.data.decode()


def _encode(method: str, path: str, **kwargs: Any) -> tuple[str, str, Headers, bytes]:
    builder = EnvironBuilder(path=path, method=method, **kwargs)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    with environ["wsgi.input"] as stream:
        body = stream.read()
    headers = Headers(builder.headers)
    if environ.get("CONTENT_TYPE"):  # with the multipart boundary
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if body:
        headers["Content-Length"] = str(len(body))
    return environ["PATH_INFO"], environ["QUERY_STRING"], headers, body


def make_v1_event(
    *, method: str, path: str, query: str = "", headers: Headers | None = None, body: bytes = b""
) -> dict[str, Any]:
    """A REST API proxy event; with binaryMediaTypes */* every body arrives base64-encoded."""
    event = load_event("rest_v1_get.json")
    pairs = parse_qsl(query, keep_blank_values=True)
    multi_headers: dict[str, list[str]] = {}
    for key, value in (headers or Headers()).items():
        multi_headers.setdefault(key, []).append(value)
    event.update(
        path=path,
        httpMethod=method,
        headers={**event["headers"], **{k: v[-1] for k, v in multi_headers.items()}},
        multiValueHeaders={**event["multiValueHeaders"], **multi_headers},
        queryStringParameters=dict(pairs) or None,
        multiValueQueryStringParameters={k: [v for kk, v in pairs if kk == k] for k, _ in pairs}
        or None,
        body=base64.b64encode(body).decode() if body else None,
        isBase64Encoded=bool(body),
    )
    event["requestContext"].update(
        httpMethod=method, path=f"/{STAGE}{path}", requestId=str(uuid.uuid4())
    )
    return event


def _is_text(headers: Headers) -> bool:
    content_type = headers.get("Content-Type", "")
    return content_type.startswith(("text/", "application/json")) or "+json" in content_type


def make_v2_event(
    *, method: str, path: str, query: str = "", headers: Headers | None = None, body: bytes = b""
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event: lower-case headers, base64 only for binary bodies."""
    event = copy.deepcopy(load_event("http_v2_get.json"))
    ours: dict[str, str] = {}
    cookies = []
    for key, value in (headers or Headers()).items():
        name = key.lower()
        if name == "cookie":
            cookies.append(value)
        else:
            ours[name] = f"{ours[name]},{value}" if name in ours else value
    text = _is_text(headers or Headers())
    event.update(
        rawPath=path,
        rawQueryString=query,
        headers={**event["headers"], **ours},
        body=(body.decode() if text else base64.b64encode(body).decode()) if body else None,
        isBase64Encoded=bool(body) and not text,
    )
    if cookies:
        event["cookies"] = cookies
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event


def _from_lambda_result(result: dict[str, Any]) -> Response:
    headers = Headers()
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            headers.add(key, value)
    for key, value in (result.get("headers") or {}).items():
        if key not in headers:
            headers.add(key, value)
    for cookie in result.get("cookies") or ():
        headers.add("Set-Cookie", cookie)
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return Response(result["statusCode"], headers, data)


class ApiClient:
    """Sends requests through one transport: ``flask``, ``apigw_v1`` or ``apigw_v2``."""

    def __init__(self, app: Any, transport: str) -> None:
        self.app = app
        self.transport = transport
        self._client = app.test_client()
        self._handler = make_handler(app)  # as service/lambda_handler.py builds it

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        if self.transport == "flask":
            result = self._client.open(url, method=method, **kwargs)
            with result:  # closes file-backed bodies (send_file)
                # Werkzeug spools big test bodies to a temp file it never closes.
                result.request.environ["wsgi.input"].close()
                return Response(result.status_code, Headers(result.headers), result.get_data())
        split = urlsplit(url)
        path = split.path
        if self.transport == "apigw_v1" and path.startswith(f"/{STAGE}/"):
            path = path[len(STAGE) + 1 :]  # a URL the app built: API Gateway strips the stage
        path, query, headers, body = _encode(method, path, query_string=split.query, **kwargs)
        build = make_v1_event if self.transport == "apigw_v1" else make_v2_event
        event = build(method=method, path=path, query=query, headers=headers, body=body)
        return self.invoke(event)

    def invoke(self, event: Any) -> Response:
        """Hand an event (possibly hand-built or malformed) straight to the Lambda handler."""
        return _from_lambda_result(self._handler(event, LambdaContext()))

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)
