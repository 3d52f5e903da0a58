"""The Java exceptions behind a Py4J error."""
from __future__ import annotations

from typing import Iterator


def java_causes(error: BaseException) -> Iterator:
    """The Java exception of a Py4J error and its causes, outermost first; nothing for another error."""
    cause = getattr(error, "java_exception", None)
    while cause is not None:
        yield cause
        cause = cause.getCause() if cause.getCause() != cause else None


def root_cause(error: BaseException) -> str:
    """The innermost Java exception of a Py4J error, as ``Class: message``; else the error itself."""
    causes = list(java_causes(error))
    if not causes:
        return f"{type(error).__name__}: {error}"
    message = causes[-1].getMessage()
    return causes[-1].getClass().getSimpleName() + (f": {message}" if message else "")
