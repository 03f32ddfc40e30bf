"""Raw HTTP/1.1 exchanges for the local gateway's tests: requests that HTTP clients refuse
to send, answers read off the socket as they come."""

from __future__ import annotations

import socket


def read_response(
    sock: socket.socket, data: bytes = b""
) -> tuple[int, dict[str, str], bytes, bytes]:
    """One response from ``sock`` (``data``: what was already received): its status,
    headers (lower-case names), body, and whatever followed it."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(fields.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return status, fields, rest[:length], rest[length:]


def exchange(port: int, head: bytes, body: bytes = b"") -> tuple[int, bytes, bool]:
    """Send a raw request; return the status, the response body and whether the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"\r\n" + body)
        status, _fields, body, _rest = read_response(sock)
        closed = sock.recv(1) == b""
    return status, body, closed
