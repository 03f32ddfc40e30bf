"""How the local gateway reads request bodies: framing it cannot trust is refused at once.

Raw sockets, because HTTP clients refuse to send these requests. Each request gets an
answer (never a hang: the socket timeout only turns a hang into a failure) and the
connection is closed, since the rest of the stream can no longer be framed.
"""

from __future__ import annotations

import json

import pytest

from deploy import events
from tests.support.raw_http import exchange


def _request(*headers: str) -> bytes:
    return (
        "POST /x HTTP/1.1\r\nHost: localhost\r\n" + "".join(f"{h}\r\n" for h in headers)
    ).encode()


@pytest.fixture
def port(start_gateway):
    calls: list[dict] = []

    def handler(event, context):
        calls.append(event)
        return {"statusCode": 200, "body": "called"}

    conn = start_gateway(handler, body_limit=64)
    conn.calls = calls
    return conn


@pytest.mark.parametrize("value", ["-1", "+5", "5abc", "0x10", " ", "١٢", "5, 6"], ids=repr)
def test_invalid_content_length_is_400_without_reading(port, value):
    status, body, closed = exchange(port.port, _request(f"Content-Length: {value}"), b"hello")
    assert status == 400
    assert json.loads(body) == {"message": "Bad Request"}
    assert closed
    assert port.calls == []


def test_two_different_content_lengths_are_400(port):
    head = _request("Content-Length: 5", "Content-Length: 6")
    assert exchange(port.port, head, b"hello!")[0] == 400


def test_oversized_content_length_is_413_without_reading(port):
    # 10**20 bytes would never arrive: the answer must come from the header alone.
    status, body, closed = exchange(port.port, _request(f"Content-Length: {10**20}"))
    assert (status, json.loads(body), closed) == (413, {"message": "Request Too Long"}, True)
    assert port.calls == []


def test_content_length_at_the_limit_is_read(port):
    head = _request("Content-Length: 64", "Connection: close")
    status, body, _closed = exchange(port.port, head, b"x" * 64)
    assert (status, body) == (200, b"called")


def test_chunk_declared_over_the_limit_is_413_before_its_data(port):
    head = _request("Transfer-Encoding: chunked")
    status, _body, closed = exchange(port.port, head, b"%x\r\n" % (10**9))
    assert (status, closed) == (413, True)
    assert port.calls == []


def test_chunks_adding_up_over_the_limit_are_413(port):
    chunk = b"20\r\n" + b"y" * 32 + b"\r\n"
    status, _body, _closed = exchange(port.port, _request("Transfer-Encoding: chunked"), chunk * 3)
    assert status == 413
    assert port.calls == []


@pytest.mark.parametrize("size_line", [b"zz", b"-5", b"", b"1" * 40], ids=repr)
def test_malformed_chunk_size_is_400(port, size_line):
    head = _request("Transfer-Encoding: chunked")
    assert exchange(port.port, head, size_line + b"\r\nabc\r\n0\r\n\r\n")[0] == 400
    assert port.calls == []


def test_chunked_and_content_length_together_are_400(port):
    head = _request("Transfer-Encoding: chunked", "Content-Length: 3")
    assert exchange(port.port, head, b"3\r\nabc\r\n0\r\n\r\n")[0] == 400


def test_unknown_transfer_coding_is_400(port):
    head = _request("Transfer-Encoding: gzip, chunked")
    assert exchange(port.port, head, b"0\r\n\r\n")[0] == 400


def test_valid_chunked_body_within_the_limit_is_delivered(port):
    head = _request("Transfer-Encoding: chunked", "Content-Type: text/plain")
    body = b"3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
    status, _body, closed = exchange(port.port, head + b"Connection: close\r\n", body)
    assert status == 200
    assert port.calls[0]["body"] is not None
    assert closed


def test_default_limit_is_api_gateways_10_mb():
    from deploy.serve import GatewayConfig

    assert GatewayConfig().body_limit == events.APIGW_BODY_LIMIT == 10 * 1024 * 1024
