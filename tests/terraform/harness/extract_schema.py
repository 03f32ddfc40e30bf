"""Regenerate the committed AWS provider schema from the published CDK bindings.

No registry is reachable here, so ``terraform providers schema -json`` cannot
run. The prebuilt CDK Terrain bindings on PyPI (``cdktn-provider-aws``) are
generated from that very schema, and their JavaScript keeps, per resource and
data source, every argument's Terraform name, type, list/set/map shape and
whether it is a block; their ``.d.ts`` files keep which arguments are required.
This script reads both straight out of the wheel (no unpacking to disk) and
writes a compact, gzipped JSON schema that ``schema_provider.py`` serves.

Usage (heavy: downloads a ~70 MB wheel; tests never run this)::

    python -m tests.terraform.harness.extract_schema            # default version
    python -m tests.terraform.harness.extract_schema --wheel path/to/cdktn_provider_aws-*.whl

Output format (``format`` 1)::

    {"format": 1, "source": {...package and provider versions...},
     "provider": BLOCK, "resources": {type: BLOCK}, "data_sources": {type: BLOCK}}
    BLOCK = {"a": {name: [cty_type_json, flags]},          # flags: r, o, c
             "b": {name: [nesting, min_items, max_items, BLOCK]}}

Known approximations (documented in tests/terraform/README.md): computed-only
string lists are served as lists (the bindings do not say list or set);
framework nested attributes are served as blocks, as the bindings do.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "cdktn-provider-aws"
DEFAULT_VERSION = "25.8.1"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "data" / "aws-provider-schema.json.gz"

# SDKv2 "attributes as blocks": the provider declares them as set/list-of-object
# attributes, which Terraform lets users write with block syntax. The bindings
# mark them as blocks; served as blocks, `ingress = []` would be rejected.
ATTRIBUTES_AS_BLOCKS = {
    ("aws_security_group", "ingress"),
    ("aws_security_group", "egress"),
    ("aws_default_security_group", "ingress"),
    ("aws_default_security_group", "egress"),
    ("aws_route_table", "route"),
    ("aws_default_route_table", "route"),
    ("aws_network_acl", "ingress"),
    ("aws_network_acl", "egress"),
    ("aws_default_network_acl", "ingress"),
    ("aws_default_network_acl", "egress"),
}

_CLASS_RE = re.compile(r"^class (\w+) extends ([\w.]+) \{", re.MULTILINE)
_TF_TYPE_RE = re.compile(r'static tfResourceType = "(\w+)";')
_ATTR_RE = re.compile(
    r"(\w+): \{\s*value: (.+?),\s*isBlock: (true|false),\s*type: \"(\w+)\","
    r"\s*storageClassType: \"(\w+)\",\s*\}",
    re.DOTALL,
)
_STRUCT_FN_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{", re.MULTILINE)
_GETTER_RE = re.compile(
    r"get (\w+)\(\) \{\s*return this\.(get\w*Attribute|interpolationForAttribute)\('(\w+)'\);"
)
_COMPLEX_RE = re.compile(r"_\w+ = new (\w+)\(this, \"(\w+)\"(?:, (true|false))?\);")
_IFACE_RE = re.compile(r"^export interface (\w+)(?: extends [\w.]+)? \{\n(.*?)^\}", re.M | re.S)
_PROP_RE = re.compile(r"^    readonly (\w+)(\?)?: ", re.MULTILINE)
_FIELD_RE = re.compile(r"(?:this\._|struct\.)(\w+)")
_FN_REF_RE = re.compile(r"(?<![.\w])(\w+)ToHclTerraform\b")

_SCALAR = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "interpolationForAttribute": "dynamic",
}


def _storage_type(kind: str, storage: str) -> object:
    """Map the bindings' (type, storageClassType) of a plain attribute to cty type JSON."""
    m = re.fullmatch(r"(string|number|boolean|any)((?:List|Map)*)", storage)
    if not m:
        return "dynamic"
    cty: object = _SCALAR[m.group(1)]
    wrappers = re.findall(r"List|Map", m.group(2))
    for i, w in enumerate(reversed(wrappers)):
        outer = i == len(wrappers) - 1
        collection = "map" if w == "Map" else ("set" if outer and kind == "set" else "list")
        cty = [collection, cty]
    return cty


