"""The local API Gateway's event and response mapping, with stand-in handlers over real HTTP."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploy import events
from deploy.errors import DeployError
from deploy.serve import LambdaContext, load_handler


@pytest.fixture
def start(start_gateway):
    """Start a gateway around a handler (tests/deploy/conftest.py)."""
    return start_gateway


def _echo(event, context):
    """Return the event and context as JSON."""
    seen = {
        "event": event,
        "function_name": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(seen),
    }


def _call(conn, method, target, body=None, headers=None):
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.getheaders(), response.read()


def test_gateway_builds_v1_proxy_event_with_stage(start):
    conn = start(_echo, stage="prod")
    status, _headers, body = _call(
        conn,
        "POST",
        "/prod/v1/product/7?a=1&a=2&b=%20x",
        b'{"x":1}',
        {"Content-Type": "application/json", "X-Multi": "1"},
    )
    assert status == 200
    seen = json.loads(body)
    event = seen["event"]
    assert event["path"] == "/v1/product/7"
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "v1/product/7"}
    assert event["queryStringParameters"] == {"a": "2", "b": " x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [" x"]}
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["X-Multi"] == ["1"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    context = event["requestContext"]
    assert context["path"] == "/prod/v1/product/7"
    assert context["stage"] == "prod"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]
    # binaryMediaTypes */*: every body arrives base64-encoded, as API Gateway sends it
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"x":1}'
    assert seen["function_name"] == "local-api"
    assert 0 < seen["remaining"] <= 29_000
    assert seen["memory"] == 512
    assert seen["arn"].startswith("arn:aws:lambda:us-east-1:123456789012:function:")


def test_gateway_without_body_or_query_sends_nulls(start):
    conn = start(_echo)
    _status, _headers, body = _call(conn, "GET", "/")
    event = json.loads(body)["event"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["resource"] == "/"
    assert event["pathParameters"] is None
    assert event["requestContext"]["stage"] == "$default"


def test_gateway_text_body_when_type_is_not_binary(start):
    conn = start(_echo, binary_media_types=("image/*",))
    _s, _h, body = _call(conn, "PUT", "/x", "héllo".encode(), {"Content-Type": "text/plain"})
    event = json.loads(body)["event"]
    assert event["isBase64Encoded"] is False
    assert event["body"] == "héllo"


def test_gateway_outside_stage_is_403(start):
    conn = start(_echo, stage="prod")
    status, headers, body = _call(conn, "GET", "/v1/user")
    assert status == 403
    assert json.loads(body) == {"message": "Forbidden"}
    assert ("x-amzn-ErrorType", "ForbiddenException") in headers


def test_gateway_returns_binary_and_multi_value_headers(start):
    png = b"\x89PNG\r\n\x1a\n\x00\xff"

    def handler(event, context):
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-One": "a"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }

    status, headers, body = _call(start(handler), "GET", "/img")
    assert status == 201
    assert body == png
    assert [v for k, v in headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-One", "a") in headers
    assert ("Content-Length", str(len(png))) in headers


def test_gateway_handler_exception_is_502(start, capsys):
    def handler(event, context):
        raise RuntimeError("boom")

    status, headers, body = _call(start(handler), "GET", "/x")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}
    assert ("x-amzn-ErrorType", "InternalServerErrorException") in headers
    assert "RuntimeError: boom" in capsys.readouterr().err


@pytest.mark.parametrize(
    "result",
    [
        None,
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "body": "%%", "isBase64Encoded": True},
    ],
)
def test_gateway_malformed_result_is_502(start, result, capsys):
    status, _headers, _body = _call(start(lambda e, c: result), "GET", "/x")
    assert status == 502
    capsys.readouterr()


def test_gateway_chunked_request_body(start):
    conn = start(_echo)
    conn.putrequest("POST", "/up")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.endheaders()
    for chunk in (b"abc", b"defg"):
        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.send(b"0\r\n\r\n")
    event = json.loads(conn.getresponse().read())["event"]
    assert base64.b64decode(event["body"]) == b"abcdefg"


def test_gateway_request_over_lambda_payload_limit_is_413(start):
    called = []
    conn = start(lambda e, c: called.append(1))
    body = b"\0" * (events.LAMBDA_REQUEST_LIMIT // 4 * 3 + 10)  # over 6 MB once base64-encoded
    status, _h, body = _call(conn, "POST", "/x", body, {"Content-Type": "application/octet-stream"})
    assert status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert not called


def test_head_request_has_no_body(start):
    conn = start(lambda e, c: {"statusCode": 200, "body": "hello"})
    status, headers, body = _call(conn, "HEAD", "/")
    assert status == 200
    assert body == b""
    assert ("Content-Length", "5") in headers


def test_lambda_context_counts_down():
    context = LambdaContext("f", 128, 0.0, "eu-west-1")
    assert context.get_remaining_time_in_millis() == 0
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:f"


def test_load_handler_accepts_both_spellings_and_rejects_bad_ones():
    assert load_handler("json:dumps") is json.dumps
    assert load_handler("json.dumps") is json.dumps
    with pytest.raises(DeployError, match="not a callable handler"):
        load_handler("json:nothing")
    with pytest.raises(DeployError, match="module:attr"):
        load_handler("handler")


def test_load_handler_refuses_package_for_other_python(tmp_path):
    (tmp_path / "m.cpython-39-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    with pytest.raises(DeployError, match=r"CPython 3\.9.*python3\.9 -m deploy serve"):
        load_handler("m:handler", tmp_path)


def _big(event, context):
    """A body bigger than the gateway's write buffer: it goes out after the headers."""
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "x" * 20_000}


