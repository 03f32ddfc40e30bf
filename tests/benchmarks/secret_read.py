"""What reading the DB secret costs a cold start, per way of reading it (issue 14): fresh
python3.12 processes on the unpacked package (flask, sqlalchemy and pymysql already
imported, as when the first request reads the secret), each reading the secret once
from moto over HTTP, medians of interleaved runs.

- ``boto3``: ``boto3.client("secretsmanager").get_secret_value`` (the SDK path)
- ``botocore``: a botocore session's client, without boto3's resource layer
- ``extension``: GET to the AWS Parameters and Secrets Lambda Extension's local HTTP
  endpoint (played here by a tiny HTTP server in this process: only the function's side
  is measured; on Lambda the extension process does the AWS call and caches)
- ``stdlib_http``: the standard library's http.client, one POST to Secrets Manager
  (the cost of a hand-signed request without its SigV4 signing: a lower bound)
- ``boto3_s3_client`` (for comparison, not a secret read): boto3's S3 client and one
  presigned URL, what the image routes loaded on first use before service/aws_sdk.py
- ``app_s3_client``: the same with the app's own botocore client on trimmed data
  (service/aws_sdk.py), what the image routes load now (skipped for older code)
"""

from __future__ import annotations

import contextlib
import http.server
import json
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks import environment as env

PROBE = r"""
import json, sys, time
spec = json.loads(sys.argv[1])
sys.path[:0] = [spec["task"], spec["runtime"]]
import flask, sqlalchemy, pymysql  # already loaded when the first request reads the secret
if spec["way"] == "app_s3_client":
    import service  # the app is loaded before its first upload creates the client
import resource
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
before = rss()
t0 = time.perf_counter()
way = spec["way"]
if way == "boto3":
    import boto3
    client = boto3.client("secretsmanager", endpoint_url=spec["moto"])
    t1 = time.perf_counter()
    value = client.get_secret_value(SecretId=spec["arn"], VersionStage="AWSCURRENT")["SecretString"]
elif way == "botocore":
    import botocore.session
    session = botocore.session.get_session()
    client = session.create_client("secretsmanager", endpoint_url=spec["moto"])
    t1 = time.perf_counter()
    value = client.get_secret_value(SecretId=spec["arn"], VersionStage="AWSCURRENT")["SecretString"]
elif way == "boto3_s3_client":  # not a secret read: what the image routes' client costs
    import boto3
    client = boto3.client("s3", endpoint_url=spec["moto"])
    t1 = time.perf_counter()
    client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    value = json.dumps({"username": "-"})
elif way == "app_s3_client":  # what the image routes load now (service/aws_sdk.py)
    from botocore.config import Config
    from service import aws_sdk
    client = aws_sdk.client("s3", Config(signature_version="s3v4"))
    t1 = time.perf_counter()
    client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    value = json.dumps({"username": "-"})
elif way == "extension":
    import http.client, urllib.parse
    t1 = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", spec["extension_port"], timeout=5)
    query = urllib.parse.urlencode({"secretId": spec["arn"], "versionStage": "AWSCURRENT"})
    connection.request("GET", "/secretsmanager/get?" + query,
                       headers={"X-Aws-Parameters-Secrets-Token": "token"})
    value = json.loads(connection.getresponse().read())["SecretString"]
else:  # stdlib_http: the request a hand-signed client would send (signature left out)
    import datetime, hashlib, hmac, http.client, urllib.parse
    t1 = time.perf_counter()
    body = json.dumps({"SecretId": spec["arn"], "VersionStage": "AWSCURRENT"})
    host = urllib.parse.urlsplit(spec["moto"]).netloc
    connection = http.client.HTTPConnection(host, timeout=5)
    connection.request("POST", "/", body, headers={
        "X-Amz-Target": "secretsmanager.GetSecretValue",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261202/eu-west-1/"
                         "secretsmanager/aws4_request, SignedHeaders=host, Signature=0"})
    value = json.loads(connection.getresponse().read())["SecretString"]
t2 = time.perf_counter()
assert json.loads(value)["username"]
print("RESULT " + json.dumps({"import_and_client_ms": (t1 - t0) * 1000,
      "call_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000, "rss_added_mb": rss() - before}))
"""

WAYS = ("boto3", "botocore", "extension", "stdlib_http", "boto3_s3_client", "app_s3_client")


@contextlib.contextmanager
def fake_extension(moto_url: str) -> Iterator[int]:
    """The extension's HTTP interface, answering from moto (yields its port)."""
    client = env.aws_client("secretsmanager", moto_url)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            from urllib.parse import parse_qs, urlsplit

            query = parse_qs(urlsplit(self.path).query)
            value = client.get_secret_value(
                SecretId=query["secretId"][0], VersionStage=query["versionStage"][0]
            )
            body = json.dumps({"SecretString": value["SecretString"]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def run(
    database: env.Database, python: str, task: Path, runtime: Path, runs: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    ways = [w for w in WAYS if w != "app_s3_client" or (task / "service" / "aws_sdk.py").is_file()]
    samples: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
    with env.moto_server() as moto_url, fake_extension(moto_url) as port:
        arn = env.create_app_secret(database, moto_url)
        base = {"task": str(task), "runtime": str(runtime), "moto": moto_url, "arn": arn,
                "extension_port": port}  # fmt: skip
        environ = {"PATH": "/usr/bin:/bin", **env.FAKE_AWS, "PYTHONDONTWRITEBYTECODE": "1"}
        for i in range(runs):
            progress(f"secret read options {i + 1}/{runs}")
            for way in ways:  # interleaved: every way sees the same load
                done = subprocess.run(
                    [python, "-I", "-c", PROBE, json.dumps({**base, "way": way})],
                    env=environ, capture_output=True, text=True, timeout=120, check=True,
                )  # fmt: skip
                line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
                samples[way].append(json.loads(line.removeprefix("RESULT ")))
            time.sleep(0)
    return {
        way: {key: statistics.median(s[key] for s in rows) for key in rows[0]} | {"n": len(rows)}
        for way, rows in samples.items()
    }
