"""The one error type of the DSL front end: a located, human-readable message."""

from __future__ import annotations

import difflib
from typing import Iterable


class SpecError(Exception):
    """A problem in a spec or expression.

    ``line`` and ``column`` are 1-based; ``source_line`` is the text of that
    line. ``offset`` is the 0-based character offset inside the timeline's
    expression text, kept so the spec loader can map it to a file position.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        timeline: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source_line = source_line
        self.timeline = timeline
        self.offset = offset

    def __str__(self) -> str:
        text = self.message
        if self.timeline is not None:
            text = f"timeline '{self.timeline}': {text}"
        location = self._location()
        if location:
            text = f"{location}: {text}"
        if self.source_line is not None and self.column is not None:
            text += "\n" + _excerpt(self.source_line, self.column)
        return text

    def _location(self) -> str:
        if self.filename is None:
            if self.line is None:
                return ""
            if self.column is None:
                return f"line {self.line}"
            return f"line {self.line}, column {self.column}"
        parts = (self.filename, self.line, self.column)
        return ":".join(str(part) for part in parts if part is not None)


def _excerpt(source_line: str, column: int) -> str:
    """The source line without its indentation, and a caret under ``column``."""
    indent = len(source_line) - len(source_line.lstrip())
    before_caret = source_line[indent : max(indent, column - 1)]
    padding = "".join("\t" if char == "\t" else " " for char in before_caret)
    return f"  {source_line.strip()}\n  {padding}^"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the candidates closest to ``word``, or nothing."""
    close = difflib.get_close_matches(word, sorted(candidates), n=3)
    if not close:
        return ""
    return " (did you mean " + ", ".join(f"'{name}'" for name in close) + "?)"
