"""Read an HTTP/1.1 request body from a stream, refusing framing that cannot be trusted.

Rules from RFC 9112 section 6 (https://www.rfc-editor.org/rfc/rfc9112#section-6):
Content-Length is 1*DIGIT; a request with both Transfer-Encoding and Content-Length, or
with Content-Length values that differ, is refused (request smuggling); the only
transfer coding accepted is `chunked`, with hexadecimal chunk sizes. The body limit
(API Gateway's 10 MB) is checked against declared sizes *before* reading, so a client
announcing a huge body gets its 413 at once instead of the server reading (or waiting
for) gigabytes. Standard library only: `serve` runs under the bare target Python.
"""

from __future__ import annotations

import re
from io import BufferedIOBase

from deploy import events

_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")  # 16 hex digits already exceed any limit we allow
_LINE_LIMIT = 4096  # chunk-size lines and trailer lines
_TRAILER_LIMIT = 100


class UnreadableRequest(Exception):
    """The request's head or framing is invalid or announces too much; `response` is the
    answer, after which the connection is closed."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(f"{status} {message}")
        self.response = events.gateway_error(status, message, error_type)


def bad_request() -> UnreadableRequest:
    return UnreadableRequest(400, "Bad Request", "BadRequestException")


def _too_long() -> UnreadableRequest:
    return UnreadableRequest(413, "Request Too Long", "RequestTooLongException")


def _readline(stream: BufferedIOBase) -> bytes:
    line = stream.readline(_LINE_LIMIT + 1)
    if len(line) > _LINE_LIMIT or not line.endswith(b"\n"):
        raise bad_request()
    return line.rstrip(b"\r\n")


def _read_exactly(stream: BufferedIOBase, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:  # the client closed before sending what it announced
        raise bad_request()
    return data


def _read_chunked(stream: BufferedIOBase, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_text = _readline(stream).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise bad_request()
        size = int(size_text, 16)
        if size == 0:
            for _ in range(_TRAILER_LIMIT):
                if not _readline(stream):
                    return b"".join(chunks)
            raise bad_request()
        total += size
        if total > limit:
            raise _too_long()
        chunks.append(_read_exactly(stream, size))
        if _readline(stream):  # the CRLF after the chunk's data
            raise bad_request()


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    """The values of every header called ``name`` (any case), in order."""
    name = name.lower()
    return [value for field, value in headers if field.lower() == name]


def read_body(headers: list[tuple[str, str]], stream: BufferedIOBase, limit: int) -> bytes:
    """The request body (b"" when there is none).

    :raise UnreadableRequest: 400 for invalid framing, 413 for a body over `limit` bytes.
    """
    codings = header_values(headers, "Transfer-Encoding")
    lengths = header_values(headers, "Content-Length")
    if codings:
        names = [c.strip().lower() for value in codings for c in value.split(",")]
        if lengths or names != ["chunked"]:
            raise bad_request()
        return _read_chunked(stream, limit)
    if not lengths:
        return b""
    values = {value.strip().encode("latin-1", "replace") for value in lengths}
    if len(values) != 1:
        raise bad_request()
    (value,) = values
    if not _DIGITS.fullmatch(value):
        raise bad_request()
    if len(value) > 12 or int(value) > limit:  # 12 digits: no int() of absurd lengths
        raise _too_long()
    return _read_exactly(stream, int(value))
