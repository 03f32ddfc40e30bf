"""Request validation and response shapes; the OpenAPI document is generated from these.

Requests are validated into plain dicts (``parse``) and responses are built
by validating a model or dict into the response model and dumping it, so the
documented schema and the code cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service.dates import isoformat
from service.errors import ValidationError
from service.fields import MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH

# ---------------------------------------------------------------- field types


def _encodable(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800") that no database can store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _password_bytes(value: str) -> str:
    if "\0" in value:  # bcrypt stops at NUL: "\0" * 8 would hash like ""
        raise ValueError("must not contain NUL (U+0000)")
    size = len(_encodable(value).encode("utf-8"))
    if size > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (got {size})")
    return value


MAX_TEXT = 255  # characters, as stored: VARCHAR(255) on MySQL


def _integral(value: Any) -> Any:
    # JSON has one number type: 5 and 5.0 are the same integer; true and "3" are not.
    # Bodies are parsed with Decimal (load_json_object), so 0.99999999999999999999
    # and 1e-400 stay what they say instead of rounding to 1 and 0 as floats would.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be an integer")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("must be an integer")
        if value.adjusted() > 18:  # 1e400: never build a huge int just to reject it
            raise ValueError("must be an integer between 0 and 100")
        return int(value)
    return value


def _upper_bounded(value: str) -> str:
    # The limit applies to what is stored: upper-casing can lengthen a string
    # ("ß" becomes "SS", "ﬃ" becomes "FFI"), so check after it, not before.
    upper = value.upper()
    if len(upper) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters once upper-cased")
    return upper


Text = Annotated[
    str,
    StringConstraints(strict=True, max_length=MAX_TEXT),
    AfterValidator(_encodable),
]
Name = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(_encodable),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S"}),
]
Sku = Annotated[
    Name,
    AfterValidator(_upper_bounded),
    Field(
        description="Leading and trailing whitespace is removed and the SKU is upper-cased "
        "before it is stored and compared: ` ab-1 ` is stored as `AB-1`, and conflicts "
        "with an existing `AB-1` (409). The 255-character limit applies to the stored, "
        "upper-cased value (`ß` counts as the two characters `SS`)."
    ),
]
Email = Annotated[
    str,
    StringConstraints(
        strict=True,
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
    ),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
Password = Annotated[
    str,
    StringConstraints(strict=True, min_length=MIN_PASSWORD_LENGTH),
    AfterValidator(_password_bytes),
    WithJsonSchema(
        {
            "type": "string",
            "format": "password",
            "minLength": MIN_PASSWORD_LENGTH,
            "maxLength": MAX_PASSWORD_BYTES,
            "pattern": r"^[^\u0000]*$",
            "description": "8 to 72 bytes in UTF-8 (bcrypt's limit): any Unicode except NUL "
            "(U+0000), and multi-byte characters count for their UTF-8 length.",
        }
    ),
]
Quantity = Annotated[
    int,
    BeforeValidator(_integral),
    Field(ge=0, le=100),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 100}),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(isoformat, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
            "examples": ["2016-08-29T09:12:33.001Z"],
        }
    ),
]
Id = Annotated[int, Field(ge=1)]

# ------------------------------------------------------------------ requests


# defer_build: a model's validator and serialiser are built when it is first used, not at
# import: a cold start that answers a GET pays for the one response model it needs
# (docs/performance.md, cold start).
DEFERRED = ConfigDict(defer_build=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class UserCreate(_Request):
    """Body of POST /v1/user."""

    username: Email
    password: Password
    first_name: Name
    last_name: Name


class UserUpdate(_Request):
    """Body of PUT /v1/user/{userId}; the username cannot change."""

    password: Password
    first_name: Name
    last_name: Name


class ProductWrite(_Request):
    """Body of POST /v1/product and PUT /v1/product/{productId}: all five fields."""

    name: Name
    description: Text
    sku: Sku
    manufacturer: Text
    quantity: Quantity


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    # Absent fields stay unset; an explicit null is validated (and rejected)
    # like any other value, so the documented schema carries no default.
    return Field(default=None, json_schema_extra=_drop_default)


class ProductPatch(_Request):
    """Body of PATCH /v1/product/{productId}: any non-empty subset of the five fields."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"minProperties": 1}, defer_build=True
    )

    name: Name = _optional()
    description: Text = _optional()
    sku: Sku = _optional()
    manufacturer: Text = _optional()
    quantity: Quantity = _optional()


# ----------------------------------------------------------------- responses


class _Response(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


class UserOut(_Response):
    """A user as the API returns it (never the password or its hash)."""

    id: Id
    first_name: str
    last_name: str
    username: str
    account_created: Timestamp
    account_updated: Timestamp


class ProductOut(_Response):
    """A product as the API returns it."""

    id: Id
    name: str
    description: str
    sku: str
    manufacturer: str
    quantity: int
    date_added: Timestamp
    date_last_updated: Timestamp
    owner_user_id: Id


class ImageOut(_Response):
    """An image's metadata; ``download_url`` is short-lived."""

    image_id: Id
    product_id: Id
    file_name: str
    date_created: Timestamp
    s3_bucket_path: str
    download_url: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` names each bad field on validation errors."""

    model_config = DEFERRED

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class FieldError(BaseModel):
    """One invalid field and what is wrong with it."""

    model_config = DEFERRED

    field: str
    message: str


class Health(BaseModel):
    """Health check result."""

    model_config = DEFERRED

    status: str
    database: str


# ------------------------------------------------------------------- helpers

_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "string_type": "Must be a string.",
}


def _field_errors(error: PydanticValidationError) -> list[dict[str, str]]:
    errors = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = _MESSAGES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        message = message[:1].upper() + message[1:].rstrip(".") + "."
        errors.append({"field": field, "message": message})
    return errors


def parse(
    model: type[BaseModel], data: dict[str, Any], *, read_only: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Validate a JSON object into a dict of the fields that were sent.

    :param read_only: fields that are reported as read-only instead of unknown.
    :raise ValidationError: listing every bad field.
    """
    errors = [{"field": f, "message": "Read-only field."} for f in sorted(read_only & data.keys())]
    try:
        values = model.model_validate({k: v for k, v in data.items() if k not in read_only})
    except PydanticValidationError as error:
        errors += _field_errors(error)
    if errors:
        raise ValidationError(errors)
    result = values.model_dump(exclude_unset=True)
    if not result:
        raise ValidationError([{"field": "body", "message": "Send at least one field."}])
    return result


def dump(model: type[BaseModel], obj: Any) -> dict[str, Any]:
    """Serialise an ORM object or dict through its response model."""
    return model.model_validate(obj).model_dump(mode="json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json_object(raw: bytes, mimetype: str) -> dict[str, Any]:
    """Decode a request body that must be a JSON object.

    :raise UnsupportedMediaType: the body is not declared as JSON.
    :raise BadRequest: it is not valid UTF-8 JSON, or not an object.
    """
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data