def test_keep_alive_responses_with_a_body_are_not_held_back_by_nagle(start):
    # A body bigger than the write buffer is a second write: with Nagle's algorithm on, it
    # waited for the client's delayed ACK, ~40 ms per response on Linux (found by
    # tests/benchmarks).
    conn = start(_big)
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        status, _headers, body = _call(conn, "GET", "/healthz")
        timings.append(time.perf_counter() - started)
        assert status == 200 and len(body) == 20_000
    assert sorted(timings)[3] < 0.02, timings


def test_a_small_response_is_one_write(start, monkeypatch):
    # Headers and body in one send(): the client wakes up once per response.
    conn = start(_echo)
    assert _call(conn, "GET", "/healthz")[0] == 200
    writes = []

    def counting(real):
        def write(self, data, *args):
            if threading.current_thread() is not threading.main_thread():  # the gateway's
                writes.append(len(data))
            return real(self, data, *args)

        return write

    for method in ("send", "sendall"):  # a buffered wfile sends, an unbuffered one sendalls
        monkeypatch.setattr(socket.socket, method, counting(getattr(socket.socket, method)))
    status, _headers, body = _call(conn, "GET", "/healthz")
    assert status == 200
    assert len(writes) == 1 and writes[0] > len(body), writes


_ANY_LATIN1 = st.text(st.characters(max_codepoint=0xFF), max_size=2000)


_WORST = {  # each part at its most expensive per byte, alone (the fixed part is small beside it)
    "path": "\x00" * 3000, "query": "", "headers": [], "body": b"", "content_type": None,
    "binary": (),
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@example(**_WORST)
@example(**{**_WORST, "path": "a", "query": "a&" * 1500})
@example(**{**_WORST, "path": "a", "headers": [("\x01" * 2000, "\x01" * 2000)] * 3})
@example(**{**_WORST, "path": "a", "headers": [("", "")] * 100})
@example(**{**_WORST, "path": "a", "body": "\U0001f600".encode() * 1000, "binary": ()})
@example(**{**_WORST, "path": "a", "body": b"\xff" * 5000, "binary": ()})
@given(
    # long enough that the bound's fixed part cannot hide a wrong factor per byte
    path=st.text(st.sampled_from('/a%ff&="\\\x00\x7f'), min_size=500, max_size=3000),
    query=st.text(st.sampled_from('a&=%ff"\\\x01'), max_size=3000),
    headers=st.lists(st.tuples(_ANY_LATIN1, _ANY_LATIN1), max_size=8),
    body=st.binary(max_size=5000) | st.text(max_size=2000).map(str.encode),
    content_type=st.sampled_from(["application/json", "image/png", None]),
    binary=st.sampled_from([("*/*",), ("image/*",), ()]),
)
def test_event_size_bound_is_never_below_the_events_size(
    path, query, headers, body, content_type, binary
):
    # The gateway skips serialising the event for Lambda's payload limit when the bound
    # is under it: the bound must hold for any request, escaping and repetition included.
    if content_type:
        headers = [*headers, ("Content-Type", content_type)]
    headers = [*headers, ("Host", "localhost"), ("User-Agent", "\x02" * 100)]
    target = "/prod/" + path + ("?" + query if query else "")
    request = events.HttpRequest("GET", target, headers, body, "127.0.0.1")
    event = events.build_event(
        request, path="/" + path, stage="prod", binary_media_types=binary, server_port=65535
    )
    assert len(json.dumps(event)) <= events.event_size_bound(request)


@pytest.mark.parametrize("epoch", [0, 951_782_400.5, 1_796_289_375, 4_102_444_799])
def test_request_time_is_api_gateways_format(epoch):
    # time.strftime's %b is locale-dependent; the C locale's is API Gateway's.
    expected = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))
    assert events.request_time(epoch) == expected


def test_request_ids_are_distinct_version_4_uuids():
    ids = [events.new_uuid() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
    assert all(str(uuid.UUID(i)) == i for i in ids)  # the canonical text form
