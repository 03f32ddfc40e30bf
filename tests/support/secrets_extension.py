"""A stand-in for the AWS Parameters and Secrets Lambda Extension's HTTP interface.

It answers GET /secretsmanager/get?secretId=...&versionStage=... from a Secrets Manager
client (moto), or with a fixed status, and records each request's token header. Like the
real extension it may serve a cached (stale) value: ``cached`` overrides the answer.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeExtension:
    port: int = 0
    status: int = 200
    cached: str | None = None  # a SecretString to serve instead of the current one
    tokens: list[str] = field(default_factory=list)


@contextlib.contextmanager
def fake_extension(client: Any) -> Iterator[FakeExtension]:
    """Serve the extension's interface on a free loopback port, backed by ``client``."""
    state = FakeExtension()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.tokens.append(self.headers.get("X-Aws-Parameters-Secrets-Token", ""))
            query = parse_qs(urlsplit(self.path).query)
            if state.status != 200:
                body = json.dumps({"message": "refused"}).encode()
            else:
                value = client.get_secret_value(
                    SecretId=query["secretId"][0], VersionStage=query["versionStage"][0]
                )
                secret = state.cached if state.cached is not None else value["SecretString"]
                body = json.dumps({"SecretString": secret, "VersionId": value["VersionId"]})
                body = body.encode()
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    # A short poll interval: shutdown() waits for one poll (0.5 s by default).
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
