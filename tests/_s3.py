"""A real S3-compatible server for tests: moto's server in a subprocess, spoken to over HTTP.

``start_server()`` returns a :class:`S3Server` on a free loopback port; ``stop()`` ends it.
The fixtures in ``tests/conftest.py`` (``s3_endpoint``, ``s3_bucket``) build on this.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from tests._local_server import LocalServer, start_local_server

# Credentials moto accepts (it does not check them); real ones never reach the test server.
TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "runlab-test",
    "AWS_SECRET_ACCESS_KEY": "runlab-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class S3Server(LocalServer):
    """moto's server: ``url``, ``process``, ``log``; ``stop()`` ends it."""


def start_server(attempts: int = 3, env: dict[str, str] | None = None) -> S3Server:
    """Start moto's S3-compatible server on a free port of 127.0.0.1.

    ``env`` adds to the server's environment, e.g. ``INITIAL_NO_AUTH_ACTION_COUNT=0``
    to make it check credentials like AWS does.
    """
    return start_local_server(
        lambda port: [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        name="moto's S3 server",
        probe="/moto-api/",
        kind=S3Server,
        env={**TEST_ENV, **(env or {})},
        attempts=attempts,
    )


def admin_client(endpoint: str) -> Any:
    """A plain boto3 client for setting up and inspecting buckets, apart from runlab's."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id=TEST_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=TEST_ENV["AWS_DEFAULT_REGION"],
    ).client("s3", endpoint_url=endpoint)


def new_bucket(client: Any) -> str:
    name = f"runlab-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return name


def drop_bucket(client: Any, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    client.delete_bucket(Bucket=bucket)


def all_objects(client: Any, bucket: str) -> dict[str, bytes]:
    """Every key in ``bucket`` with its contents."""
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found
