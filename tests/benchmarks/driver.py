"""Runs inside a fresh ``python3.12 -I`` with only the unpacked package (and the runtime's
boto3) on sys.path, as on Lambda. Standard library plus the package; prints one JSON line.

argv: <spec.json>. The spec names the package folder, the runtime folder, the folder with
``apigw_events.py`` (a copy of deploy/events.py), the mode, the seed data and the two
cold-start events, built by the parent: the timed path imports only what the Lambda
runtime itself has imported by then (json, time), not this harness's helpers.
"""

import json
import resource
import sys
import time

STARTED = time.perf_counter()


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    sys.path[:0] = [spec["task"], spec["runtime"]]
    sys.path.append(spec["lib"])

    def status_mb(field: str) -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} in /proc/self/status")

    def rss_mb() -> float:
        # Peak RSS of this process image: VmHWM. getrusage's ru_maxrss (also reported) is
        # carried across execve on Linux, so a child spawned by a big parent starts with
        # the parent's peak; VmHWM belongs to the new address space only.
        return status_mb("VmHWM")

    def rss_now() -> float:
        return status_mb("VmRSS")

    def maxrss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    class Context:
        function_name = "inventory-api"
        function_version = "$LATEST"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:inventory-api"
        log_group_name = "/aws/lambda/inventory-api"
        log_stream_name = "bench"

        count = 0

        def __init__(self) -> None:
            Context.count += 1
            self.aws_request_id = f"00000000-0000-4000-8000-{Context.count:012d}"

        def get_remaining_time_in_millis(self) -> int:
            return 29_000

    t0 = time.perf_counter()
    if spec["mode"] == "floor":
        # The bare stack the handler is built on: the floor the cold start is compared to.
        import flask  # noqa: F401
        import pymysql  # noqa: F401
        import sqlalchemy  # noqa: F401

        out = {"import_ms": (time.perf_counter() - t0) * 1000, "floor_epoch": time.time()}
        sys.__stdout__.write("BENCH-RESULT " + json.dumps(out) + "\n")
        sys.__stdout__.flush()
        return
    import service
    from service.lambda_handler import handler

    assert service.__file__.startswith(spec["task"]), service.__file__
    imported = time.perf_counter()
    rss_import = rss_mb()

    def invoke(event, expect=200):
        result = handler(event, Context())
        if result["statusCode"] != expect:
            raise SystemExit(f"{event['path']}: {result['statusCode']} {result.get('body')}")
        return result

    if spec["mode"] == "snapstart":
        # SnapStart played in one process: init, the before-snapshot hook, a restore, the
        # after-restore hook, then the first request (what a restored copy does).
        from service import snapstart
        from service.lambda_handler import app

        s0 = time.perf_counter()
        snapstart.before_snapshot(app)
        s1 = time.perf_counter()
        snapstart.after_restore(app)
        s2 = time.perf_counter()
        invoke(spec["events"]["product"])
        s3 = time.perf_counter()
        out = {
            "import_ms": (imported - t0) * 1000,
            "before_snapshot_ms": (s1 - s0) * 1000,
            "after_restore_ms": (s2 - s1) * 1000,
            "first_product_after_restore_ms": (s3 - s2) * 1000,
        }
        sys.__stdout__.write("BENCH-RESULT " + json.dumps(out) + "\n")
        sys.__stdout__.flush()
        return
    invoke(spec["events"]["product"])
    product_done = time.perf_counter()
    product_epoch = time.time()
    invoke(spec["events"]["auth"])
    auth_done = time.perf_counter()
    auth_epoch = time.time()
    out = {
        "import_ms": (imported - t0) * 1000,
        "before_import_ms": (t0 - STARTED) * 1000,
        "first_product_ms": (product_done - imported) * 1000,
        "first_auth_ms": (auth_done - product_done) * 1000,
        "product_epoch": product_epoch,
        "auth_epoch": auth_epoch,
        "rss_after_import_mb": rss_import,
        "rss_after_first_requests_mb": rss_mb(),
    }
    if spec["mode"] != "memory":
        sys.__stdout__.write("BENCH-RESULT " + json.dumps(out) + "\n")
        sys.__stdout__.flush()
        return

    # Memory mode: 1,000 mixed requests, events built here (untimed).
    import base64
    import uuid

    import apigw_events  # the copy of deploy/events.py

    auth = "Basic " + base64.b64encode(f"{spec['username']}:{spec['password']}".encode()).decode()

    def call(method, path, headers=(), body=b"", expect=200):
        request = apigw_events.HttpRequest(
            method=method,
            target=f"/prod{path}",
            headers=[("Host", "bench.local"), *headers],
            body=body,
            source_ip="203.0.113.10",
        )
        event = apigw_events.build_event(
            request, path=path, stage="prod", binary_media_types=("*/*",)
        )
        return invoke(event, expect)

    with open(spec["png"], "rb") as handle:
        png = handle.read()
    json_auth = [("Authorization", auth), ("Content-Type", "application/json")]
    product, listed, patched = spec["product_id"], spec["listed_id"], spec["patched_id"]
    boundary = "benchboundary" + uuid.uuid4().hex
    upload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="m.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    )
    upload_headers = [
        ("Authorization", auth),
        ("Content-Type", f"multipart/form-data; boundary={boundary}"),
    ]
    requests = spec["requests"]
    kinds = ("health", "get_product", "get_user", "create_product", "patch_product",
             "upload_png", "list_images")  # fmt: skip
    steps = {"after import and the two cold-start requests": rss_now()}
    for i in range(requests):
        kind = i % 7
        if kind == 0:
            call("GET", "/healthz")
        elif kind == 1:
            call("GET", f"/v1/product/{product}")
        elif kind == 2:
            call("GET", f"/v1/user/{spec['user_id']}", [("Authorization", auth)])
        elif kind == 3:
            body = {"name": "Mem", "description": "memory", "manufacturer": "Acme",
                    "sku": f"MEM-{spec['run']}-{i}", "quantity": i % 101}  # fmt: skip
            call("POST", "/v1/product", json_auth, json.dumps(body).encode(), 201)
        elif kind == 4:
            body = {"quantity": i % 101}
            call("PATCH", f"/v1/product/{patched}", json_auth, json.dumps(body).encode(), 204)
        elif kind == 5:
            call("POST", f"/v1/product/{product}/image", upload_headers, upload, 201)
        else:
            call("GET", f"/v1/product/{listed}/image", [("Authorization", auth)])
        if i < 7 or i in (99, requests - 1):
            # Where the memory comes from: the RSS after each kind's first request.
            steps[kinds[kind] if i < 7 else f"request {i + 1}"] = rss_now()
    out["requests"] = requests
    out["rss_steps_mb"] = steps
    out["peak_rss_mb"] = rss_mb()
    out["getrusage_maxrss_mb"] = maxrss_mb()
    sys.__stdout__.write("BENCH-RESULT " + json.dumps(out) + "\n")
    sys.__stdout__.flush()


if __name__ == "__main__":
    if "--profile" in sys.argv:
        # cProfile (standard library: the package has no profiler) around import + requests.
        import cProfile
        import io
        import pstats

        sys.argv.remove("--profile")
        profiler = cProfile.Profile()
        profiler.runcall(main)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
        sys.stderr.write(text.getvalue())
    else:
        main()
