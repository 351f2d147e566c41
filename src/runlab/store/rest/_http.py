"""HTTP transport to a tracking server: pooled connections, retries, credentials, errors.

One keep-alive ``httpx.Client`` (a connection pool) serves each server origin in the
process; the REST store and the artifact proxy repository share it. Each
:class:`HttpSession` reads its settings from the environment when it is made:

=================================  =======  ================================================
variable                           default  meaning
=================================  =======  ================================================
``RUNLAB_HTTP_TIMEOUT``            120      seconds to wait for each read or write
``RUNLAB_HTTP_CONNECT_TIMEOUT``    10       seconds to wait for a connection
``RUNLAB_HTTP_MAX_RETRIES``        7        retries after the first attempt
``RUNLAB_HTTP_BACKOFF_FACTOR``     1        first delay in seconds; it doubles each retry
``RUNLAB_HTTP_BACKOFF_MAX``        60       longest delay (and longest ``Retry-After`` obeyed)
``RUNLAB_TRACKING_USERNAME``                HTTP Basic user (``MLFLOW_TRACKING_USERNAME``)
``RUNLAB_TRACKING_PASSWORD``                HTTP Basic password (``MLFLOW_TRACKING_PASSWORD``)
``RUNLAB_TRACKING_TOKEN``                   Bearer token (``MLFLOW_TRACKING_TOKEN``)
``RUNLAB_TRACKING_INSECURE_TLS``   false    skip TLS certificate checks (``MLFLOW_…`` too)
``RUNLAB_TRACKING_SERVER_CERT_PATH``        CA bundle to check the server's certificate with
=================================  =======  ================================================

**What is retried.** Delays grow exponentially with up to a second of random jitter, so
clients that lost the same server do not come back in lockstep; a ``Retry-After``
header replaces the computed delay. Failures fall in two kinds:

* the server surely did not act on the request: the connection could not be made,
  or it answered 429 (too many requests) or 503 (unavailable). Every call is retried.
* it may have: the connection broke after the request was sent, a read timed out, or
  it answered 500, 502 or 504. Only *repeatable* calls are retried: reads, and writes
  whose repetition changes nothing (updates, deletes, tags, params, log-batch).
  Creating an experiment or a run, and deleting a tag, are not repeatable (a second
  attempt would make a second run, or fail on the work the first one did), so they
  raise instead.

log-batch is repeatable although metric points append: a server stores a point
identical in key, value, timestamp and step once (runlab's through a unique index over
the whole point and inserts that skip one already stored, MLflow's through its metrics
primary key). So a batch sent again after its answer was lost (the server crashed right
after the commit, or a proxy timed out while it worked) adds nothing, and retrying keeps
a server restart from becoming an error in the training script. A batch split over
several requests reports what was stored before a failure (PartialWriteError), so the
batcher re-sends only the rest.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from runlab import environment_variables as env
from runlab.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidParameterValueError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    RunlabError,
    StorageError,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("runlab")

__all__ = [
    "AuthenticationError",
    "HttpSession",
    "InvalidParameterValueError",
    "PermissionDeniedError",
    "close_pools",
    "error_from_response",
]

RETRY_ANYWAY_STATUSES = frozenset({429, 503})  # the server refused before doing anything
RETRY_IF_REPEATABLE_STATUSES = frozenset({500, 502, 504})


# ------------------------------------------------------------------------------ errors
_ERRORS_BY_CODE: dict[str, type[RunlabError]] = {
    "RESOURCE_DOES_NOT_EXIST": NotFoundError,
    "NOT_FOUND": NotFoundError,
    "RESOURCE_ALREADY_EXISTS": AlreadyExistsError,
    "INVALID_PARAMETER_VALUE": InvalidParameterValueError,
    "BAD_REQUEST": InvalidParameterValueError,
    "MALFORMED_REQUEST": InvalidInputError,
    "INVALID_STATE": ConflictError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
}
_ERRORS_BY_STATUS: dict[int, type[RunlabError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


def error_from_response(response: httpx.Response, what: str) -> RunlabError:
    """The runlab error for a failed response, carrying the server's message.

    ``what`` names the call (``GET http://host/api/2.0/mlflow/runs/get``) for
    answers that carry no message of their own.
    """
    code, message = None, None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = body.get("error_code")
        message = body.get("message")
    if code == "ENDPOINT_NOT_FOUND" or (code is None and response.status_code in (404, 405)):
        # The server has no such call: an MLflow server asked for a runlab one, or a
        # tracking URI missing the path prefix the server is served under.
        if not message or code is None:
            message = (
                f"{what}: the server answered {response.status_code} "
                f"{response.reason_phrase}; is this a runlab or MLflow tracking server, "
                "and does the tracking URI include any path prefix it is served under?"
            )
        return NotSupportedError(str(message))
    if not message:
        text = response.text.strip()[:300] if code is None else ""
        message = f"{what}: HTTP {response.status_code} {response.reason_phrase}" + (
            f": {text}" if text else ""
        )
    cls = _ERRORS_BY_CODE.get(str(code)) or _ERRORS_BY_STATUS.get(response.status_code)
    if cls is None:
        cls = StorageError  # INTERNAL_ERROR, any 5xx, or a code we do not know
    if cls is AuthenticationError:
        message += (
            " (set RUNLAB_TRACKING_USERNAME and RUNLAB_TRACKING_PASSWORD, or RUNLAB_TRACKING_TOKEN)"
        )
    return cls(str(message))


# ------------------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Settings:
    connect_timeout: float
    timeout: float
    max_retries: int
    backoff_factor: float
    backoff_max: float
    verify: bool | str  # False, True (the system's CAs) or a CA bundle's path
    auth_header: str | None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            connect_timeout=env.RUNLAB_HTTP_CONNECT_TIMEOUT.get(),
            timeout=env.RUNLAB_HTTP_TIMEOUT.get(),
            max_retries=env.RUNLAB_HTTP_MAX_RETRIES.get(),
            backoff_factor=env.RUNLAB_HTTP_BACKOFF_FACTOR.get(),
            backoff_max=env.RUNLAB_HTTP_BACKOFF_MAX.get(),
            verify=_verify(),
            auth_header=_auth_header(),
        )


def _verify() -> bool | str:
    if env.RUNLAB_TRACKING_INSECURE_TLS.get():
        return False
    bundle = env.RUNLAB_TRACKING_SERVER_CERT_PATH.get()
    if bundle and not os.path.isfile(bundle):
        raise ConfigurationError(f"RUNLAB_TRACKING_SERVER_CERT_PATH={bundle!r} is not a file")
    return bundle or True


def _auth_header() -> str | None:
    token = env.RUNLAB_TRACKING_TOKEN.get()
    if token:
        return f"Bearer {token}"
    user, password = env.RUNLAB_TRACKING_USERNAME.get(), env.RUNLAB_TRACKING_PASSWORD.get()
    if user or password:
        import base64

        pair = f"{user or ''}:{password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    return None


# ------------------------------------------------------------------------------ pools
# Keyed by process too: a forked child (a data-loader worker) must not share the
# parent's sockets, so it opens connections of its own.
_pools: dict[tuple[int, str, bool | str], httpx.Client] = {}
_pools_lock = threading.Lock()


def _pool(origin: str, verify: bool | str) -> httpx.Client:
    key = (os.getpid(), origin, verify)
    client = _pools.get(key)
    if client is None:
        with _pools_lock:
            client = _pools.get(key)
            if client is None:
                import httpx

                if isinstance(verify, str):
                    import ssl

                    tls: ssl.SSLContext | bool = ssl.create_default_context(cafile=verify)
                else:
                    tls = verify
                client = httpx.Client(
                    verify=tls,
                    limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                    follow_redirects=False,
                    trust_env=True,  # HTTP(S)_PROXY and SSL_CERT_FILE, as other clients
                )
                _pools[key] = client
    return client


def close_pools() -> None:
    """Close every pooled connection (at exit, and between tests)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for client in pools:
        client.close()


# ------------------------------------------------------------------------------ session
class HttpSession:
    """Calls to one server, below ``base_url`` (which may carry a path prefix)."""

    user_agent: ClassVar[str] = "runlab"

    def __init__(self, base_url: str, *, send_credentials: bool = True) -> None:
        """``send_credentials``: attach the ``RUNLAB_TRACKING_*`` credentials of the
        environment (a server reading a location it does not own sends none)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(
                f"tracking URI {base_url!r} is not an http:// or https:// URL with a host"
            )
        if parts.query or parts.fragment:
            raise InvalidInputError(f"tracking URI {base_url!r} must not have a query or fragment")
        self.base_url = base_url.rstrip("/")
        self.settings = Settings.from_env()
        if not send_credentials:
            self.settings = dataclasses.replace(self.settings, auth_header=None)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def __repr__(self) -> str:
        return f"HttpSession({self.base_url!r})"

    @property
    def client(self) -> httpx.Client:
        return _pool(self._origin, self.settings.verify)

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        from runlab._version import __version__

        headers = {"User-Agent": f"{self.user_agent}/{__version__}"}
        if self.settings.auth_header:
            headers["Authorization"] = self.settings.auth_header
        if extra:
            headers.update(extra)
        return headers

    def _timeout(self) -> httpx.Timeout:
        import httpx

        s = self.settings
        return httpx.Timeout(s.timeout, connect=s.connect_timeout, pool=s.timeout)

    # ---------------------------------------------------------------- JSON API
    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        repeatable: bool,
    ) -> dict[str, Any]:
        """One JSON call to ``endpoint`` (a path such as ``/api/2.0/mlflow/runs/get``)."""
        content = None
        headers = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
            headers = {"Content-Type": "application/json"}
        with self.send(
            method,
            endpoint,
            params=params,
            content=content,
            headers=headers,
            repeatable=repeatable,
            preload=True,
        ) as response:
            pass
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise StorageError(
                f"{method} {self.base_url}{endpoint}: the server answered with something "
                f"other than JSON: {response.text[:200]!r}"
            ) from None
        if not isinstance(answer, dict):
            raise StorageError(f"{method} {self.base_url}{endpoint}: expected a JSON object")
        return answer

    # ---------------------------------------------------------------- any request
    @contextmanager
    def send(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool,
        preload: bool = False,
    ) -> Iterator[httpx.Response]:
        """Send with retries and yield the successful response, its body unread (streamed)
        unless ``preload``: then a body cut off on the way is retried like a lost answer.

        ``content`` is bytes, or a callable returning the body afresh for each attempt
        (an iterator of chunks read from an open file, so an upload streams and a retry
        starts over). A failed response is raised as the runlab error its body names.
        """
        import httpx

        url = f"{self.base_url}{endpoint}"
        what = f"{method} {url}"
        attempt = 0
        while True:
            request = self.client.build_request(
                method,
                url,
                params=params,
                content=content() if callable(content) else content,
                headers=self._headers(headers),
                timeout=self._timeout(),
            )
            retry_after: float | None = None
            try:
                response = self.client.send(request, stream=True)
                if preload and response.is_success:
                    try:
                        response.read()
                    finally:
                        response.close()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure: Exception = exc
                retryable = True  # nothing reached the server
                if _certificate_refused(exc):
                    raise StorageError(
                        f"{what}: the server's TLS certificate was not trusted ({exc}); "
                        "point RUNLAB_TRACKING_SERVER_CERT_PATH at its CA bundle, or set "
                        "RUNLAB_TRACKING_INSECURE_TLS=true to skip the check"
                    ) from exc
            except httpx.TransportError as exc:
                failure = exc
                retryable = repeatable
            else:
                if response.is_success:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                status = response.status_code
                retryable = status in RETRY_ANYWAY_STATUSES or (
                    repeatable and status in RETRY_IF_REPEATABLE_STATUSES
                )
                retry_after = _retry_after(response.headers.get("Retry-After"))
                response.read()
                response.close()
                failure = error_from_response(response, what)
            if not retryable or attempt >= self.settings.max_retries:
                raise self._final(failure, what, attempt) from _cause(failure)
            delay = self._delay(attempt, retry_after)
            log.warning(
                "runlab: %s failed (%s); retry %d of %d in %.1f s",
                what,
                _describe(failure),
                attempt + 1,
                self.settings.max_retries,
                delay,
            )
            time.sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        s = self.settings
        if retry_after is not None:
            return min(retry_after, s.backoff_max)
        return float(min(s.backoff_factor * 2**attempt, s.backoff_max)) + random.uniform(
            0, min(1.0, s.backoff_factor)
        )

    @staticmethod
    def _final(failure: Exception, what: str, attempt: int) -> RunlabError:
        tries = f" after {attempt + 1} attempts" if attempt else ""
        if isinstance(failure, RunlabError):
            if isinstance(failure, StorageError) and tries:
                return StorageError(f"{failure.message} ({what}, gave up{tries})")
            return failure
        reason = str(failure) or type(failure).__name__
        return StorageError(f"{what} failed{tries}: {reason}")


def _certificate_refused(exc: Exception) -> bool:
    import ssl

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _describe(failure: Exception) -> str:
    if isinstance(failure, RunlabError):
        return failure.message.splitlines()[0][:200]
    return str(failure) or type(failure).__name__


def _cause(failure: Exception) -> BaseException | None:
    return None if isinstance(failure, RunlabError) else failure


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
