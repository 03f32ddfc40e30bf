"""Import-free facts about the Python code (``ast`` only): handlers, env vars, AWS calls."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def module_path(repo_root: Path, dotted_module: str) -> Path | None:
    """The file of a dotted module name (the module file or its package's __init__), or None."""
    base = repo_root.joinpath(*dotted_module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_level_names(path: Path) -> set[str]:
    """Names bound at module level: functions, classes, assignments, imports."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def python_files(directory: Path) -> Iterator[Path]:
    if directory.is_dir():
        yield from sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def _is_environ(node: ast.expr) -> bool:
    # os.environ, or `env`: the name service/config.py gives the environment
    # mapping. A bare `environ` is a WSGI environ (request data), not the process's.
    is_os_environ = (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )
    return is_os_environ or (isinstance(node, ast.Name) and node.id == "env")


def env_reads(directory: Path) -> dict[str, set[str]]:
    """Env var names read with a literal name (os.environ[...], .get, os.getenv), by file."""
    reads: dict[str, set[str]] = {}
    for path in python_files(directory):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            key = None
            if isinstance(node, ast.Subscript) and _is_environ(node.value):
                key = node.slice
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                if (
                    (
                        isinstance(func, ast.Attribute)
                        and func.attr in {"get", "pop", "setdefault"}
                        and _is_environ(func.value)
                    )
                    or (isinstance(func, ast.Attribute) and func.attr == "getenv")
                    or (isinstance(func, ast.Name) and func.id == "getenv")
                ):
                    key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
        if names:
            reads[str(path)] = names
    return reads


def boto3_services(directory: Path) -> dict[str, set[str]]:
    """AWS service names passed to ``client(...)`` / ``resource(...)``, by file."""
    found: dict[str, set[str]] = {}
    for path in python_files(directory):
        services: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in {"client", "resource"}:
                continue
            arg = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg == "service_name"), None)
            )
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                services.add(arg.value)
        if services:
            found[str(path)] = services
    return found


################################################################################
# AWS calls: which boto3 client methods the code calls, and from where
################################################################################

# mypy-boto3 client types -> boto3 service name (annotations say which client a parameter is)
_STUB_CLIENTS = {
    "LambdaClient": "lambda",
    "S3Client": "s3",
    "SecretsManagerClient": "secretsmanager",
    "CloudWatchLogsClient": "logs",
}
# Client methods that are not operations themselves but name one in their first argument.
_NAMING_METHODS = {"get_waiter", "get_paginator", "generate_presigned_url"}
_NOT_OPERATIONS = {"close", "can_paginate", "exceptions", "meta"}


@dataclass(frozen=True)
class AwsCall:
    """One call of a boto3 client method: where, which service and operation."""

    path: str  # repository-relative
    line: int
    service: str
    method: str  # the client method as written (snake case)
    operation: str  # botocore operation name (PascalCase)


def _stub_name(annotation: ast.expr | None) -> str | None:
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value
    return None


def _client_names(tree: ast.AST) -> set[str]:
    """Names bound to a boto3 client: assigned from ``*.client(...)`` or annotated as one."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if (isinstance(func, ast.Attribute) and func.attr == "client") or (
                isinstance(func, ast.Name) and func.id == "client"
            ):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.arg | ast.AnnAssign):
            target = node.arg if isinstance(node, ast.arg) else getattr(node.target, "id", None)
            if target and _stub_name(node.annotation) in _STUB_CLIENTS:
                names.add(target)
    return names


# Named like a client, but not an AWS one: the standard library's HTTP module and
# Flask's test client (service/snapstart.py warms the app with it).
_NOT_AWS_CLIENTS = {"http.client", "test_client"}


def _not_aws_clients(tree: ast.AST) -> set[str]:
    """Names bound to ``*.test_client()``: they contain "client" but call no AWS API."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr in _NOT_AWS_CLIENTS:
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_client_expression(
    node: ast.expr, client_names: set[str], not_clients: frozenset[str] = frozenset()
) -> bool:
    # A name bound to a client, anything named `*client*` (`self._client`), or
    # a helper that builds one (`_client(args)`).
    if isinstance(node, ast.Name):
        return node.id in client_names or ("client" in node.id and node.id not in not_clients)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and f"{node.value.id}.{node.attr}" in _NOT_AWS_CLIENTS:
            return False
        return "client" in node.attr
    if isinstance(node, ast.Call):
        return _is_client_expression(node.func, client_names, not_clients)
    return False


def _client_services(tree: ast.AST) -> set[str]:
    services = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"client", "resource"}:
                arg = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "service_name"), None)
                )
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    services.add(arg.value)
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in _STUB_CLIENTS:
                services.add(_STUB_CLIENTS[name])
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in _STUB_CLIENTS  # string annotations
        ):
            services.add(_STUB_CLIENTS[node.value])
    return services


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """snake_case client method -> operation name, from botocore's service model."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


