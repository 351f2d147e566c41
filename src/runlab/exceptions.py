"""MLflow's exception names over runlab's error tree (``mlflow.exceptions``).

Each name is an alias of a class of :mod:`runlab.errors`, not a new class, so
``except runlab.exceptions.MlflowException`` catches every error runlab raises on
purpose, and code written against ``mlflow.exceptions`` runs unchanged.
"""

from __future__ import annotations

from runlab import errors

__all__ = [
    "ExecutionException",
    "InvalidUrlException",
    "MissingConfigException",
    "MlflowException",
    "MlflowNotImplementedException",
    "RestException",
    "get_error_code",
]

MlflowException = errors.RunlabError
# A server's JSON error comes back as the runlab class of its error_code; all share the base.
RestException = errors.RunlabError
# A project run that fails (runlab.projects) raises runlab's errors.
ExecutionException = errors.RunlabError
InvalidUrlException = errors.InvalidInputError
MissingConfigException = errors.ConfigurationError
MlflowNotImplementedException = errors.NotSupportedError

# MLflow's numeric error codes (its protobuf enum) for the HTTP statuses it maps.
_CODES = {
    400: 4,  # BAD_REQUEST
    401: 13,  # UNAUTHENTICATED
    403: 1004,  # PERMISSION_DENIED
    404: 1001,  # ENDPOINT_NOT_FOUND
    409: 12,  # ALREADY_EXISTS
    429: 9,  # REQUEST_LIMIT_EXCEEDED
    499: 8,  # CANCELLED
    501: 1010,  # NOT_IMPLEMENTED
    503: 2,  # TEMPORARILY_UNAVAILABLE
    504: 7,  # DEADLINE_EXCEEDED
}
_INTERNAL_ERROR = 1


def get_error_code(http_status: int) -> int:
    """MLflow's numeric error code for an HTTP status (INTERNAL_ERROR, 1, for others)."""
    return _CODES.get(int(http_status), _INTERNAL_ERROR)
