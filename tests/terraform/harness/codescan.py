"""Import-free facts about the Python code (``ast`` only): handlers, env vars, boto3 clients."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def module_path(repo_root: Path, dotted_module: str) -> Path | None:
    """The file of ``a.b.c`` (``a/b/c.py`` or ``a/b/c/__init__.py``), or None."""
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
