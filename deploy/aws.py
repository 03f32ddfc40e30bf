"""boto3 clients for the release and operations commands, and one clear line per AWS failure.

Every client made here records the API call it is about to make (operation and the
parameters that name a resource), so that when botocore raises, `explain` can say which
IAM action failed on which function, alias, version or log group, and what to set or
grant, instead of a traceback. Retries use botocore's "standard" mode (throttling and
transient errors, with backoff); AWS_MAX_ATTEMPTS changes the number of attempts.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# API operations whose IAM action has another name (Service Authorization Reference,
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).
_ACTION_NAMES = {("lambda", "Invoke"): "InvokeFunction"}
# The parameters that name what a call acts on, in the order they are shown.
_RESOURCE_PARAMS = ("FunctionName", "Qualifier", "Name", "FunctionVersion", "logGroupName")

_THROTTLED = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
_DENIED = frozenset(
    {"AccessDeniedException", "AccessDenied", "KMSAccessDeniedException", "UnauthorizedOperation"}
)
_BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)


@dataclass(frozen=True)
class Call:
    """An API call a client started: its IAM action, region and resource parameters."""

    action: str
    region: str
    params: dict[str, str] = field(default_factory=dict)


_last_call: ContextVar[Call | None] = ContextVar("last_aws_call", default=None)
_CALL_KEY = "DeployCall"


def iam_action(prefix: str, operation: str) -> str:
    """The IAM action an API operation needs, e.g. `lambda:InvokeFunction` for Invoke."""
    return f"{prefix}:{_ACTION_NAMES.get((prefix, operation), operation)}"


def client(service: str, region: str | None, *, read_timeout: int = 60) -> Any:
    """A boto3 client that records its calls for `explain`.

    :param read_timeout: seconds to wait for an answer (a synchronous invoke waits for
        the function to finish).
    """
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=10, read_timeout=read_timeout, retries={"mode": "standard"})
    made = boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]
    prefix = made.meta.service_model.signing_name
    region_name = made.meta.region_name

    def record(params: Mapping[str, Any], model: Any, **_kwargs: Any) -> None:
        named = {k: str(params[k]) for k in _RESOURCE_PARAMS if params.get(k) is not None}
        _last_call.set(Call(iam_action(prefix, model.name), region_name, named))

    def remember(parsed: dict[str, Any], **_kwargs: Any) -> None:
        # An error response becomes ClientError.response: keep the call that got it, so
        # calls made while handling the error (an undo) do not change what is reported.
        if isinstance(parsed, dict) and "Error" in parsed:
            parsed[_CALL_KEY] = _last_call.get()

    made.meta.events.register("provide-client-params.*.*", record)
    made.meta.events.register("after-call.*.*", remember)
    return made


def last_call() -> Call | None:
    """The call the most recent client of this module started (None before any)."""
    return _last_call.get()


def forget_calls() -> None:
    """Start afresh (between commands run in one process, e.g. tests)."""
    _last_call.set(None)


def _target(call: Call | None, hints: Mapping[str, str]) -> str:
    if call is None:
        return "AWS"
    params = call.params
    if "logGroupName" in params:
        return f"log group {params['logGroupName']}"
    function = params.get("FunctionName", "")
    described = f"function {function}"
    if function in hints:
        described += f" ({hints[function]})"
    if "Name" in params:
        return f"alias {params['Name']} of {described}"
    qualifier = params.get("Qualifier") or params.get("FunctionVersion")
    return f"version {qualifier} of {described}" if qualifier else described


def _not_found(call: Call | None, message: str, hints: Mapping[str, str]) -> str:
    action = call.action if call else "the call"
    region = call.region if call else "this region"
    params = call.params if call else {}
    # A function's log group is /aws/lambda/<function> (terraform/lambda.tf).
    function = params.get("FunctionName") or params.get("logGroupName", "").rpartition("/")[2]
    check = f"check {hints[function]} and AWS_REGION" if function in hints else "check AWS_REGION"
    if "logGroupName" in params:
        return (
            f"log group {params['logGroupName']} does not exist in {region} ({action}): "
            f"the function has not logged yet, or its name is wrong: {check}"
        )
    if "Name" in params and "alias" in message.lower():
        return (
            f"alias {params['Name']} of function {function} does not exist in {region} "
            f"({action}): Terraform creates it (terraform/lambda.tf); {check}"
        )
    qualifier = params.get("Qualifier") or params.get("FunctionVersion")
    if qualifier and f":{qualifier}" in message:
        return (
            f"version {qualifier} of function {function} does not exist in {region} "
            f"({action}): check --version or the release file publish wrote"
        )
    return f"function {function} does not exist in {region} ({action}): {check}"


def _client_error(error: Any, call: Call | None, hints: Mapping[str, str]) -> str:
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", "")).strip()
    action = call.action if call else error.operation_name
    target = _target(call, hints)
    if code in ("ResourceNotFoundException", "NotFoundException"):
        return _not_found(call, message, hints)
    if code in _DENIED:
        return (
            f"access denied: {action} on {target} is not allowed for these credentials; "
            f"grant it to the role (the deploy role: terraform/github.tf). AWS: {message}"
        )
    if code in _THROTTLED:
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return (
            f"AWS throttled {action} on {target} ({code}, {attempts} attempt(s)): "
            "run it again in a minute, or allow more attempts with AWS_MAX_ATTEMPTS"
        )
    if code in _BAD_CREDENTIALS:
        return (
            f"AWS rejected the credentials ({code}) for {action}: renew them (in CI the "
            "configure-aws-credentials step; locally AWS_PROFILE or aws sso login)"
        )
    if code == "ResourceConflictException":
        return f"{target} is busy with another change ({action}): run it again. AWS: {message}"
    return f"{action} on {target} failed: {code}: {message}"


def explain(error: BaseException, hints: Mapping[str, str] | None = None) -> str | None:
    """One line saying what failed and what to do, for a botocore error; None otherwise.

    :param hints: function name -> where it came from (e.g. `API_FUNCTION_NAME or
        --api-function`), so a missing function names the setting to fix.
    """
    message = _explain(error, hints or {})
    return " ".join(message.split()) if message is not None else None


def _explain(error: BaseException, hints: Mapping[str, str]) -> str | None:
    if "botocore" not in sys.modules:
        return None
    from botocore import exceptions as bx

    call = last_call()
    if isinstance(error, bx.ClientError):
        recorded = dict(error.response).get(_CALL_KEY)
        call = recorded if isinstance(recorded, Call) else call
    action = call.action if call else "the AWS call"
    target = _target(call, hints)
    if isinstance(error, bx.ClientError):
        return _client_error(error, call, hints)
    if isinstance(error, bx.NoRegionError):
        return "no AWS region: set AWS_REGION (or pass --region)"
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            f"no AWS credentials for {action}: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY); in CI the configure-aws-credentials step provides them"
        )
    if isinstance(error, bx.ProfileNotFound):
        return f"{error}: check AWS_PROFILE"
    if isinstance(error, bx.ConnectionError | bx.HTTPClientError):
        return (
            f"cannot reach AWS for {action} on {target}: {error}; check the network, "
            "AWS_REGION and AWS_ENDPOINT_URL"
        )
    if isinstance(error, bx.BotoCoreError):
        return f"{action} on {target} failed: {error}"
    return None
