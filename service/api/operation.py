"""What each view accepts and answers, declared where the view is declared.

Read top-down, a view's decorators are the order of its checks, which the API
promises (401 before 404/403 before 415/400)::

    @bp.put("/<id:product_id>")
    @operation(204, "Updated", auth=True, errors=(403, 409))  # credentials (401); the response
    @loads(owned_product)                                     # the resource (404, 403)
    @accepts(JsonBody(ProductWrite, read_only=...))           # the body (415, 400)
    def update_product(product: Product, body: dict[str, Any]) -> None: ...

service/openapi.py writes the OpenAPI document from these declarations and
``app.url_map``: the summary is the docstring's first line, the operationId the
view's name in camelCase.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask.typing import ResponseReturnValue

from service.api.bodies import Body, resolve_model
from service.auth import basic_auth
from service.dates import isoformat

if TYPE_CHECKING:
    from pydantic import BaseModel

View = Callable[..., Any]

# Attributes on the view functions (functools.wraps copies them to each outer wrapper).
_OPERATION = "_operation"
_BODY = "_accepts"
_LOADS = "_loads"


@dataclass(frozen=True)
class Operation:
    """One view's declaration, as the OpenAPI document shows it."""

    operation_id: str
    summary: str
    status: int
    description: str  # of the success response
    model: type[BaseModel] | str | None  # str: its name in service/schemas.py
    many: bool
    auth: bool
    errors: tuple[int, ...]  # statuses raised by the view or its loader
    body: Body | None

    @property
    def response_model(self) -> type[BaseModel] | None:
        """The model of the success response's body (imports pydantic if named)."""
        return None if self.model is None else resolve_model(self.model)


class Ready(dict[str, Any]):
    """A response body already in its JSON form: ``@operation`` sends it as it is.

    For hot reads whose body is built from a row without pydantic (``row_body``); a test
    checks each such body against its model's dump (tests/unit/test_row_bodies.py).
    """


def row_body(*fields: str, timestamps: frozenset[str]) -> Callable[[Any], Ready]:
    """A builder of a response body from a row: ``fields`` in order, ``timestamps``
    through ``isoformat``, other values as the database returns them."""

    def build(row: Any) -> Ready:
        return Ready(
            {
                name: isoformat(getattr(row, name)) if name in timestamps else getattr(row, name)
                for name in fields
            }
        )

    return build


def declared_operation(view: View) -> Operation | None:
    """The declaration ``@operation`` attached to a view, if any."""
    return getattr(view, _OPERATION, None)


def camel_case(name: str) -> str:
    """``create_product`` -> ``createProduct``."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def operation(
    status: int,
    description: str,
    model: type[BaseModel] | str | None = None,
    *,
    many: bool = False,
    auth: bool = False,
    errors: tuple[int, ...] = (),
) -> Callable[[View], View]:
    """Declare a view's success response and turn what it returns into that response.

    The view returns the object (or a list of them with ``many``) that ``model``
    serialises, optionally with a dict of headers: ``return product, {"Location": url}``;
    with no ``model`` it returns None and the answer has no body.

    :param auth: require HTTP Basic credentials (401 before anything else is looked at).
    :param errors: the statuses the view or its loader raise (403, 409, ...); 400/415/413
        come from the body, 401 from ``auth``, 404 from ids in the path.
    """

    def decorate(view: View) -> View:
        if not (view.__doc__ or "").strip():
            raise TypeError(f"{view.__name__}: its docstring's first line is the summary")
        declared = Operation(
            operation_id=camel_case(view.__name__),
            summary=(view.__doc__ or "").strip().splitlines()[0].rstrip("."),
            status=status,
            description=description,
            model=model,
            many=many,
            auth=auth,
            errors=errors,
            body=getattr(view, _BODY, None),
        )

        @functools.wraps(view)
        def respond(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            result = view(*args, **kwargs)
            value, headers = result if isinstance(result, tuple) else (result, {})
            if model is None:
                return "", status, headers
            if type(value) is Ready:
                return value, status, headers
            from service.schemas import dump

            response_model = resolve_model(model)
            if many:
                return [dump(response_model, item) for item in value], status, headers
            return dump(response_model, value), status, headers

        wrapped: View = basic_auth.login_required(respond) if auth else respond
        setattr(wrapped, _OPERATION, declared)
        return wrapped

    return decorate


def loads(loader: Callable[..., Any]) -> Callable[[View], View]:
    """Call the view with ``loader(**ids_from_the_url)`` (which may raise 404 or 403).

    It goes above ``@accepts``: the resource is checked before the body is read.
    """

    def decorate(view: View) -> View:
        if hasattr(view, _OPERATION):
            raise TypeError(f"{view.__name__}: @loads goes below @operation")

        @functools.wraps(view)
        def load(**ids: Any) -> Any:
            return view(loader(**ids))

        setattr(load, _LOADS, loader)
        return load

    return decorate


def accepts(body: Body) -> Callable[[View], View]:
    """Read and validate the request body; the view gets it as the keyword ``body``."""

    def decorate(view: View) -> View:
        if hasattr(view, _OPERATION):
            raise TypeError(f"{view.__name__}: @accepts goes below @operation")
        if hasattr(view, _LOADS):
            raise TypeError(f"{view.__name__}: @accepts goes below @loads (404/403 before 400)")

        @functools.wraps(view)
        def read(*args: Any, **kwargs: Any) -> Any:
            return view(*args, body=body.read(), **kwargs)

        setattr(read, _BODY, body)
        return read

    return decorate