class _Module:
    """One ``lib/<name>/`` directory of the bindings: its JS and its d.ts."""

    def __init__(self, js: str, dts: str) -> None:
        self.js = js
        self.classes: dict[str, tuple[str, str]] = {}
        starts = list(_CLASS_RE.finditer(js))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(js)
            self.classes[m.group(1)] = (m.group(2), js[m.start() : end])
        self.struct_fns: dict[str, str] = {}
        fns = list(_STRUCT_FN_RE.finditer(js))
        for m in fns:
            end = js.find("\n}\n", m.end())
            self.struct_fns[m.group(1)] = js[m.start() : end]
        self.ifaces: dict[str, dict[str, bool]] = {}
        for m in _IFACE_RE.finditer(dts):
            self.ifaces[m.group(1)] = {
                p.group(1): p.group(2) is None for p in _PROP_RE.finditer(m.group(2))
            }

    # -- computed attributes (getters) ------------------------------------
    def object_type(self, ref_class: str, seen: frozenset[str] = frozenset()) -> object:
        """cty object type built from an OutputReference class's getters."""
        if ref_class in seen or ref_class not in self.classes:
            return "dynamic"
        return ["object", self._getter_types(self.classes[ref_class][1], seen | {ref_class})]

    def _complex_type(self, cls: str, wraps_set: str | None, seen: frozenset[str]) -> object:
        if cls.endswith("OutputReference"):
            return self.object_type(cls, seen)
        if cls.endswith("List"):
            elem = self.object_type(cls[: -len("List")] + "OutputReference", seen)
            return ["set" if wraps_set == "true" else "list", elem]
        if cls.endswith("Map"):
            return ["map", self.object_type(cls[: -len("Map")] + "OutputReference", seen)]
        return "dynamic"

    def _getter_types(self, body: str, seen: frozenset[str]) -> dict[str, object]:
        types: dict[str, object] = {}
        for m in _GETTER_RE.finditer(body):
            types[m.group(3)] = _GETTER_TYPES.get(m.group(2), "dynamic")
        for m in _COMPLEX_RE.finditer(body):
            types[m.group(2)] = self._complex_type(m.group(1), m.group(3), seen)
        return types

    # -- configurable arguments (synthesizeHclAttributes) ------------------
    def block(self, body: str, iface: str, getters_body: str | None, owner: str) -> dict:
        """Schema block from an ``attrs = {...}`` body, its d.ts interface and getters."""
        required = self.ifaces.get(iface, {})
        attrs: dict[str, list] = {}
        blocks: dict[str, list] = {}
        for m in _ATTR_RE.finditer(body):
            name, value, is_block, kind, storage = m.groups()
            field = _FIELD_RE.search(value)
            is_required = bool(field and required.get(field.group(1), False))
            fn = _FN_REF_RE.search(value)
            if is_block == "true" and fn and fn.group(1) in self.struct_fns:
                struct = fn.group(1)
                struct_name = struct[0].upper() + struct[1:]
                ref_cls = struct_name + "OutputReference"
                ref_body = self.classes.get(ref_cls, ("", ""))[1]
                nested = self.block(self.struct_fns[struct], struct_name, ref_body, owner)
                if (owner, name) in ATTRIBUTES_AS_BLOCKS:
                    attrs[name] = [[kind, _as_object(nested)], "o"]
                    continue
                multi = "listMapperHcl" in value or "hashMapperHcl" in value
                if kind == "struct":
                    nesting, max_items = "single", 0
                elif kind == "map":
                    nesting, max_items = "map", 0
                else:
                    nesting, max_items = kind, 0 if multi else 1
                if nesting == "set" and _has_dynamic(nested):
                    # Terraform rejects DynamicPseudoType inside set blocks. The bindings
                    # type over-deep nesting as "any", so serve those sets as lists.
                    nesting = "list"
                min_items = 1 if is_required and nesting in ("list", "set") else 0
                blocks[name] = [nesting, min_items, max_items, nested]
            else:
                attrs[name] = [_storage_type(kind, storage), "r" if is_required else "o"]
        if getters_body is not None:
            for name, cty in self._getter_types(getters_body, frozenset()).items():
                if name not in attrs and name not in blocks:
                    attrs[name] = [cty, "c"]
        out: dict = {"a": attrs}
        if blocks:
            out["b"] = blocks
        return out

    def top_level(self) -> list[tuple[str, str, dict]]:
        """(kind, terraform type name, schema block) for each resource/data source here."""
        found = []
        for cls, (base, body) in self.classes.items():
            kind = {
                "cdktn.TerraformResource": "resources",
                "cdktn.TerraformDataSource": "data_sources",
                "cdktn.TerraformProvider": "provider",
            }.get(base)
            tf_type = _TF_TYPE_RE.search(body)
            if not kind or not tf_type:
                continue
            start = body.find("synthesizeHclAttributes() {")
            attrs_body = body[start : body.find("};", start)] if start >= 0 else ""
            getters = body if kind != "provider" else None
            schema = self.block(attrs_body, cls + "Config", getters, tf_type.group(1))
            if kind == "provider":
                schema["a"].pop("alias", None)  # a meta-argument, not a provider attribute
            found.append((kind, tf_type.group(1), schema))
        return found


