"""How S3 artifact storage is configured (the variables :mod:`runlab.store.artifacts.s3` lists)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from runlab import environment_variables as envvars
from runlab.errors import ConfigurationError

try:
    from boto3.s3.transfer import S3Transfer, TransferConfig
except ImportError:  # pragma: no cover - the repository says boto3 is missing
    S3Transfer = TransferConfig = None


# The names are declared in runlab.environment_variables; the values are parsed here,
# where sizes, endpoints and upload arguments are understood.
ENDPOINT_ENV = envvars.RUNLAB_S3_ENDPOINT_URL.name
MLFLOW_ENDPOINT_ENV = str(envvars.RUNLAB_S3_ENDPOINT_URL.mlflow_name)
AWS_ENDPOINT_ENVS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
IGNORE_TLS_ENV = envvars.RUNLAB_S3_IGNORE_TLS.name
ADDRESSING_STYLE_ENV = envvars.RUNLAB_S3_ADDRESSING_STYLE.name
MULTIPART_THRESHOLD_ENV = envvars.RUNLAB_S3_MULTIPART_THRESHOLD.name
MULTIPART_CHUNKSIZE_ENV = envvars.RUNLAB_S3_MULTIPART_CHUNKSIZE.name
MAX_CONCURRENCY_ENV = envvars.RUNLAB_S3_MAX_CONCURRENCY.name
UPLOAD_EXTRA_ARGS_ENV = envvars.RUNLAB_S3_UPLOAD_EXTRA_ARGS.name
MLFLOW_UPLOAD_EXTRA_ARGS_ENV = str(envvars.RUNLAB_S3_UPLOAD_EXTRA_ARGS.mlflow_name)

MB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MB  # of every part of a multipart upload but the last
DEFAULT_MULTIPART_SIZE = 8 * MB  # boto3's own default
DEFAULT_MAX_CONCURRENCY = 10
DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
LIST_PAGE_SIZE = 1000  # the most keys one ListObjectsV2 page holds

INSTALL_HINT = "S3 artifact storage needs boto3: pip install 'runlab[s3]'"

_SIZE_RE = re.compile(r"^\s*(\d+)\s*(?:([kmg])i?b?)?\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------- settings


@dataclass(frozen=True)
class S3Settings:
    """How to reach the store; read from the environment by :meth:`from_env`.

    ``endpoint_url`` None lets boto3 choose: ``AWS_ENDPOINT_URL_S3``,
    ``AWS_ENDPOINT_URL``, an ``endpoint_url`` in the shared config file, or AWS.
    """

    endpoint_url: str | None = None
    verify_tls: bool = True
    addressing_style: str = "auto"
    multipart_threshold: int = DEFAULT_MULTIPART_SIZE
    multipart_chunksize: int = DEFAULT_MULTIPART_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    upload_extra_args: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if environ is None else environ
        endpoint_var = next(
            (
                name
                for name in (ENDPOINT_ENV, *AWS_ENDPOINT_ENVS, MLFLOW_ENDPOINT_ENV)
                if env.get(name)
            ),
            None,
        )
        endpoint = None
        if endpoint_var is not None:
            endpoint = _endpoint(endpoint_var, env[endpoint_var])
            if endpoint_var in AWS_ENDPOINT_ENVS:
                endpoint = None  # boto3 reads these itself, with its own precedence rules
        style = env.get(ADDRESSING_STYLE_ENV, "").strip().lower() or "auto"
        if style not in ("auto", "path", "virtual"):
            raise ConfigurationError(
                f"{ADDRESSING_STYLE_ENV}={style!r} is not valid (use auto, path or virtual)"
            )
        return cls(
            endpoint_url=endpoint,
            verify_tls=not envvars.RUNLAB_S3_IGNORE_TLS.get(environ),
            addressing_style=style,
            multipart_threshold=_size(env, MULTIPART_THRESHOLD_ENV, DEFAULT_MULTIPART_SIZE),
            multipart_chunksize=_size(env, MULTIPART_CHUNKSIZE_ENV, DEFAULT_MULTIPART_SIZE),
            max_concurrency=_count(env, MAX_CONCURRENCY_ENV, DEFAULT_MAX_CONCURRENCY),
            upload_extra_args=_upload_extra_args(env),
        )

    def transfer_config(self) -> Any:
        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=self.max_concurrency,
            preferred_transfer_client="classic",  # the same behaviour with or without awscrt
        )


def _endpoint(name: str, value: str) -> str:
    value = value.strip()
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            f"{name}={value!r} is not a valid endpoint URL (expected http(s)://host[:port])"
        )
    return value


def _upload_extra_args(env: Mapping[str, str]) -> dict[str, Any]:
    name = next(
        (n for n in (UPLOAD_EXTRA_ARGS_ENV, MLFLOW_UPLOAD_EXTRA_ARGS_ENV) if env.get(n)), None
    )
    if name is None:
        return {}
    try:
        value = json.loads(env[name])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ConfigurationError(
            f"{name} must be a JSON object of S3 upload arguments, "
            'such as {"ServerSideEncryption": "aws:kms"}'
        )
    allowed = set(S3Transfer.ALLOWED_UPLOAD_ARGS) if S3Transfer is not None else set(value)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigurationError(
            f"{name}: {', '.join(map(repr, unknown))} is not an S3 upload argument "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return value


def _size(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    match = _SIZE_RE.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise ConfigurationError(
            f"{name}={raw!r} is not a size (a positive number of bytes, or with KB, MB or GB)"
        )
    unit = (match.group(2) or "").lower()
    return int(match.group(1)) * {"": 1, "k": 1024, "m": MB, "g": 1024 * MB}[unit]


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"{name}={raw!r} is not a positive whole number")
    return int(raw)
