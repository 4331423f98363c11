"""An S3-compatible object store for the tests: moto's server (package moto,
from the package registries) run as its own process on a free port of
127.0.0.1, with one private bucket.

    with start_s3_server() as s3:
        s3.env()                # C2I_STORAGE=s3 and the C2I_S3_* variables, for a process
        s3.settings_override()  # the STORAGES dict, for override_settings(STORAGES=...)
        s3.keys()               # the object names under the prefix (boto3)

The server is stopped at the end (`stop()` stops it earlier, to see what the
platform does when its store is gone). moto accepts any access key unless
its IAM checks are switched on; it refuses an unsigned GET of an object that
has no public ACL (the platform sets none), as a real store does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REGION = "eu-west-3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class S3Server:
    endpoint_url: str  # http://127.0.0.1:<port>
    bucket: str
    prefix: str  # the key prefix the platform writes under (C2I_S3_PREFIX)
    access_key: str
    secret_key: str
    region: str = REGION
    url_seconds: int = 60
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment variables that put a process of the platform on this store."""
        return {
            "C2I_STORAGE": "s3",
            "C2I_S3_BUCKET": self.bucket,
            "C2I_S3_PREFIX": self.prefix,
            "C2I_S3_ENDPOINT_URL": self.endpoint_url,
            "C2I_S3_REGION": self.region,
            "C2I_S3_ACCESS_KEY": self.access_key,
            "C2I_S3_SECRET_KEY": self.secret_key,
            "C2I_S3_ADDRESSING_STYLE": "path",
            "C2I_S3_URL_SECONDS": str(self.url_seconds),
            **extra,
        }

    def storage_options(self, **options: Any) -> dict[str, Any]:
        """The S3Storage OPTIONS c2i/settings.py builds from env() (keep in step)."""
        from botocore.config import Config

        return {
            "bucket_name": self.bucket,
            "location": self.prefix,
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "addressing_style": "path",
            "client_config": Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=60,
                retries={"mode": "standard", "max_attempts": 3},
            ),
            "max_memory_size": 2 * 1024 * 1024,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": self.url_seconds,
            "file_overwrite": False,
            **options,
        }

    def settings_override(self, **options: Any) -> dict[str, Any]:
        """STORAGES for override_settings: the default storage in this bucket
        (`options` override the S3Storage options, e.g. querystring_expire=1)."""
        from django.conf import settings

        return {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": self.storage_options(**options),
            },
        }

    def client(self) -> Any:
        """A boto3 S3 client with the store's keys (made once)."""
        if self._client is not None:
            return self._client
        import boto3

        self._client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )
        return self._client

    def keys(self) -> list[str]:
        """The names of the objects under the prefix, sorted (full keys, prefix included)."""
        paginator = self.client().get_paginator("list_objects_v2")
        names: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""):
            names.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(names)

    def read(self, key: str) -> bytes:
        """One object's bytes (its full key)."""
        body: bytes = self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def empty(self) -> None:
        """Deletes every object of the bucket (between tests)."""
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=self.bucket, Key=item["Key"])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def start_s3_server(bucket: str = "c2i-test", prefix: str = "media", url_seconds: int = 60) -> Iterator[S3Server]:
    """Starts moto's S3 server on a free port of 127.0.0.1, creates a private
    bucket, yields the server and stops it at the end."""
    port = _free_port()
    env = {
        **os.environ,
        # No trace of a real account reaches the fake store, and nothing goes elsewhere.
        "AWS_ACCESS_KEY_ID": "c2i-test",
        "AWS_SECRET_ACCESS_KEY": "c2i-test-secret",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_ALLOW_NONEXISTENT_REGION": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(
        endpoint_url=f"http://127.0.0.1:{port}",
        bucket=bucket,
        prefix=prefix,
        access_key="c2i-test",
        secret_key="c2i-test-secret",
        url_seconds=url_seconds,
        process=process,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto's S3 server ended at start (code {process.returncode})")
            try:
                with urllib.request.urlopen(f"{server.endpoint_url}/moto-api/", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not answer within 30 s") from None
                time.sleep(0.1)
        client = server.client()
        # Private: the bucket's own ACL, and every public access blocked.
        client.create_bucket(Bucket=bucket, ACL="private", CreateBucketConfiguration={"LocationConstraint": REGION})
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        yield server
    finally:
        server.stop()
