"""API Gateway proxy events into the WSGI app (apig-wsgi), with malformed events answered.

apig-wsgi raises on an event it cannot read (not an object, missing keys, a body
that is not base64); Lambda then reports an error and API Gateway answers 502.
Here such events get a 400 problem document instead, and REST API events that
spell one header name two ways ("Authorization", "authorization") have their
values merged, so the app sees every value instead of whichever key came last.
"""

from __future__ import annotations

import binascii
import logging
from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask

from service.errors import problem

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], dict[str, Any]]


def _is_str_map(value: Any, *, of_lists: bool = False) -> bool:
    if not isinstance(value, dict):
        return False
    if of_lists:
        return all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
            for k, v in value.items()
        )
    return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _optional(value: Any, check: Callable[[Any], bool]) -> bool:
    return value is None or check(value)


def _malformed_v1(event: dict[str, Any]) -> str | None:
    # The fields apig-wsgi reads from a REST API (payload 1.0) event.
    if not isinstance(event.get("httpMethod"), str) or not isinstance(event.get("path"), str):
        return "httpMethod and path must be strings"
    if not _optional(event.get("headers"), _is_str_map):
        return "headers must be an object of strings"
    if not _optional(event.get("multiValueHeaders"), lambda v: _is_str_map(v, of_lists=True)):
        return "multiValueHeaders must be an object of string lists"
    if not _optional(event.get("queryStringParameters"), _is_str_map):
        return "queryStringParameters must be an object of strings"
    multi_query = event.get("multiValueQueryStringParameters")
    if not _optional(multi_query, lambda v: _is_str_map(v, of_lists=True)):
        return "multiValueQueryStringParameters must be an object of string lists"
    return None


def _malformed_v2(event: dict[str, Any]) -> str | None:
    # The fields apig-wsgi reads from an HTTP API (payload 2.0) event.
    http = (event.get("requestContext") or {}).get("http")
    if not isinstance(http, dict) or not all(
        isinstance(http.get(k), str) for k in ("method", "sourceIp", "protocol")
    ):
        return "requestContext.http must hold method, sourceIp and protocol"
    if not isinstance(event.get("rawPath"), str) or not isinstance(
        event.get("rawQueryString"), str
    ):
        return "rawPath and rawQueryString must be strings"
    if not _is_str_map(event.get("headers")):
        return "headers must be an object of strings"
    cookies = event.get("cookies", [])
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        return "cookies must be a list of strings"
    return None


def malformed(event: Any) -> str | None:
    """Why apig-wsgi could not read this event, or None when it can."""
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    if not isinstance(event.get("requestContext", {}), dict):
        return "requestContext must be an object"
    if not _optional(event.get("body"), lambda v: isinstance(v, str)):
        return "body must be a string"
    version = event.get("version", "1.0")
    if version == "2.0":
        return _malformed_v2(event)
    if version != "1.0":
        return "unsupported payload format version"
    return _malformed_v1(event)


def _merge_header_spellings(event: dict[str, Any]) -> dict[str, Any]:
    # Header names are case-insensitive; apig-wsgi would keep only the last spelling.
    multi = event.get("multiValueHeaders")
    if not multi:
        return event
    merged: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, values in multi.items():
        merged.setdefault(spelling.setdefault(name.lower(), name), []).extend(values)
    return event if len(merged) == len(multi) else {**event, "multiValueHeaders": merged}


def _bad_event(app: Flask, event: Any, reason: str) -> dict[str, Any]:
    logger.warning("malformed API Gateway event: %s", reason)
    with app.app_context():
        response = problem(400, f"The API Gateway event is malformed: {reason}.")
    headers = dict(response.headers)
    body = response.get_data(as_text=True)
    if isinstance(event, dict) and event.get("version") == "2.0":
        headers = {k.lower(): v for k, v in headers.items()}
        return {"statusCode": 400, "headers": headers, "cookies": [], "body": body,
                "isBase64Encoded": False}  # fmt: skip
    return {"statusCode": 400, "headers": headers, "body": body, "isBase64Encoded": False}


def make_handler(app: Flask) -> Handler:
    """The Lambda handler for REST (v1) and HTTP API (v2) proxy events."""
    adapter = make_lambda_handler(app, binary_support=True)

    def handler(event: Any, context: Any) -> dict[str, Any]:
        reason = malformed(event)
        if reason is not None:
            return _bad_event(app, event, reason)
        try:
            return adapter(_merge_header_spellings(event), context)
        except binascii.Error:
            # Only apig-wsgi's decoding of the body can raise this: the app itself
            # turns every exception into a response. Decoding up front instead would
            # cost a second pass over every upload (~10 ms for 4 MiB).
            return _bad_event(app, event, "the body is not valid base64")

    return handler
