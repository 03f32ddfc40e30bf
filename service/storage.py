"""Image storage behind one small interface: S3 on AWS, a local folder on a laptop."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from flask import Flask, current_app, url_for
from itsdangerous import URLSafeTimedSerializer

from service.uploads import CONTENT_TYPES

logger = logging.getLogger(__name__)

LOCAL_DOWNLOAD_PREFIX = "/local-images"  # where the local store serves its signed URLs
KEY_FILE = "download-url.key"  # in the instance folder: signs local URLs without SECRET_KEY


def content_type(key: str) -> str:
    """The media type of the object at ``key`` (the service chose its extension)."""
    return CONTENT_TYPES[PurePosixPath(key).suffix.lstrip(".")]


def content_disposition(key: str) -> str:
    """Every download is an attachment: a browser saves it, never renders it in a page."""
    return f'attachment; filename="{PurePosixPath(key).name}"'  # [0-9a-f]{32}.(png|jpg)


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
        # Created on first use: botocore costs ~90 ms to import, health checks need none
        # of it. A botocore client on trimmed data, not boto3's (service/aws_sdk.py).
        if self._client is None:
            from botocore.config import Config

            from service import aws_sdk

            config = Config(
                signature_version="s3v4",
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 3, "mode": "standard"},
            )
            self._client = aws_sdk.client("s3", config=config)
        return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ContentDisposition=content_disposition(key),
            )
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
        # S3 can send no X-Content-Type-Options (an object's own metadata comes back
        # as x-amz-meta-*), but a signed URL pins the headers it can send: the type and
        # the attachment disposition, whatever the object's metadata says.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentType": content_type(key),
            "ResponseContentDisposition": content_disposition(key),
        }
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.expires
        )
        return url


class LocalImageStore:
    """Images in a local folder; downloads through signed, expiring URLs served by the app."""

    SALT = "image-download"

    def __init__(self, root: Path, secret_key: str | Callable[[], str], expires: int) -> None:
        self.root = root
        self.expires = expires
        self._secret_key = secret_key

    @functools.cached_property
    def signer(self) -> URLSafeTimedSerializer:
        # A callable key is asked for on first use, so an app that never signs a URL
        # (migrations, health checks) never creates a key file.
        key = self._secret_key if isinstance(self._secret_key, str) else self._secret_key()
        return URLSafeTimedSerializer(key, salt=self.SALT)

    def path(self, key: str) -> Path:
        if "\0" in key:
            raise StorageError(f"key contains NUL: {key!r}")
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
            key = self.signer.loads(token, max_age=self.expires)
        except BadSignature:
            return None
        # Only keys of this folder: a token signed for anything else (another payload
        # type, "../", a NUL) names nothing here, whoever holds the signing key.
        if not isinstance(key, str):
            return None
        try:
            self.path(key)
        except StorageError:
            return None
        return key


_warned_lock = threading.Lock()
_warned: set[Path] = set()  # folders already warned about: once per process
_process_keys: dict[Path, str] = {}  # fallbacks when a folder cannot hold a key


def _warn_once(folder: Path, message: str, *args: Any) -> None:
    with _warned_lock:
        if folder in _warned:
            return
        _warned.add(folder)
    logger.warning(message, *args)


def _read_or_create_key(path: Path) -> str:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        # Write a complete file under a temporary name, then link it into place:
        # of processes starting at once, one link wins and all read its key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        key = path.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable key")
    return key


def local_signing_key(folder: Path) -> str:
    """The key that signs local download URLs when ``SECRET_KEY`` is unset.

    Kept in ``folder/KEY_FILE`` (created on first use, mode 0600), so a URL works
    on every process of this machine and after a restart; a folder that cannot
    hold it gives a key of this process instead. Either way, warned once.
    """
    folder = folder.resolve()
    path = folder / KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = _read_or_create_key(path)
    except (OSError, ValueError) as error:
        _warn_once(
            folder,
            "SECRET_KEY is not set and %s cannot hold a key (%s): local download URLs "
            "stop working when this process restarts; set SECRET_KEY",
            path,
            error,
        )
        with _warned_lock:
            return _process_keys.setdefault(folder, secrets.token_hex(32))
    _warn_once(folder, "SECRET_KEY is not set: local download URLs are signed with %s", path)
    return key


def init_app(app: Flask) -> None:
    """Choose the store: S3 when ``IMAGES_BUCKET`` is set, else the local folder."""
    store: ImageStore
    if app.config["IMAGES_BUCKET"]:
        store = S3ImageStore(app.config["IMAGES_BUCKET"], app.config["IMAGE_URL_EXPIRES"])
    else:
        root = Path(app.config["IMAGES_DIR"] or Path(app.instance_path) / "images")
        key = app.config["SECRET_KEY"] or functools.partial(
            local_signing_key, Path(app.instance_path)
        )
        store = LocalImageStore(root, key, app.config["IMAGE_URL_EXPIRES"])
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
