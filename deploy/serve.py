"""`serve`: a local API Gateway that runs the real Lambda handler behind plain HTTP.

Each request becomes a REST (v1) proxy event (deploy/events.py), the handler is called
in-process with a LambdaContext-like object, and its result goes back as HTTP. One
invocation at a time, as in one Lambda execution environment. Standard library only.
"""

from __future__ import annotations

import email.utils
import importlib
import io
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from deploy import events, httphead
from deploy.errors import DeployError
from deploy.httpbody import UnreadableRequest, read_body
from deploy.unpacked import check_runs_here

Handler = Callable[[dict[str, Any], Any], Any]
DEFAULT_HANDLER = "service.lambda_handler:handler"
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})


def new_log_stream_name() -> str:
    """A name in the form Lambda gives an execution environment's log stream."""
    return time.strftime("%Y/%m/%d/[$LATEST]") + events.random_hex(32)


class LambdaContext:
    """The attributes and method of the Lambda Python context object that code uses."""

    def __init__(
        self,
        function_name: str,
        memory_mb: int,
        timeout_s: float,
        region: str,
        log_stream_name: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{region}:{events.ACCOUNT_ID}:function:{function_name}"
        )
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = events.new_uuid()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name or new_log_stream_name()
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (emulated) function timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class GatewayConfig:
    """How the local gateway behaves."""

    stage: str | None = None
    binary_media_types: tuple[str, ...] = ("*/*",)
    function_name: str = "local-api"
    memory_mb: int = 512
    timeout_s: float = 29.0  # API Gateway's integration timeout
    region: str = "us-east-1"
    body_limit: int = events.APIGW_BODY_LIMIT


def load_handler(spec: str, folder: Path | None = None, label: str | None = None) -> Handler:
    """Import `module:attr` (or Lambda's `module.attr`), from an unpacked package if given.

    :param label: how to name the package in messages (default: the folder).
    """
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise DeployError(f"handler must look like module:attr or module.attr, not {spec!r}")
    if folder is not None:
        check_runs_here(folder, label)
        sys.path.insert(0, str(folder))
    module = importlib.import_module(module_name)
    if folder is not None and not str(Path(module.__file__ or "")).startswith(str(folder)):
        raise DeployError(
            f"{module_name} was imported from {module.__file__}, not {label or folder}"
        )
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise DeployError(f"{module_name}.{attr} is not a callable handler")
    return handler  # type: ignore[no-any-return]


