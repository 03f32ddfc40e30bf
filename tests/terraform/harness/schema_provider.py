"""A schema-only ``hashicorp/aws`` provider plugin (protocol 6) for offline ``terraform validate``.

Terraform core does the real validation (unknown arguments and blocks, missing
required ones, types, references, read-only attributes) against the schema a
provider reports. This plugin reports the real AWS provider's schema (the
gzipped JSON written by ``extract_schema.py``) and accepts every
``Validate*Config`` call: it has none of the provider's own value validators.
Anything beyond validation (plan, apply, read) is refused.

It runs on the go-plugin handshake and gRPC stubs of PyPI ``tf`` (protocol 6).
Terraform starts it through a ``dev_overrides`` entry of a CLI config file (see
``terraform.py``), so no ``terraform init`` and no registry are needed.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
import tempfile
from concurrent import futures
from pathlib import Path

import grpc
from tf.gen import grpc_controller_pb2 as controller_pb
from tf.gen import grpc_controller_pb2_grpc as controller_rpc
from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc
from tf.runner import _self_signed_cert

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "aws-provider-schema.json.gz"
_NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
}
_UNSUPPORTED = "This schema-only provider only validates; it cannot plan, apply or read."


def load_schema(path: Path = SCHEMA_FILE) -> dict:
    """The schema document written by ``extract_schema.py``."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


# The bindings cannot tell "optional" from "optional and computed"; the
# difference matters only where the provider supplies a value the
# configuration left out, which render.py's mocks do for computed attributes
# only. These are optional+computed in the real provider: `id` in every
# resource and data source (SDKv2), and the few below the stack relies on.
OPTIONAL_COMPUTED = {"id"}
OPTIONAL_COMPUTED_BY_TYPE = {"aws_region": {"region", "name"}, "aws_s3_bucket": {"bucket"}}


def to_block(block: dict, also_computed: frozenset[str] = frozenset()) -> pb.Schema.Block:
    """Protocol-6 block from the compact ``{"a": ..., "b": ...}`` form."""
    attributes = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(cty).encode(),
            required=flags == "r",
            optional=flags == "o",
            computed=flags == "c" or (flags == "o" and name in also_computed),
        )
        for name, (cty, flags) in sorted(block["a"].items())
    ]
    block_types = [
        pb.Schema.NestedBlock(
            type_name=name,
            nesting=_NESTING[nesting],
            min_items=min_items,
            max_items=max_items,
            block=to_block(nested),
        )
        for name, (nesting, min_items, max_items, nested) in sorted(block.get("b", {}).items())
    ]
    return pb.Schema.Block(attributes=attributes, block_types=block_types)


def _computed(type_name: str) -> frozenset[str]:
    return frozenset(OPTIONAL_COMPUTED | OPTIONAL_COMPUTED_BY_TYPE.get(type_name, set()))


def _error(summary: str) -> list[pb.Diagnostic]:
    return [pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary)]


class SchemaOnlyProvider(rpc.ProviderServicer):
    """Serves the schema; accepts every configuration; refuses everything else."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self._response: pb.GetProviderSchema.Response | None = None

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=False),
            resources=[
                pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.schema["resources"]
            ],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.schema["data_sources"]
            ],
        )

    def GetProviderSchema(self, request, context):
        if self._response is None:
            self._response = pb.GetProviderSchema.Response(
                provider=pb.Schema(block=to_block(self.schema["provider"])),
                resource_schemas={
                    n: pb.Schema(block=to_block(b, _computed(n)))
                    for n, b in self.schema["resources"].items()
                },
                data_source_schemas={
                    n: pb.Schema(block=to_block(b, _computed(n)))
                    for n, b in self.schema["data_sources"].items()
                },
                server_capabilities=pb.ServerCapabilities(),
            )
        return self._response

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request, context):
        return pb.ConfigureProvider.Response(diagnostics=_error(_UNSUPPORTED))

    def PlanResourceChange(self, request, context):
        return pb.PlanResourceChange.Response(diagnostics=_error(_UNSUPPORTED))

    def ApplyResourceChange(self, request, context):
        return pb.ApplyResourceChange.Response(diagnostics=_error(_UNSUPPORTED))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(diagnostics=_error(_UNSUPPORTED))

    def ReadDataSource(self, request, context):
        return pb.ReadDataSource.Response(diagnostics=_error(_UNSUPPORTED))

    def GetFunctions(self, request, context):
        return pb.GetFunctions.Response()

    def StopProvider(self, request, context):
        return pb.StopProvider.Response()


def serve(schema_path: Path = SCHEMA_FILE) -> None:
    """Run the plugin: go-plugin handshake line on stdout, then serve until stopped."""
    if os.environ.get("TF_PLUGIN_MAGIC_COOKIE") is None:
        sys.exit("This is a Terraform provider plugin; Terraform starts it (dev_overrides).")
    stopped = False

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request, context):
            nonlocal stopped
            stopped = True
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):
        def StreamStdio(self, request, context):
            return iter([])

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_ProviderServicer_to_server(SchemaOnlyProvider(load_schema(schema_path)), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    with tempfile.TemporaryDirectory(prefix="tf-schema-provider-") as tmp:
        sock = f"{tmp}/plugin.sock"
        cert_der, credentials = _self_signed_cert()
        server.add_secure_port(f"unix://{sock}", credentials)
        server.start()
        # core protocol | app protocol | network | address | protocol | server cert
        cert = base64.b64encode(cert_der).decode().rstrip("=")
        print(f"1|6|unix|{sock}|grpc|{cert}", flush=True)
        # wait_for_termination(timeout) returns True when it timed out (still serving)
        while not stopped and server.wait_for_termination(0.05):
            pass
        server.stop(grace=0)


if __name__ == "__main__":
    serve(Path(os.environ.get("TF_SCHEMA_PROVIDER_SCHEMA", SCHEMA_FILE)))
