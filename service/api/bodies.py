"""Request bodies a view can accept: how each is read from the request, and how it is documented.

``@accepts(body)`` (service/api/operation.py) calls ``body.read()`` and hands the view
the result; service/openapi.py documents ``media_type``, ``schema`` and ``problems``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from flask import current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

if TYPE_CHECKING:
    from pydantic import BaseModel


def resolve_model(model: type[BaseModel] | str) -> type[BaseModel]:
    """A pydantic model, given as such or by its name in service/schemas.py.

    The views name their models, so that pydantic (~45 ms) is imported by the first
    request that validates or dumps through one, not at cold start: GET product needs
    none (its body is built from the row, service/api/products.py).
    """
    if isinstance(model, str):
        resolved: type[BaseModel] = getattr(importlib.import_module("service.schemas"), model)
        return resolved
    return model


class Body(Protocol):
    """A request body: what it looks like and how to read it (or raise a 4xx)."""

    media_type: ClassVar[str]
    problems: ClassVar[tuple[int, ...]]  # the statuses ``read`` may answer

    @property
    def schema(self) -> type[BaseModel] | dict[str, Any]: ...

    @property
    def encoding(self) -> dict[str, Any] | None: ...

    def read(self) -> Any: ...


@dataclass(frozen=True)
class JsonBody:
    """A JSON object validated by ``model`` into a dict of the fields that were sent.

    :param read_only: fields answered with "Read-only field." (400) instead of "Unknown field."
    :param ignored: fields dropped silently (the original API accepted them on user creation).
    """

    model: type[BaseModel] | str
    read_only: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()

    media_type: ClassVar[str] = "application/json"
    problems: ClassVar[tuple[int, ...]] = (400, 415)
    encoding: ClassVar[None] = None

    @property
    def schema(self) -> type[BaseModel]:
        return resolve_model(self.model)

    def read(self) -> dict[str, Any]:
        from service.schemas import load_json_object, parse

        data = load_json_object(request.get_data(), request.mimetype)
        sent = {k: v for k, v in data.items() if k not in self.ignored}
        return parse(self.schema, sent, read_only=self.read_only)


@dataclass(frozen=True)
class Upload:
    """The one uploaded file: the client's name for it and its bytes."""

    file_name: str | None
    data: bytes


@dataclass(frozen=True)
class ImageUpload:
    """Exactly one file, in the multipart field ``image``, of at most ``MAX_IMAGE_BYTES``.

    Only the size is checked here; the view decides from the bytes whether it is an image.
    """

    field: ClassVar[str] = "image"
    media_type: ClassVar[str] = "multipart/form-data"
    problems: ClassVar[tuple[int, ...]] = (400, 413)
    encoding: ClassVar[dict[str, Any]] = {"image": {"contentType": "image/png, image/jpeg"}}
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["image"],
        "additionalProperties": False,
        "properties": {"image": {"type": "string", "format": "binary", "minLength": 1}},
    }

    def read(self) -> Upload:
        upload = self._the_one_file()
        limit = current_app.config["MAX_IMAGE_BYTES"]
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise RequestEntityTooLarge(f"Images are limited to {limit} bytes.")
        if not data:
            raise BadRequest("The file is empty.")
        return Upload(upload.filename, data)

    def _the_one_file(self) -> FileStorage:
        # Exactly one part, a file named "image": anything else is ambiguous.
        if request.mimetype != self.media_type:
            raise BadRequest("Send the image as multipart/form-data in a field named 'image'.")
        parts = list(request.files.items(multi=True)) + list(request.form.items(multi=True))
        if len(parts) != 1 or parts[0][0] != self.field or not isinstance(parts[0][1], FileStorage):
            raise BadRequest("Send exactly one file, in a field named 'image'.")
        return parts[0][1]
