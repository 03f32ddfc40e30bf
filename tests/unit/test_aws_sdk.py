"""The app's botocore clients on trimmed data (service/aws_sdk.py, issue 14)."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import boto3
import pytest
from botocore.config import Config

from deploy import aws_data
from service import aws_sdk
from service.storage import S3ImageStore

REGENERATE = "python -m deploy.aws_data"
S3_CONFIG = Config(signature_version="s3v4")
FIXED_NOW = datetime.datetime(2026, 12, 3, 6, 0, 0)


def test_committed_data_is_what_the_installed_botocore_gives():
    import botocore

    stale = aws_data.stale_files(aws_sdk.DATA_DIR)
    assert not stale, (
        f"service/aws_data/ is stale for botocore {botocore.__version__} or for "
        f"service/aws_sdk.py: {stale}; run `{REGENERATE}` and commit the files"
    )


def test_endpoints_keep_every_partition_with_only_the_app_services():
    full = aws_data._loader().load_data("endpoints")
    trimmed = json.loads((aws_sdk.DATA_DIR / "endpoints.json").read_text())
    assert [p["partition"] for p in trimmed["partitions"]] == [
        p["partition"] for p in full["partitions"]
    ]
    for ours, theirs in zip(trimmed["partitions"], full["partitions"], strict=True):
        assert set(ours["services"]) == set(aws_sdk.SERVICES) & set(theirs["services"])
        for service in ours["services"]:
            assert ours["services"][service] == theirs["services"][service]
        assert ours["regions"] == theirs["regions"]


def test_trimmed_model_refuses_an_operation_it_does_not_have():
    full = aws_data._loader().load_data("s3/2006-03-01/service-2")
    with pytest.raises(KeyError, match="PutObjectt"):
        aws_data.trimmed_model(full, ["PutObjectt"])


def test_clients_load_the_trimmed_files(aws):
    s3 = aws_sdk.client("s3", S3_CONFIG)
    assert sorted(s3.meta.service_model.operation_names) == sorted(aws_sdk.S3_OPERATIONS)
    loader = aws_sdk.loader()
    assert loader.search_paths[0] == str(aws_sdk.DATA_DIR)
    endpoints, path = loader.load_data_with_path("endpoints")
    assert path == str(aws_sdk.DATA_DIR / "endpoints")
    assert type(endpoints) is dict  # not botocore's OrderedDict: less memory
    assert type(loader.load_service_model("s3", "endpoint-rule-set-1")) is dict  # gzip
    # botocore treats our endpoints.json as its own: no custom endpoint for the rule set
    assert s3.meta.endpoint_url == "https://s3.eu-west-1.amazonaws.com"
    # Secrets Manager keeps botocore's whole model
    secrets = aws_sdk.client("secretsmanager", Config())
    full = boto3.client("secretsmanager")
    assert secrets.meta.service_model.operation_names == full.meta.service_model.operation_names


def _as_modelled(http):
    # botocore moves "/{Bucket}" from an S3 operation's requestUri to "authPath" on its
    # first call, in the decoded model (shared by every client of a loader).
    http = dict(http)
    http["requestUri"] = http.pop("authPath", http["requestUri"])
    return http


def test_kept_operations_match_the_full_model(aws):
    ours = aws_sdk.client("s3", S3_CONFIG).meta.service_model
    full = boto3.client("s3", config=S3_CONFIG).meta.service_model
    for name in aws_sdk.S3_OPERATIONS:
        mine, theirs = ours.operation_model(name), full.operation_model(name)
        assert _as_modelled(mine.http) == _as_modelled(theirs.http)
        assert mine.input_shape.members.keys() == theirs.input_shape.members.keys()
        assert mine.output_shape.members.keys() == theirs.output_shape.members.keys()
        assert mine.static_context_parameters == theirs.static_context_parameters
        assert [p.name for p in mine.context_parameters] == [
            p.name for p in theirs.context_parameters
        ]
        assert mine.http_checksum == theirs.http_checksum
    assert [p.name for p in ours.client_context_parameters] == [
        p.name for p in full.client_context_parameters
    ]


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "cn-north-1", "us-gov-west-1"])
def test_presigned_get_is_the_full_model_clients(aws, monkeypatch, region):
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED_NOW):
        ours = S3ImageStore("inventory-images", expires=120).download_url("1/2/abc.png")
        full = S3ImageStore(
            "inventory-images", 120, boto3.client("s3", config=S3_CONFIG)
        ).download_url("1/2/abc.png")
    assert ours == full
    assert "X-Amz-Date=20261203T060000Z" in ours and "response-content-disposition" in ours


def test_warm_decodes_what_the_clients_use(aws, monkeypatch):
    aws_sdk.loader.cache_clear()  # a fresh process's loader: nothing decoded yet
    aws_sdk.warm()
    loader = aws_sdk.loader()
    decoded = []
    read = loader.file_loader.load_file

    def load_file(path):
        data = read(path)
        if data is not None:  # botocore also probes for optional files that do not exist
            decoded.append(path)
        return data

    monkeypatch.setattr(loader.file_loader, "load_file", load_file)
    s3 = aws_sdk.client("s3", S3_CONFIG)
    aws_sdk.client("secretsmanager", Config())
    # the clients were built from what warm() decoded: no file read again
    assert decoded == []
    assert s3.meta.service_model.operation_names == sorted(aws_sdk.S3_OPERATIONS)


def test_the_generator_writes_checks_and_removes_what_is_not_kept(tmp_path, capsys):
    written = aws_data.write(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(aws_data.render())
    assert aws_data.stale_files(tmp_path) == []
    (tmp_path / "endpoints.json").write_text("{}")
    (tmp_path / "s3" / "2006-03-01" / "paginators-1.json").write_text("{}")
    assert aws_data.stale_files(tmp_path) == ["endpoints.json", "s3/2006-03-01/paginators-1.json"]
    aws_data.write(tmp_path)
    assert aws_data.stale_files(tmp_path) == []
    assert not (tmp_path / "s3" / "2006-03-01" / "paginators-1.json").exists()
    assert aws_data.main(["--check"]) == 0  # the committed folder
    assert capsys.readouterr().err == ""
