"""How the local gateway reads request lines and headers (deploy/httphead.py): what
RFC 9112 allows reaches the function as a client sent it, the rest is refused at once
and the connection closed; keep-alive, Expect: 100-continue, and one log line only for
the requests the gateway answers itself."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.raw_http import exchange, read_response


@pytest.fixture
def port(start_gateway):
    calls: list[dict] = []

    def handler(event, context):
        calls.append(event)
        return {"statusCode": 200, "body": json.dumps(event["multiValueHeaders"])}

    conn = start_gateway(handler)
    conn.calls = calls
    return conn


def _get(*header_lines: str, line: str = "GET /x HTTP/1.1") -> bytes:
    return (line + "\r\n" + "".join(f"{h}\r\n" for h in header_lines)).encode("latin-1")


def test_headers_reach_the_function_as_sent_without_surrounding_whitespace(port):
    status, body, closed = exchange(
        port.port,
        _get("Host: localhost", "X-Many: one", "x-many:two", "X-Space: \t padded value \t",
             "X-Empty:", "Connection: close"),
    )  # fmt: skip
    assert (status, closed) == (200, True)
    headers = json.loads(body)
    assert headers["X-Many"] == ["one"] and headers["x-many"] == ["two"]
    assert headers["X-Space"] == ["padded value"]
    assert headers["X-Empty"] == [""]


@pytest.mark.parametrize(
    "head",
    [
        _get("Host: localhost", " folded: continuation"),  # obs-fold (RFC 9112 5.2)
        _get("Host : localhost"),  # whitespace before the colon (5.1)
        _get("Bad Name: x"),
        _get("No-Colon"),
        _get("X-Nul: a\0b"),
        _get("X-Cr: a\rb"),
        _get("X-Cr-At-The-End: a\r"),
        _get("Host: localhost", line="GET /x"),  # HTTP/0.9
        _get("Host: localhost", line="GET  /x HTTP/1.1"),
        _get("Host: localhost", line="GET /x HTTP/1.1 extra"),
        _get("Host: localhost", line="GET /x\x01 HTTP/1.1"),
        _get("Host: localhost", line="GET /x\xa0y HTTP/1.1"),  # a latin-1 space
        _get("Host: localhost", line="GET /x HTTP/1.x"),
        _get("Host: localhost", line="GET /x HTTP/0.9"),
        _get("Host: localhost", line="G(T /x HTTP/1.1"),
    ],
    ids=repr,
)
def test_a_head_that_cannot_be_trusted_is_400_and_closes(port, head):
    status, body, closed = exchange(port.port, head)
    assert (status, json.loads(body), closed) == (400, {"message": "Bad Request"}, True)
    assert port.calls == []


def test_http_2_is_505(port):
    status, _body, closed = exchange(port.port, _get("Host: x", line="GET /x HTTP/2.0"))
    assert (status, closed) == (505, True)


@pytest.mark.parametrize(
    "head",
    [
        _get(*[f"X-H{i}: v" for i in range(101)]),
        _get("Host: localhost", "X-Long: " + "a" * 65536),
    ],
    ids=["101 headers", "a 64 KiB line"],
)
def test_too_many_or_too_long_header_lines_are_431(port, head):
    status, _body, closed = exchange(port.port, head)
    assert (status, closed) == (431, True)
    assert port.calls == []


def test_a_hundred_headers_are_read(port):
    status, _body, _closed = exchange(port.port, _get(*[f"X-H{i}: v" for i in range(99)],
                                                      "Connection: close"))  # fmt: skip
    assert status == 200


@pytest.mark.parametrize(
    ("line", "connection", "stays_open"),
    [
        ("GET /x HTTP/1.1", None, True),
        ("GET /x HTTP/1.1", "close", False),
        ("GET /x HTTP/1.1", "keep-alive, Close", False),
        ("GET /x HTTP/1.0", None, False),
        ("GET /x HTTP/1.0", "keep-alive", True),
    ],
)
def test_keep_alive_follows_the_version_and_connection_header(port, line, connection, stays_open):
    headers = ["Host: localhost"] + ([f"Connection: {connection}"] if connection else [])
    with socket.create_connection(("127.0.0.1", port.port), timeout=10) as sock:
        sock.sendall(_get(*headers, line=line) + b"\r\n")
        status, _fields, _body, rest = read_response(sock)
        assert status == 200 and rest == b""
        if stays_open:  # a second request on the same connection is answered
            sock.sendall(_get("Host: localhost", "Connection: close") + b"\r\n")
            assert read_response(sock)[0] == 200
        else:
            assert sock.recv(1) == b""


def test_expect_100_continue_is_answered_before_the_body_is_sent(port):
    with socket.create_connection(("127.0.0.1", port.port), timeout=10) as sock:
        sock.sendall(_get("Host: localhost", "Content-Length: 2", "Expect: 100-continue",
                          line="POST /x HTTP/1.1") + b"\r\n")  # fmt: skip
        sock.settimeout(2)  # a client waits about a second before sending anyway
        interim, _fields, _body, rest = read_response(sock)
        assert interim == 100
        sock.settimeout(10)
        sock.sendall(b"{}")
        assert read_response(sock, rest)[0] == 200


def test_only_the_gateways_own_answers_are_logged(port, capfd):
    assert exchange(port.port, _get("Host: localhost", "Connection: close"))[0] == 200
    assert exchange(port.port, _get("Host : localhost"))[0] == 400
    logged = capfd.readouterr().err.splitlines()
    assert len(logged) == 1 and '"GET /x HTTP/1.1" 400' in logged[0], logged
