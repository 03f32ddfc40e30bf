"""botocore clients for the app, built on a trimmed copy of botocore's data (issue 14).

boto3's S3 client cost the first upload +23.9 MB: importing boto3, then botocore's
JSON for it: ``endpoints.json`` (the legacy endpoints of every service in every
region, 6.9 MB decoded) and the whole S3 model (116 operations, 3.3 MB). Here a
plain botocore session (no boto3) reads ``service/aws_data/`` first: an
``endpoints.json`` with only :data:`SERVICES` and an S3 ``service-2.json`` with only
:data:`S3_OPERATIONS` and the shapes they use, without documentation. Everything
else (the S3 endpoint rule set, Secrets Manager's model, ``partitions.json``,
``_retry.json``, the S3 model's sdk-extras) still comes from the installed botocore.

The mechanism is botocore's data path (``AWS_DATA_PATH``, the ``data_path`` config
variable): its loader looks in those folders before its own ``botocore/data`` and
takes the first file it finds.
https://docs.aws.amazon.com/botocore/latest/reference/loaders.html ("The Search Path").
One more step than setting it: our loader says our files are botocore's own
(``is_builtin_path``); otherwise botocore hands the legacy endpoint to the rule set
as a custom endpoint and, for one, presigns ``bucket.s3.eu-west-1.amazonaws.com``
where boto3 gives ``bucket.s3.amazonaws.com``.

``python -m deploy.aws_data`` writes the folder from the installed botocore;
tests/unit/test_aws_sdk.py fails when the committed files differ from its output.

Another botocore at run time (the Lambda runtime's, not the one the files came
from): S3 keeps API version 2006-03-01, so the loader still picks our model for it
(a newer version directory in botocore's data would win, and bring back the full
model, never a broken one). The rule set is the runtime's own, so its functions are
ones that botocore implements; the parameters it reads from the model
(``clientContextParams``, ``staticContextParams``, ``contextParam``) are copied
whole, and one the model lacks falls back to the rule set's default. A newer model
field that an older botocore does not know is ignored by its ``ServiceModel``. A
region newer than our ``endpoints.json`` resolves through the partition's defaults
(the rule set decides the URL anyway). Our file loader reads the two forms botocore
ships its data in (.json, .json.gz); a third would read as missing. The committed
files follow deploy/requirements.lock's botocore, which is what the tests run against.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.loaders import Loader

DATA_DIR = Path(__file__).resolve().with_name("aws_data")

# The single source of truth for service/aws_data/ (python -m deploy.aws_data).
# Services kept in endpoints.json: every client this module creates.
SERVICES = ("s3", "secretsmanager")
# S3 operations kept in the S3 model: what service/storage.py calls (GetObject for
# the presigned download URL), and HeadBucket, which botocore's own S3 region
# redirector calls when a bucket answers from another region without saying which.
# A directory bucket (S3 Express, "--x-s3") would also need CreateSession: not kept.
S3_OPERATIONS = ("DeleteObject", "GetObject", "HeadBucket", "PutObject")
TRIMMED_MODELS = {"s3": S3_OPERATIONS}  # services whose service-2.json is trimmed


# Named `client(<service>, ...)`, in a module whose name has no "client" in it:
# tests/terraform/harness/codescan.py (the IAM checks) takes a file's services from
# `*.client("s3")` calls and treats any `*client*` name as an AWS client.
def client(service_name: str, config: Config) -> Any:
    """A botocore client for ``service_name`` on the trimmed data, in a session of its own.

    A session per client: credentials and event handlers are resolved afresh (after a
    SnapStart restore a new client owes nothing to the snapshot); the decoded models
    are shared through :func:`loader`.
    """
    import botocore.session

    session = botocore.session.Session()
    # The session would build its loader from data_path on first use; it gets the
    # process's loader (the same folder first) instead, and data_path says so to
    # anything that asks the session.
    session.set_config_variable("data_path", str(DATA_DIR))
    session.register_component("data_loader", loader())
    return session.create_client(service_name, config=config)


@functools.cache
def loader() -> Loader:
    """The process's data loader: ``DATA_DIR``, then botocore's usual search path.

    One for every session, so each file is decoded once per process (and, warmed
    before a SnapStart snapshot, not at all after a restore). Sharing the decoded
    models is botocore's own way: a session's loader hands the same objects to every
    client of it (with boto3, every client of the process), and its one edit of them,
    S3's requestUri on an operation's first call, is idempotent.
    """
    from botocore.loaders import JSONFileLoader, Loader

    class PlainJSONFileLoader(JSONFileLoader):
        # botocore decodes its JSON into OrderedDicts; plain dicts keep the order too
        # (Python 3.7+) in 40% less memory: 0.5 MB less for the S3 rule set alone.
        # Nothing in botocore asks for an OrderedDict (it reads, iterates, compares keys).
        def load_file(self, file_path: str) -> Any:
            for suffix, opener in ((".json", open), (".json.gz", gzip.open)):
                path = file_path + suffix
                if os.path.isfile(path):
                    with opener(path, "rb") as handle:
                        return json.loads(handle.read().decode("utf-8"))
            return None

    class TrimmedDataLoader(Loader):
        def is_builtin_path(self, path: str) -> bool:
            # Our files are botocore's own data, trimmed. Data from anywhere else
            # makes botocore pass the legacy endpoint to the rule set as a custom
            # endpoint (args.py, compute_endpoint_resolver_builtin_defaults): S3
            # would then behave as if called with endpoint_url.
            return bool(super().is_builtin_path(path)) or Path(path).is_relative_to(DATA_DIR)

    return TrimmedDataLoader(extra_search_paths=[str(DATA_DIR)], file_loader=PlainJSONFileLoader())


def warm() -> None:
    """Import botocore's client machinery and decode the models the app's clients use.

    Reads JSON only: no credentials, no network (SnapStart's before-snapshot hook).
    """
    import botocore.client  # the import is the warm-up
    import botocore.session

    data = loader()
    data.load_data_with_path("endpoints")
    data.load_data("partitions")
    data.load_data("_retry")  # the legacy retry mode's table (Secrets Manager's client)
    data.load_data("sdk-default-configuration")  # read by every client's configuration
    for service in SERVICES:
        for type_name in ("service-2", "endpoint-rule-set-1"):
            data.load_service_model(service, type_name)
    botocore.session.Session()  # the session's own imports (credentials, handlers)
