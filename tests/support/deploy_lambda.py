"""A Lambda stack in moto for the deploy/ and .github/ tests: the three functions as
Terraform creates them, and a stand-in for the Lambda runtime that runs Python handlers
in this process (moto's own invoke needs Docker).

`FakeRuntime` replaces moto's Invoke response, in-process (`mock_aws`) and in a
`ThreadedMotoServer` of this process alike. It answers like Lambda: 404
ResourceNotFoundException for a function or qualifier that does not exist, the
handler's JSON result, or `X-Amz-Function-Error: Unhandled` with `errorType` /
`errorMessage` when the handler raises, and the log tail (`X-Amz-Log-Result`, base64)
when `LogType=Tail` is asked for.
"""

from __future__ import annotations

import base64
import io
import json
import traceback
import uuid
import zipfile
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.awslambda.responses import LambdaResponse

NAMES = {
    "API_FUNCTION_NAME": "inventory-api",
    "MIGRATE_FUNCTION_NAME": "inventory-migrate",
    "ROTATE_FUNCTION_NAME": "inventory-rotate",
}
ALIASED = ("API_FUNCTION_NAME", "ROTATE_FUNCTION_NAME")  # Terraform gives these `live`

# handler(event, qualifier) -> result; it may print (the log) and raise (a FunctionError)
Handler = Callable[[Any, str], Any]


def small_zip(text: str) -> bytes:
    """A tiny code zip whose hash changes with `text`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("service/lambda_handler.py", text)
    return buffer.getvalue()


def create_stack(
    lambda_client: Any,
    iam_client: Any,
    names: dict[str, str] | None = None,
    *,
    arch: str = "arm64",
    runtime: str = "python3.12",
) -> None:
    """The three functions at version 1, and `live` -> 1 on the API and rotation functions."""
    names = names or NAMES
    role = iam_client.create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    for variable, name in names.items():
        lambda_client.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="service.lambda_handler.handler",
            Code={"ZipFile": small_zip("v1")},
            Publish=True,
            Architectures=[arch],
        )
        if variable in ALIASED:
            lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")


@dataclass
class Invoked:
    function: str
    qualifier: str | None
    event: Any
    log_type: str | None


@dataclass
class FakeRuntime:
    """Handlers by function name, and every invocation in order."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    calls: list[Invoked] = field(default_factory=list)

    def on(self, function: str, handler: Handler) -> None:
        self.handlers[function] = handler

    def install(self, monkeypatch: Any) -> FakeRuntime:
        runtime = self

        def invoke(response: LambdaResponse) -> tuple[int, dict[str, str], str | bytes]:
            return runtime._invoke(response)

        monkeypatch.setattr(LambdaResponse, "invoke", invoke)
        return self

    def _invoke(self, response: LambdaResponse) -> tuple[int, dict[str, str], str | bytes]:
        function = unquote(response.path.rsplit("/", 2)[-2])
        qualifier = response.querystring.get("Qualifier", [None])[0]
        log_type = response.headers.get("X-Amz-Log-Type")
        # Raises moto's ResourceNotFoundException for a missing function or qualifier.
        version = response.backend.get_function(function, qualifier).version
        event = json.loads(response.body or b"null")
        self.calls.append(Invoked(function, qualifier, event, log_type))
        request_id = str(uuid.uuid4())
        log = io.StringIO()
        headers = {"content-type": "application/json", "x-amz-executed-version": str(version)}
        handler = self.handlers.get(function, lambda event, qualifier: event)
        try:
            with redirect_stdout(log):
                payload = json.dumps(handler(event, str(version)))
        except Exception as error:
            log.write(traceback.format_exc())
            headers["x-amz-function-error"] = "Unhandled"
            payload = json.dumps(
                {"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": []}
            )
        if log_type == "Tail":
            tail = f"START RequestId: {request_id} Version: {version}\n{log.getvalue()}"
            tail += f"END RequestId: {request_id}\n"
            headers["x-amz-log-result"] = base64.b64encode(tail.encode()[-4096:]).decode()
        return 200, headers, payload


def healthz_handler(status: int = 200, body: str = '{"status": "ok"}') -> Handler:
    """An API handler answering every API Gateway event with `status`."""

    def handle(event: Any, qualifier: str) -> dict[str, Any]:
        print(f"GET {event.get('path')} {status}")
        return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}

    return handle


class Stack:
    """The three functions in moto, the Lambda client, and the fake runtime's handlers."""

    def __init__(self, client, runtime: FakeRuntime) -> None:
        self.client = client
        self.runtime = runtime

    def alias(self, variable: str = "API_FUNCTION_NAME") -> dict:
        return self.client.get_alias(FunctionName=NAMES[variable], Name="live")

    def versions(self, variable: str = "API_FUNCTION_NAME") -> list[str]:
        found = self.client.list_versions_by_function(FunctionName=NAMES[variable])
        return [v["Version"] for v in found["Versions"]]
