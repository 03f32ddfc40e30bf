"""Read an HTTP/1.1 request line and header block, refusing what cannot be trusted.

Rules from RFC 9112 (https://www.rfc-editor.org/rfc/rfc9112): the request line is
``method SP request-target SP HTTP-version`` (section 3), HTTP/1.0 and 1.1 only (2.x
is 505); a header is ``field-name ":" OWS field-value OWS`` with a token for a name and
nothing between the name and the colon (section 5.1), no line folding (section 5.2),
and no CR, LF or NUL in a value (RFC 9110 section 5.5); anything else is 400. As
http.server: lines up to 64 KiB, at most 100 headers (431 beyond).

Why not http.server's own parsing: it runs each header block through the e-mail parser,
~30 µs of a local GET's ~1.3 ms (docs/performance.md), and accepts folded lines and
names with spaces. The headers come as a list of (name, value) pairs, as sent. Standard
library only: ``serve`` runs under the bare target Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BufferedIOBase

from deploy.httpbody import UnreadableRequest, bad_request, header_values

LINE_LIMIT = 65536  # http.client's _MAXLINE
HEADER_LIMIT = 100  # http.client's _MAXHEADERS
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD = re.compile(r"([^:]*):[ \t]*(.*?)[ \t]*")  # OWS trimmed from the value
_BAD_VALUE = re.compile(r"[\r\n\0]")
_VERSION = re.compile(r"HTTP/([0-9])\.([0-9])")
_NOT_IN_TARGET = re.compile(r"[\x00-\x20\x7f\x85\xa0]")  # controls and (latin-1) spaces


@dataclass(frozen=True)
class RequestLine:
    method: str
    target: str
    version: str  # "HTTP/1.0" or "HTTP/1.1"


def _line(raw: bytes) -> str:
    """``raw`` without its one line ending (CRLF, or a bare LF as RFC 9112 allows)."""
    end = 2 if raw.endswith(b"\r\n") else 1 if raw.endswith(b"\n") else 0
    return raw[: len(raw) - end].decode("iso-8859-1")


def _too_large() -> UnreadableRequest:
    return UnreadableRequest(
        431, "Request Header Fields Too Large", "RequestHeaderFieldsTooLargeException"
    )


def parse_request_line(raw: bytes) -> RequestLine | None:
    """The request line (``raw`` with its line ending), or None for an empty line.

    :raise UnreadableRequest: 400 for a malformed line, 505 for HTTP/2 and later.
    """
    line = _line(raw)
    if not line:
        return None
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise bad_request()
    method, target, version = parts
    if _NOT_IN_TARGET.search(target):
        raise bad_request()
    numbers = _VERSION.fullmatch(version)
    if numbers is None:
        raise bad_request()
    if numbers[1] != "1":
        if numbers[1] >= "2":
            raise UnreadableRequest(505, "HTTP Version Not Supported", "BadRequestException")
        raise bad_request()
    # As http.server (gh-87389): "//host/path" must not pass for a scheme-relative URL.
    if target.startswith("//"):
        target = "/" + target.lstrip("/")
    return RequestLine(method, target, "HTTP/1.1" if numbers[2] != "0" else "HTTP/1.0")


def read_headers(stream: BufferedIOBase) -> list[tuple[str, str]]:
    """The header block up to its empty line, as (name, value) pairs in order.

    :raise UnreadableRequest: 400 for a malformed field line, 431 for too many or too
        long lines.
    """
    headers: list[tuple[str, str]] = []
    for _ in range(HEADER_LIMIT + 1):
        raw = stream.readline(LINE_LIMIT + 1)
        if len(raw) > LINE_LIMIT:
            raise _too_large()
        if not raw.endswith(b"\n"):  # the client closed mid-header
            raise bad_request()
        line = _line(raw)
        if not line:
            return headers
        if line[0] in " \t":  # obs-fold
            raise bad_request()
        field = _FIELD.fullmatch(line)
        if field is None or not _TOKEN.fullmatch(field[1]) or _BAD_VALUE.search(field[2]):
            raise bad_request()
        headers.append((field[1], field[2]))
    raise _too_large()


def keeps_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    """Whether the connection stays open after the response (RFC 9112 section 9.3)."""
    tokens = {t.strip().lower() for v in header_values(headers, "Connection") for t in v.split(",")}
    if "close" in tokens:
        return False
    return version == "HTTP/1.1" or "keep-alive" in tokens


def expects_continue(version: str, headers: list[tuple[str, str]]) -> bool:
    """Whether the client waits for ``100 Continue`` before sending its body."""
    expect = header_values(headers, "Expect")
    return version == "HTTP/1.1" and [v.lower() for v in expect] == ["100-continue"]