@functools.cache
def _waiter_operation(service: str, waiter: str) -> str | None:
    import botocore.session
    from botocore import xform_name
    from botocore.exceptions import DataNotFoundError, UnknownServiceError

    session = botocore.session.get_session()
    try:
        config = session.get_waiter_model(service)
    except (DataNotFoundError, UnknownServiceError):  # the service has no waiters
        return None
    for name in config.waiter_names:
        if xform_name(name) == waiter:
            return str(config.get_waiter(name).operation)
    return None


def aws_calls(repo_root: Path, directories: list[str]) -> tuple[list[AwsCall], list[str]]:
    """Every boto3 client call under ``directories``, and the calls that resolve to no operation.

    The service comes from the clients the file creates (``boto3.client("s3")``)
    or annotates (``LambdaClient``); the operation from botocore's model, so a
    method that is no operation of those services is reported, not guessed.
    """
    calls: list[AwsCall] = []
    unresolved: list[str] = []
    for directory in directories:
        for path in python_files(repo_root / directory):
            tree = ast.parse(path.read_text(), filename=str(path))
            services = _client_services(tree)
            client_names = _client_names(tree)
            not_clients = frozenset(_not_aws_clients(tree))
            rel = str(path.relative_to(repo_root))
            called = {
                id(node.func)
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            }
            for node in ast.walk(tree):
                # A method passed on uncalled (`partial(client.publish_version, ...)`,
                # a retry helper) is a call too, made later by whoever receives it.
                if isinstance(node, ast.Attribute) and id(node) not in called:
                    reference = _referenced_operation(node, services, client_names, not_clients)
                    if reference is not None:
                        calls.append(AwsCall(rel, node.lineno, *reference))
                    continue
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if not _is_client_expression(node.func.value, client_names, not_clients):
                    continue
                method = node.func.attr
                if method in _NOT_OPERATIONS:
                    continue
                found = _resolve(services, method, node)
                if found is None:
                    unresolved.append(
                        f"{rel}:{node.lineno}: {method} (services {sorted(services)})"
                    )
                    continue
                service, operation = found
                calls.append(AwsCall(rel, node.lineno, service, method, operation))
    return calls, unresolved


def _referenced_operation(
    node: ast.Attribute, services: set[str], client_names: set[str], not_clients: frozenset[str]
) -> tuple[str, str, str] | None:
    """(service, method, operation) for ``client.<operation method>`` that is not called here."""
    if not _is_client_expression(node.value, client_names, not_clients):
        return None
    if node.attr in _NOT_OPERATIONS:
        return None
    matches = [
        (s, node.attr, op) for s in sorted(services) if (op := _operations(s).get(node.attr))
    ]
    return matches[0] if len(matches) == 1 else None


def _resolve(services: set[str], method: str, node: ast.Call) -> tuple[str, str] | None:
    named = method
    if method in _NAMING_METHODS:
        arg = node.args[0] if node.args else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        named = arg.value
    matches = []
    for service in sorted(services):
        if method == "get_waiter":
            operation = _waiter_operation(service, named)
        else:
            operation = _operations(service).get(named)
        if operation:
            matches.append((service, operation))
    return matches[0] if len(matches) == 1 else None


def imported_modules(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that a file imports (anywhere in it, functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] == package
        ):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def reachable_files(repo_root: Path, entry_module: str) -> set[str]:
    """Repository-relative files an entry module can import, transitively."""
    package = entry_module.split(".")[0]
    seen: set[str] = set()
    todo = [entry_module]
    files: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_path(repo_root, module)
        if path is None:
            continue
        files.add(str(path.relative_to(repo_root)))
        # a package's __init__ runs when any of its modules is imported
        parent = module.rpartition(".")[0]
        if parent:
            todo.append(parent)
        todo.extend(imported_modules(path, package))
    return files