def _has_dynamic(block: dict) -> bool:
    """Whether a block has a DynamicPseudoType attribute at its own level."""
    return any("dynamic" in json.dumps(cty) for cty, _flags in block["a"].values())


def _as_object(block: dict) -> list:
    """cty object type of a nested block (for attributes served as attributes)."""
    fields = {n: a[0] for n, a in block["a"].items()}
    for n, (nesting, _min, _max, nested) in block.get("b", {}).items():
        obj = _as_object(nested)
        fields[n] = obj if nesting == "single" else [nesting, obj]
    return ["object", fields]


def extract(wheel: Path, package_version: str) -> dict:
    """Read the bindings inside ``wheel`` and return the schema document."""
    out: dict = {"format": 1, "provider": None, "resources": {}, "data_sources": {}}
    provider_version = None
    with zipfile.ZipFile(wheel) as zf:
        inner = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
        with zf.open(inner) as raw, tarfile.open(fileobj=raw, mode="r|gz") as tar:
            pending: dict[str, dict[str, str]] = {}
            for member in tar:
                m = re.fullmatch(r"package/lib/([\w-]+)/index\.(js|d\.ts)", member.name)
                if not m:
                    continue
                f = tar.extractfile(member)
                assert f is not None
                pending.setdefault(m.group(1), {})[m.group(2)] = f.read().decode()
                parts = pending[m.group(1)]
                if len(parts) < 2:
                    continue
                del pending[m.group(1)]
                if provider_version is None:
                    v = re.search(r"providerVersion: '([\d.]+)'", parts["js"])
                    provider_version = v.group(1) if v else None
                for kind, name, schema in _Module(parts["js"], parts["d.ts"]).top_level():
                    if kind == "provider":
                        out["provider"] = schema
                    else:
                        out[kind][name] = schema
    out["source"] = {
        "package": f"{PACKAGE}=={package_version}",
        "provider": "registry.terraform.io/hashicorp/aws",
        "provider_version": provider_version,
        "generator": "tests/terraform/harness/extract_schema.py",
    }
    out["resources"] = dict(sorted(out["resources"].items()))
    out["data_sources"] = dict(sorted(out["data_sources"].items()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=DEFAULT_VERSION, help="cdktn-provider-aws version")
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--quiet",
                    f"{PACKAGE}=={args.version}",
                    "-d",
                    tmp,
                ],
                check=True,
            )
            wheel = next(Path(tmp).glob("*.whl"))
        doc = extract(wheel, args.version)
    data = json.dumps(doc, separators=(",", ":"), sort_keys=False).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data)
    args.output.write_bytes(buf.getvalue())
    print(
        f"{args.output}: {len(doc['resources'])} resources,"
        f" {len(doc['data_sources'])} data sources,"
        f" aws {doc['source']['provider_version']} from {doc['source']['package']};"
        f" {len(data) // 1024} KiB JSON, {len(buf.getvalue()) // 1024} KiB gzipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
