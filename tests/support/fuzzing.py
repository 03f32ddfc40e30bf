"""schemathesis in our tests: the seed, and what our document cannot say in JSON Schema.

Passwords are limited to 72 bytes of UTF-8 (bcrypt), not 72 characters. The
document marks them ``format: password``; schemathesis generates valid ones
with the strategy below, and, in negative mode, treats any value of a custom
format as invalid. A generated "invalid" password that is in fact 8 to 72
bytes is accepted by the API, rightly: ``validate`` ignores exactly those.
"""

from __future__ import annotations

import http.client
import io
import os
from typing import Any
from urllib.parse import urlencode

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.transport import Response

from service.fields import MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH

# Fixed so that a failure replays (printed in the report header); FUZZ_SEED=<n> explores.
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261127"))


def password_fits(value: Any) -> bool:
    """True for a password the API must accept."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD_LENGTH:
        return False
    try:
        return len(value.encode("utf-8")) <= MAX_PASSWORD_BYTES
    except UnicodeEncodeError:
        return False


PASSWORDS = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=MIN_PASSWORD_LENGTH, max_size=72
).filter(password_fits)


def register_formats() -> None:
    """Register generators for the custom string formats the document uses."""
    schemathesis.openapi.format("password", PASSWORDS)


def excluded_checks(case: Any) -> list[Any]:
    """Checks that cannot hold for an operation, with the reason."""
    # JSON Schema cannot say "a well-formed PNG or JPEG": schemathesis' "valid"
    # uploads include GIF, PDF and random bytes, which the API rightly refuses.
    if case.operation.definition.raw.get("operationId") == "createImage":
        return [positive_data_acceptance]
    return []


def _is_password_artifact(case: Any, failure: Exception) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    return (
        isinstance(failure, AcceptedNegativeData)
        and "/properties/password" in str(failure)
        and password_fits(body.get("password"))
    )


def validate(case: Any, response: Any) -> None:
    """Run every applicable check on a response; raise schemathesis' failures."""
    try:
        case.validate_response(response, excluded_checks=excluded_checks(case))
    except FailureGroup as group:
        if not all(_is_password_artifact(case, failure) for failure in group.exceptions):
            raise


def _werkzeug_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    if kwargs.get("files"):
        form: dict[str, list[Any]] = {}
        for name, (filename, content, *_) in kwargs["files"]:
            # Negative cases may put any JSON value where the file bytes belong.
            raw = content if isinstance(content, bytes) else str(content).encode()
            form.setdefault(name, []).append((io.BytesIO(raw), filename))
        return {"data": form}
    if "json" in kwargs:
        return {"json": kwargs["json"]}
    return {"data": kwargs.get("data")}


def call(case: Any, api: Any, headers: dict[str, str]) -> Response:
    """Send a generated case through one of our transports (tests/support/transport.py)
    and hand schemathesis the response in its own type, with the request it came from."""
    kwargs = case.as_transport_kwargs(base_url="http://localhost", headers=headers)
    url = kwargs["url"]
    if kwargs.get("params"):
        url += "?" + urlencode(kwargs["params"], doseq=True)
    sent = api.request(kwargs["method"], url, headers=kwargs["headers"], **_werkzeug_body(kwargs))
    request = requests.Request(kwargs["method"], url, headers=kwargs["headers"]).prepare()
    return Response(
        status_code=sent.status_code,
        headers={name: sent.headers.getlist(name) for name in sent.headers.keys()},  # noqa: SIM118
        content=sent.data,
        request=request,
        elapsed=0.0,
        verify=False,
        message=http.client.responses.get(sent.status_code, "Unknown"),
    )


# How many cases each schemathesis test generated: recorded as a user property (it
# travels with xdist's reports) and summed in the terminal summary (tests/conftest.py).
CASES_PROPERTY = "schemathesis_cases"


def generated_cases(reports: Any) -> int:
    """The cases recorded by the teardown reports of the schemathesis tests."""
    return sum(
        value
        for report in reports
        if getattr(report, "when", None) == "teardown"
        for name, value in getattr(report, "user_properties", ())
        if name == CASES_PROPERTY
    )
