"""`status`: what runs where. Per function: the version the alias serves (the newest
published one for the migration job, which has no alias), the version the alias
replaced, each one's CodeSha256 compared with a local zip, when it was published, and
how the alias splits traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploy import lambdas
from deploy.release import recorded_previous

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ALIASED_ROLES = ("api", "rotate")  # the migration job is invoked by version, never by alias


def _version(
    client: LambdaClient, function: str, version: str, zip_sha: str | None
) -> dict[str, Any]:
    config = client.get_function_configuration(FunctionName=function, Qualifier=version)
    return {
        "version": version,
        "code_sha256": config["CodeSha256"],
        "matches_zip": None if zip_sha is None else config["CodeSha256"] == zip_sha,
        "last_modified": config["LastModified"],
        "description": config.get("Description", ""),
    }


def function_status(
    client: LambdaClient, role: str, function: str, alias: str, zip_sha: str | None
) -> dict[str, Any]:
    """The status of one function (see the module docstring)."""
    latest = client.get_function_configuration(FunctionName=function)
    status: dict[str, Any] = {
        "function_name": function,
        "runtime": latest.get("Runtime"),
        "architectures": latest.get("Architectures", []),
        "state": latest.get("State"),
        "last_update_status": latest.get("LastUpdateStatus"),
        "alias": None,
        "live": None,
        "previous": None,
        "routing": {},
    }
    live: str | None
    previous: str | None = None
    if role in ALIASED_ROLES:
        try:
            current = client.get_alias(FunctionName=function, Name=alias)
        except client.exceptions.ResourceNotFoundException:
            return status  # the stack has no alias yet: shown as such
        live = current["FunctionVersion"]
        previous = recorded_previous(current.get("Description", ""))
        weights = current.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
        status["alias"] = alias
        status["routing"] = {live: round(1.0 - sum(weights.values()), 4), **weights}
    else:
        live = lambdas.latest_version(client, function)
    if live is not None:
        status["live"] = _version(client, function, live, zip_sha)
    if previous is not None:
        status["previous"] = _version(client, function, previous, zip_sha)
    return status


def _line(label: str, info: dict[str, Any] | None, zip_name: str | None) -> str:
    if info is None:
        return f"  {label:<9} (none)"
    sha = info["code_sha256"]
    same = {True: f"same as {zip_name}", False: f"differs from {zip_name}", None: ""}
    parts = [
        f"  {label:<9} version {info['version']:<5}",
        f"code {sha[:12]}…",
        same[info["matches_zip"]],
        f"published {info['last_modified']}",
        info["description"],
    ]
    return "  ".join(p for p in parts if p)


def render(report: dict[str, Any]) -> str:
    """The human-readable status."""
    package = report.get("zip")
    zip_name = package["path"] if package else None
    lines = [f"package {package['path']}: code {package['code_sha256']}" if package else ""]
    for role, info in report["functions"].items():
        platform = ", ".join(filter(None, [info["runtime"], *info["architectures"], info["state"]]))
        lines.append(f"{role}: {info['function_name']} ({platform})")
        if role in ALIASED_ROLES and info["alias"] is None:
            lines.append("  no alias: Terraform creates `live` (terraform/lambda.tf)")
            continue
        label = f"{info['alias']} ->" if info["alias"] else "newest"
        lines.append(_line(label, info["live"], zip_name))
        if info["alias"]:
            lines.append(_line("previous", info["previous"], zip_name))
            split = ", ".join(
                f"{weight:.0%} version {version}" for version, weight in info["routing"].items()
            )
            lines.append(f"  {'routing':<9} {split}")
    return "\n".join(line for line in lines if line)
