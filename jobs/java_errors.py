"""The Java exception behind a Py4J error, in one line."""
from __future__ import annotations


def root_cause(error: BaseException) -> str:
    """The innermost Java exception of a Py4J error, as ``Class: message``; else the error itself."""
    cause = getattr(error, "java_exception", None)
    if cause is None:
        return f"{type(error).__name__}: {error}"
    while cause.getCause() is not None and cause.getCause() != cause:
        cause = cause.getCause()
    message = cause.getMessage()
    return cause.getClass().getSimpleName() + (f": {message}" if message else "")
