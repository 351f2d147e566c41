"""The runlab exception tree.

Every error a user can cause is a ``RunlabError``; each class carries the MLflow
wire ``error_code`` and the HTTP status a server answers with, so one handler can
render any of them::

    RunlabError                      INTERNAL_ERROR           500
    ├── InvalidInputError            INVALID_PARAMETER_VALUE  400
    │   ├── InvalidFilterError       INVALID_PARAMETER_VALUE  400
    │   └── BadRequestError          BAD_REQUEST              400
    │       └── UnsupportedMediaTypeError  BAD_REQUEST        415
    ├── NotFoundError                RESOURCE_DOES_NOT_EXIST  404
    ├── AlreadyExistsError           RESOURCE_ALREADY_EXISTS  400
    ├── ConflictError                INVALID_PARAMETER_VALUE  400
    │   └── InvalidParameterValueError INVALID_PARAMETER_VALUE 400 (also an InvalidInputError)
    ├── NotSupportedError            NOT_IMPLEMENTED          501
    ├── AuthenticationError          UNAUTHENTICATED          401
    ├── PermissionDeniedError        PERMISSION_DENIED        403
    ├── RequestLimitExceededError    REQUEST_LIMIT_EXCEEDED   429
    ├── RequestTooLargeError         RESOURCE_LIMIT_EXCEEDED  413
    ├── ConfigurationError           INTERNAL_ERROR           500
    ├── ModelValidationFailedError   INTERNAL_ERROR           500
    ├── SchemaOutdatedError          INTERNAL_ERROR           500
    └── StorageError                 INTERNAL_ERROR           500
        ├── PartialWriteError        INTERNAL_ERROR           500
        └── BackgroundWriteError     INTERNAL_ERROR           500
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "BackgroundWriteError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InvalidFilterError",
    "InvalidInputError",
    "InvalidParameterValueError",
    "ModelValidationFailedError",
    "NotFoundError",
    "NotSupportedError",
    "PartialWriteError",
    "PermissionDeniedError",
    "RequestLimitExceededError",
    "RequestTooLargeError",
    "RunlabError",
    "SchemaOutdatedError",
    "StorageError",
    "UnsupportedMediaTypeError",
]


class RunlabError(Exception):
    """Base class of every error runlab raises on purpose."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidInputError(RunlabError):
    """A value broke a rule: the message names the field and the rule."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class InvalidFilterError(InvalidInputError):
    """A search filter or order-by clause did not parse."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        if position is not None and text:
            pointer = " " * position + "^"
            message = f"{message}\n  {text}\n  {pointer}"
        super().__init__(message)
        self.text = text
        self.position = position


class BadRequestError(InvalidInputError):
    """A request body that cannot be read at all (a model server's unparseable input)."""

    error_code = "BAD_REQUEST"


class UnsupportedMediaTypeError(BadRequestError):
    """A request body in a content type the endpoint does not read."""

    http_status = 415


class NotFoundError(RunlabError):
    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class AlreadyExistsError(RunlabError):
    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = 400


class ConflictError(RunlabError):
    """The request contradicts stored state (a changed param, a deleted run)."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class InvalidParameterValueError(InvalidInputError, ConflictError):
    """A server's ``INVALID_PARAMETER_VALUE``, as the REST client raises it.

    The code covers both a bad value (InvalidInputError) and a request that contradicts
    stored state, such as a changed param (ConflictError); the wire does not tell them
    apart, so the client raises this, which either ``except`` catches.
    """


class NotSupportedError(RunlabError):
    """The backend cannot do this at all (multipart uploads to some stores)."""

    error_code = "NOT_IMPLEMENTED"
    http_status = 501


class AuthenticationError(RunlabError):
    """A server wants credentials, or refused the ones sent."""

    error_code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDeniedError(RunlabError):
    """The credentials are valid but do not allow this call."""

    error_code = "PERMISSION_DENIED"
    http_status = 403


class RequestLimitExceededError(RunlabError):
    """Too many attempts: try again after ``retry_after`` seconds."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 429

    def __init__(self, message: str, retry_after: float = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTooLargeError(RunlabError):
    """A request body over the server's size limit."""

    error_code = "RESOURCE_LIMIT_EXCEEDED"
    http_status = 413


class ConfigurationError(RunlabError):
    """runlab was started without a setting it needs, or with one it cannot use."""


class ModelValidationFailedError(RunlabError):
    """An evaluated model missed a ``validation_thresholds`` entry; the message lists
    each failed metric and why, and ``failures`` maps each to its reason."""

    def __init__(self, message: str, failures: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.failures = dict(failures or {})


class SchemaOutdatedError(RunlabError):
    """The database was made by an older runlab; `runlab db upgrade` fixes it."""


class StorageError(RunlabError):
    """The backing store failed (disk full, database unreachable)."""


class PartialWriteError(StorageError):
    """A batch split into several requests failed part-way: its leading part is stored.

    The counts say how many of the params, tags and metrics (in the order given) were
    stored, so a caller that tries again can send only the rest.
    """

    def __init__(self, message: str, params: int = 0, tags: int = 0, metrics: int = 0) -> None:
        super().__init__(message)
        self.stored_params = params
        self.stored_tags = tags
        self.stored_metrics = metrics


class BackgroundWriteError(StorageError):
    """Points queued for a background write could not be stored."""
