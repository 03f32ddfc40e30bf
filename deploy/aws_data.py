"""Write service/aws_data/: botocore's data trimmed to what the app uses (installed botocore).

    python -m deploy.aws_data          # rewrite the files
    python -m deploy.aws_data --check  # exit 1 when the committed files differ

What is kept is said once, in service/aws_sdk.py (SERVICES, TRIMMED_MODELS);
why, there too. Run this after changing those or upgrading botocore in
deploy/requirements.lock: tests/unit/test_aws_sdk.py fails until you do.

The output depends on botocore's files only: compact JSON with sorted keys, so a
botocore upgrade shows as a small diff. (botocore orders nothing by the model's key
order: serialisers walk the caller's parameters, the signer sorts the query.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from service import aws_sdk

# Documentation only: botocore reads none of these to make a request. (The
# documentation of clientContextParams stays: botocore's ServiceModel reads it.)
_DOC_KEYS = ("documentation", "documentationUrl")


def _encode(data: Any) -> bytes:
    return (
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    ).encode()


def _loader() -> Any:
    from botocore.loaders import Loader

    # botocore's own data only: no AWS_DATA_PATH, no ~/.aws/models, not our files.
    return Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


def trimmed_endpoints(endpoints: dict[str, Any], services: Iterable[str]) -> dict[str, Any]:
    """``endpoints.json`` with only ``services`` in each partition (regions, defaults kept)."""
    kept = set(services)
    partitions = []
    for partition in endpoints["partitions"]:
        partition = dict(partition)
        partition["services"] = {
            name: value for name, value in partition["services"].items() if name in kept
        }
        partitions.append(partition)
    return {**endpoints, "partitions": partitions}


def _without_docs(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if key not in _DOC_KEYS}


def _shape_refs(shape: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The references a shape makes: structure members, list member, map key and value."""
    yield from shape.get("members", {}).values()
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]


def _trim_shape(shape: dict[str, Any]) -> dict[str, Any]:
    shape = _without_docs(shape)
    if "members" in shape:
        shape["members"] = {name: _without_docs(ref) for name, ref in shape["members"].items()}
    for key in ("member", "key", "value"):
        if key in shape:
            shape[key] = _without_docs(shape[key])
    return shape


def trimmed_model(model: dict[str, Any], operations: Sequence[str]) -> dict[str, Any]:
    """A service model with only ``operations`` and the shapes they reach, without docs.

    :raise KeyError: an operation is not in the model.
    """
    missing = sorted(set(operations) - set(model["operations"]))
    if missing:
        raise KeyError(f"not operations of {model['metadata']['serviceId']}: {missing}")
    kept_operations = {
        name: _without_docs(op) for name, op in model["operations"].items() if name in operations
    }
    pending = []
    for op in kept_operations.values():
        pending += [op[key]["shape"] for key in ("input", "output") if key in op]
        pending += [error["shape"] for error in op.get("errors", [])]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += [ref["shape"] for ref in _shape_refs(model["shapes"][name])]
    trimmed = _without_docs(model)
    trimmed["operations"] = kept_operations
    trimmed["shapes"] = {
        name: _trim_shape(shape) for name, shape in model["shapes"].items() if name in reached
    }
    return trimmed


def render() -> dict[str, bytes]:
    """The files of service/aws_data/, by path relative to it, from the installed botocore."""
    loader = _loader()
    files = {
        "endpoints.json": _encode(
            trimmed_endpoints(loader.load_data("endpoints"), aws_sdk.SERVICES)
        )
    }
    for service, operations in sorted(aws_sdk.TRIMMED_MODELS.items()):
        version = loader.determine_latest_version(service, "service-2")
        # load_data, not load_service_model: the sdk-extras stay out of the file;
        # botocore merges its own at load time, as it does into its full model.
        model = loader.load_data(f"{service}/{version}/service-2")
        files[f"{service}/{version}/service-2.json"] = _encode(trimmed_model(model, operations))
    return files


def stale_files(folder: Path) -> list[str]:
    """Paths under ``folder`` that differ from :func:`render`'s, are missing or are extra."""
    expected = render()
    present = {str(path.relative_to(folder)) for path in folder.rglob("*.json") if path.is_file()}
    stale = [
        name
        for name, data in expected.items()
        if not (folder / name).is_file() or (folder / name).read_bytes() != data
    ]
    return sorted(stale + sorted(present - set(expected)))


def write(folder: Path) -> list[Path]:
    """Write :func:`render`'s files under ``folder`` and remove other .json files there."""
    expected = render()
    for path in folder.rglob("*.json"):
        if str(path.relative_to(folder)) not in expected:
            path.unlink()
    written = []
    for name, data in expected.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    import botocore

    parser = argparse.ArgumentParser(prog="python -m deploy.aws_data", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = parser.parse_args(argv)
    folder = aws_sdk.DATA_DIR
    if args.check:
        stale = stale_files(folder)
        for name in stale:
            print(f"stale: {folder / name}", file=sys.stderr)
        return 1 if stale else 0
    for path in write(folder):
        print(f"{path} ({path.stat().st_size} bytes, botocore {botocore.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