class LocalGateway(ThreadingHTTPServer):
    """The HTTP server; holds the handler and serialises invocations."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Handler, config: GatewayConfig) -> None:
        super().__init__(address, _RequestHandler)
        self.lambda_handler = handler
        self.config = config
        self.invoke_lock = threading.Lock()
        # One execution environment, so one log stream for all its invocations.
        self.log_stream_name = new_log_stream_name()

    def invoke(self, request: events.HttpRequest) -> events.HttpResponse:
        """Route one request through the Lambda handler as API Gateway would."""
        config = self.config
        path = events.strip_stage(request.target.split("?", 1)[0], config.stage)
        if path is None:  # API Gateway's answer for a path outside the stage
            return events.gateway_error(403, "Forbidden", "ForbiddenException")
        if len(request.body) > config.body_limit:
            return events.gateway_error(413, "Request Too Long", "RequestTooLongException")
        event = events.build_event(
            request,
            path=path,
            stage=config.stage or "$default",
            binary_media_types=config.binary_media_types,
            server_port=self.server_address[1],
        )
        if (
            events.event_size_bound(request) > events.LAMBDA_REQUEST_LIMIT
            and len(json.dumps(event)) > events.LAMBDA_REQUEST_LIMIT
        ):
            return events.gateway_error(413, "Request Too Long", "RequestTooLongException")
        context = LambdaContext(
            config.function_name,
            config.memory_mb,
            config.timeout_s,
            config.region,
            self.log_stream_name,
        )
        try:
            with self.invoke_lock:
                result = self.lambda_handler(event, context)
            if len(json.dumps(result)) > events.LAMBDA_RESPONSE_LIMIT:
                raise events.InvalidResult("response is over Lambda's 6 MB payload limit")
            response = events.parse_result(result)
        except Exception:  # a failed invocation is API Gateway's 502, never a crash here
            traceback.print_exc()
            return events.gateway_error(
                502, "Internal server error", "InternalServerErrorException"
            )
        headers = [(k, v) for k, v in response.headers if k.lower() not in _HOP_BY_HOP]
        headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        return events.HttpResponse(response.status, headers, response.body)


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header's value (RFC 9110 section 6.6.1), formatted once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response: the headers and the body are buffered and sent together
    # when http.server flushes ``wfile`` after each request (by default every header
    # block and body is a send() of its own, a wake-up of the client each).
    wbufsize = io.DEFAULT_BUFFER_SIZE
    # A body bigger than the buffer still goes out in a write after the headers: with
    # Nagle on, it would wait for the client's delayed ACK (~40 ms on Linux).
    disable_nagle_algorithm = True
    server: LocalGateway
    raw_requestline: bytes  # set by http.server before parse_request
    fields: list[tuple[str, str]]  # the request's headers (``headers``, http.server's, is unused)

    def parse_request(self) -> bool:
        """The request line and headers, read by deploy/httphead.py instead of
        http.server's e-mail parser; False (after answering) when they are refused."""
        self.close_connection = True
        self.command, self.requestline = "", self.raw_requestline.decode("iso-8859-1").rstrip()
        self.request_version = "HTTP/1.0"  # how a refusal is answered before the version is known
        try:
            line = httphead.parse_request_line(self.raw_requestline)
            if line is None:  # an empty line: nothing to answer
                return False
            self.command, self.path, self.request_version = line.method, line.target, line.version
            self.fields = httphead.read_headers(self.rfile)
        except UnreadableRequest as refused:
            self._refuse(refused)
            return False
        self.close_connection = not httphead.keeps_alive(self.request_version, self.fields)
        if httphead.expects_continue(self.request_version, self.fields):
            return self.handle_expect_100()
        return True

    def handle_expect_100(self) -> bool:
        # wfile holds a response until it is complete (wbufsize): the interim 100 must go
        # out now, or a client that waits for it before sending its body waits in vain.
        super().handle_expect_100()
        self.wfile.flush()
        return True

    def _refuse(self, refused: UnreadableRequest) -> None:
        # The stream cannot be trusted any more: answer and close the connection.
        self.close_connection = True
        self._send(refused.response, close=True)

    def _proxy(self) -> None:
        try:
            body = read_body(self.fields, self.rfile, self.server.config.body_limit)
        except UnreadableRequest as refused:
            self._refuse(refused)
            return
        request = events.HttpRequest(
            method=self.command,
            target=self.path,
            headers=self.fields,
            body=body,
            source_ip=self.client_address[0],
        )
        self._send(self.server.invoke(request))

    def _send(self, response: events.HttpResponse, close: bool = False) -> None:
        if response.from_gateway:
            # The function never saw this request, so its access record will not tell.
            self.log_message('"%s" %s', self.requestline, response.status)
        # The status line and headers in one string (http.server's send_header appends
        # and encodes each on its own); sent with the body when handle_one_request flushes.
        reason = self.responses.get(response.status, ("",))[0]
        head = [
            f"{self.protocol_version} {response.status} {reason}",
            f"Server: {self.version_string()}",
            f"Date: {_http_date()}",
            *(f"{name}: {value}" for name, value in response.headers),
            f"Content-Length: {len(response.body)}",
        ]
        if close:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No line per request: the function logs its own access record (stdout), as on
        Lambda, where API Gateway's access log is off unless configured; the requests the
        gateway answers itself are logged in ``_send``."""

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def make_server(
    handler: Handler, config: GatewayConfig, host: str = "127.0.0.1", port: int = 8000
) -> LocalGateway:
    """Create (not start) a gateway; port 0 picks a free one."""
    return LocalGateway((host, port), handler, config)
