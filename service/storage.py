"""Image storage behind one small interface: S3 on AWS, a local folder on a laptop."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app, url_for
from itsdangerous import URLSafeTimedSerializer

logger = logging.getLogger(__name__)


class StorageError(Exception):
    """The image store could not be reached or refused the operation."""


class ImageStore(Protocol):
    """Where image bytes live; rows in ``product_images`` point here by key."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def location(self, key: str) -> str: ...

    def download_url(self, key: str) -> str: ...


class S3ImageStore:
    """Images in an S3 bucket; downloads through short-lived presigned GET URLs."""

    def __init__(self, bucket: str, expires: int, client: Any = None) -> None:
        self.bucket = bucket
        self.expires = expires
        self._client = client

    @property
    def client(self) -> Any:
        # Created on first use: boto3 costs ~150 ms to import, health checks need none of it.
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                signature_version="s3v4",
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 3, "mode": "standard"},
            )
            self._client = boto3.client("s3", config=config)
        return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"put {key}: {error}") from error

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"delete {key}: {error}") from error

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def download_url(self, key: str) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.expires
        )
        return url


class LocalImageStore:
    """Images in a local folder; downloads through signed, expiring URLs served by the app."""

    SALT = "image-download"

    def __init__(self, root: Path, secret_key: str, expires: int) -> None:
        self.root = root
        self.expires = expires
        self.signer = URLSafeTimedSerializer(secret_key, salt=self.SALT)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"key escapes the image folder: {key}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as error:
            raise StorageError(f"put {key}: {error}") from error

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"delete {key}: {error}") from error

    def location(self, key: str) -> str:
        return f"local://{key}"

    def download_url(self, key: str) -> str:
        token = self.signer.dumps(key)
        return url_for("local_images.download_image", token=token, _external=True)

    def key_for_token(self, token: str) -> str | None:
        """The key a download token names, or None when it is forged or expired."""
        from itsdangerous import BadSignature

        try:
            key: str = self.signer.loads(token, max_age=self.expires)
        except BadSignature:
            return None
        return key


def init_app(app: Flask) -> None:
    """Choose the store: S3 when ``IMAGES_BUCKET`` is set, else the local folder."""
    store: ImageStore
    if app.config["IMAGES_BUCKET"]:
        store = S3ImageStore(app.config["IMAGES_BUCKET"], app.config["IMAGE_URL_EXPIRES"])
    else:
        root = Path(app.config["IMAGES_DIR"] or Path(app.instance_path) / "images")
        store = LocalImageStore(root, app.config["SECRET_KEY"], app.config["IMAGE_URL_EXPIRES"])
    app.extensions["image_store"] = store


def current_store() -> ImageStore:
    """The image store of the running app."""
    store: ImageStore = current_app.extensions["image_store"]
    return store


def delete_quietly(key: str) -> None:
    """Delete an object; a failure leaves an orphan object, which is logged, never raised."""
    try:
        current_store().delete(key)
    except StorageError:
        logger.exception("orphaned image object left in the store", extra={"object_key": key})
