"""The YAML timeline spec: what a user writes, validated."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple

import yaml

from dsl.aggregates import DEFAULT_EVERY_MS, Aggregate, AggregateError, build_aggregate
from dsl.nodes import Kind, Node
from dsl.errors import SpecError, did_you_mean
from dsl.parser import FUNCTION_NAMES, duration_setting, parse_definition, parse_expression
from dsl.typecheck import CheckedTimelines, aggregate_reference, check_aggregate, check_timelines


@dataclass(frozen=True)
class Spec:
    """A validated spec.

    ``timelines`` maps each name to its expression with references to other
    timelines already replaced by the referenced expression (equal trees are
    shared by the plan). ``kinds`` gives each timeline's type. ``aggregates``
    come from the ``aggregate`` section and from ``| aggregate(...)`` entries
    of ``timelines``, with their timelines resolved the same way.
    """

    name: str
    key: str
    time: str
    timelines: dict[str, Node]
    kinds: dict[str, Kind]
    outputs: tuple[str, ...]
    session_timeout_ms: int | None = None
    aggregates: tuple[Aggregate, ...] = ()
    source: dict[str, Any] = field(default_factory=dict)
    sink: dict[str, Any] = field(default_factory=dict)
    watermark: dict[str, Any] = field(default_factory=dict)
    checkpoint: dict[str, Any] = field(default_factory=dict)
    written: WrittenSpec | None = field(default=None, compare=False, repr=False)  # None: not from YAML text


# --- loading -------------------------------------------------------------------

_REQUIRED_KEYS = ("name", "key", "time", "timelines")
_SECTION_KEYS = ("source", "sink", "watermark", "checkpoint")
_KNOWN_KEYS = (*_REQUIRED_KEYS, "outputs", "session_timeout", "aggregate", *_SECTION_KEYS)
_AGGREGATE_KEYS = ("timeline", "group_by", "metrics", "every")
_TIMELINE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED_NAMES = FUNCTION_NAMES | {"true", "false"}
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BANG_VALUE = re.compile(r"\s*(?:-\s+)?(?:[\w.-]+\s*:\s+)?(?=!(?!!))")
_YAML_TYPES = {
    "tag:yaml.org,2002:str": "a string",
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "an empty value",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}


def load_spec_file(path: str | os.PathLike[str]) -> Spec:
    """Read and validate the spec at ``path``."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"cannot read the spec: {error}", filename=str(path)) from None
    return load_spec(text, filename=str(path))


def load_spec(text: str, filename: str = "<spec>") -> Spec:
    """Parse, validate and type-check the YAML spec ``text``."""
    document = _Document(text.removeprefix("\ufeff"), filename)
    sections = document.top_level()
    name, key, time = (
        document.string(sections[section], f"'{section}'") for section in ("name", "key", "time")
    )
    scalars = document.timelines(sections["timelines"])
    definitions = document.definitions(scalars)
    expressions = {name: value for name, value in definitions.items() if isinstance(value, Node)}
    aggregate_names = {name for name, value in definitions.items() if isinstance(value, Aggregate)}
    aggregate_names |= document.keys(sections.get("aggregate"))
    checked = document.check(expressions, scalars, aggregate_names)
    session_timeout_ms = document.session_timeout(sections.get("session_timeout"))
    declared = [
        _Declared(value, scalars[name], scalars[name])
        for name, value in definitions.items()
        if isinstance(value, Aggregate)
    ]
    declared += document.aggregate_section(sections.get("aggregate"), definitions)
    return Spec(
        name=name,
        key=key,
        time=time,
        timelines=checked.timelines,
        kinds=checked.kinds,
        outputs=document.outputs(sections.get("outputs"), expressions, aggregate_names),
        session_timeout_ms=session_timeout_ms,
        aggregates=document.check_aggregates(declared, checked, session_timeout_ms),
        **{
            section: document.plain_mapping(sections[section], section)
            for section in _SECTION_KEYS
            if section in sections
        },
        written=WrittenSpec(document),
    )


class WrittenSpec:
    """A spec's YAML text and node tree as loaded: where each of its settings is written."""

    def __init__(self, document: _Document) -> None:
        self._document = document

    @property
    def text(self) -> str:
        return self._document.text

    def locate_setting(self, message: str, keys: tuple[str, ...], at_key: bool) -> SpecError:
        """An error about the setting at ``keys`` (e.g. sink, pulsar, delivery), at its place in the spec.

        At the key itself when ``at_key``, else at its value; a setting the spec
        does not write is located at the nearest enclosing one that it does.
        """
        document = self._document
        node = document.root
        for key in keys:
            if not isinstance(node, yaml.MappingNode):
                break
            entry = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if entry is None:
                break
            key_node, node = entry
            if at_key and key == keys[-1]:
                node = key_node
        if node is document.root:
            return SpecError(message, filename=document.filename)
        return document.error_at(node, message)


class _Declared(NamedTuple):
    """An aggregate as written: the scalar holding its expression, and the node that declares it."""

    aggregate: Aggregate
    expression: yaml.ScalarNode
    at: yaml.Node


class _Document:
    """A spec's YAML text and node tree, and errors located in it."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = _LINE_BREAK.split(text)
        self.root = self.compose()

    # --- errors ---

    def error(
        self, message: str, line: int | None = None, column: int | None = None, timeline: str | None = None
    ) -> SpecError:
        """A SpecError at 0-based ``line`` and ``column`` of the file."""
        if line is None or column is None:
            return SpecError(message, filename=self.filename, timeline=timeline)
        source_line = self.lines[line] if line < len(self.lines) else ""
        return SpecError(
            message,
            filename=self.filename,
            line=line + 1,
            column=column + 1,
            source_line=source_line,
            timeline=timeline,
        )

    def error_at(self, node: yaml.Node, message: str) -> SpecError:
        return self.error(message, node.start_mark.line, node.start_mark.column)

    def locate(self, error: SpecError, scalar: yaml.ScalarNode, timeline: str | None = None) -> SpecError:
        """``error`` (at an offset inside ``scalar``'s value) at its position in the file."""
        line, column = _position_in_scalar(scalar, error.offset or 0, self.lines)
        return self.error(error.message, line, column, timeline)

    # --- YAML ---

    def compose(self) -> yaml.Node:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            raise self.yaml_error(error) from None
        except yaml.reader.ReaderError as error:
            line, column = _index_position(self.text, error.position)
            message = f"invalid YAML: unacceptable character #x{error.character:04x} ({error.reason})"
            raise self.error(message, line, column) from None
        except RecursionError:
            raise self.error("the spec is nested too deeply") from None
        if root is None:
            raise self.error("the spec is empty")
        self.reject_tags(root)
        return root

    def yaml_error(self, error: yaml.MarkedYAMLError) -> SpecError:
        for mark in (error.context_mark, error.problem_mark):
            if mark is not None and mark.line < len(self.lines):
                bang = _BANG_VALUE.match(self.lines[mark.line])
                if bang:
                    return self.bang_error(mark.line, bang.end())
        mark = error.problem_mark or error.context_mark
        message = f"invalid YAML: {error.problem or error.context}"
        return self.error(message, mark.line, mark.column) if mark else self.error(message)

    def bang_error(self, line: int, column: int) -> SpecError:
        return self.error("a value starting with '!' must be quoted (YAML reads '!' as a tag)", line, column)

    def reject_tags(self, root: yaml.Node) -> None:
        """Reject user tags: an unquoted expression starting with '!' reads as one."""
        stack = [root]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            start = node.start_mark
            written = self.text[start.index : start.index + 2]
            if node.tag.startswith("!") or (written[:1] == "!" and written != "!!"):
                raise self.bang_error(start.line, start.column)
            if isinstance(node, yaml.MappingNode):
                stack.extend(part for pair in node.value for part in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)

    # --- sections ---

    def top_level(self) -> dict[str, yaml.Node]:
        entries = self.mapping(self.root, "the spec")
        for key, (key_node, _) in entries.items():
            if key not in _KNOWN_KEYS:
                raise self.error_at(key_node, f"unknown key '{key}'" + did_you_mean(key, _KNOWN_KEYS))
        for key in _REQUIRED_KEYS:
            if key not in entries:
                raise self.error_at(self.root, f"missing required key '{key}'")
        return {key: value for key, (_, value) in entries.items()}

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The entries of a mapping with string keys, by key: (key node, value node)."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error_at(node, f"{what} must be a mapping, got {_describe(node)}")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, f"a key of {what}")
            if key in entries:
                first_line = entries[key][0].start_mark.line + 1
                raise self.error_at(key_node, f"duplicate key '{key}' (first defined on line {first_line})")
            entries[key] = key_node, value_node
        return entries

    def string(self, node: yaml.Node, what: str) -> str:
        if not _is_string(node):
            hint = (
                " (quote it to make it a string)" if isinstance(node, yaml.ScalarNode) and node.value else ""
            )
            raise self.error_at(node, f"{what} must be a string, got {_describe(node)}{hint}")
        if not node.value.strip():
            raise self.error_at(node, f"{what} must not be empty")
        return node.value

    def timelines(self, node: yaml.Node) -> dict[str, yaml.ScalarNode]:
        """Timeline name -> its expression scalar."""
        entries = self.mapping(node, "'timelines'")
        if not entries:
            raise self.error_at(node, "'timelines' must define at least one timeline")
        for name, (key_node, value_node) in entries.items():
            self.check_timeline_name(name, key_node)
            self.string(value_node, f"the expression of timeline '{name}'")
        return {name: value_node for name, (_, value_node) in entries.items()}

    def check_timeline_name(self, name: str, key_node: yaml.Node, what: str = "timeline") -> None:
        if not _TIMELINE_NAME.fullmatch(name):
            raise self.error_at(
                key_node, f"{what} name '{name}' must be letters, digits and '_', not starting with a digit"
            )
        if name in _RESERVED_NAMES:
            raise self.error_at(
                key_node, f"'{name}' is reserved by the expression language; choose another name"
            )

    def definitions(self, scalars: dict[str, yaml.ScalarNode]) -> dict[str, Node | Aggregate]:
        """Parse the entries of 'timelines': expressions, and aggregates written with '|'."""
        parsed = {}
        for name, scalar in scalars.items():
            try:
                parsed[name] = parse_definition(name, scalar.value)
            except SpecError as error:
                raise self.locate(error, scalar, timeline=name) from None
        return parsed

    def keys(self, node: yaml.Node | None) -> set[str]:
        """The string keys of a mapping node (none for anything else; errors come when it is read)."""
        if not isinstance(node, yaml.MappingNode):
            return set()
        return {key.value for key, _ in node.value if _is_string(key)}

    def check(self, expressions: dict[str, Node], scalars: dict[str, yaml.ScalarNode],
              aggregates: set[str]) -> CheckedTimelines:
        """Type-check the timelines, locating any error in the file."""
        try:
            return check_timelines(expressions, aggregates)
        except SpecError as error:
            raise self.locate(error, scalars[error.timeline], timeline=error.timeline) from None

    def outputs(self, node: yaml.Node | None, expressions: dict[str, Node], aggregates: set[str]) -> tuple[str, ...]:
        if node is None:
            return tuple(expressions)
        entries = self.string_list(node, "'outputs'", "timeline")
        for name, entry in entries.items():
            if name in aggregates:
                raise self.error_at(entry, aggregate_reference(name) + "; every aggregate is written anyway")
            if name not in expressions:
                raise self.error_at(
                    entry, f"unknown timeline '{name}' in 'outputs'" + did_you_mean(name, expressions)
                )
        return tuple(entries)

    def string_list(self, node: yaml.Node, what: str, item: str) -> dict[str, yaml.Node]:
        """The strings of a YAML list, in order, each with its node; a repeated one is an error."""
        entries: dict[str, yaml.Node] = {}
        for name, entry in self.strings(node, what, item):
            if name in entries:
                raise self.error_at(entry, f"{item} '{name}' is listed twice in {what}")
            entries[name] = entry
        return entries

    def strings(self, node: yaml.Node, what: str, item: str) -> list[tuple[str, yaml.Node]]:
        """The strings of a YAML list, in order, each with its node."""
        if not isinstance(node, yaml.SequenceNode):
            raise self.error_at(node, f"{what} must be a list of {item} names, got {_describe(node)}")
        return [(self.string(entry, f"an entry of {what}"), entry) for entry in node.value]

    def aggregate_section(self, node: yaml.Node | None, definitions: dict[str, object]) -> list[_Declared]:
        """The aggregates of the 'aggregate' section, not yet type-checked."""
        if node is None:
            return []
        declared = []
        for name, (key_node, value_node) in self.mapping(node, "'aggregate'").items():
            self.check_timeline_name(name, key_node, what="aggregate")
            if name in definitions:
                raise self.error_at(key_node, f"'{name}' is already defined under 'timelines'")
            fields = self.aggregate_fields(name, value_node)
            declared.append(_Declared(self.aggregate(name, fields), fields["timeline"], key_node))
        return declared

    def aggregate_fields(self, name: str, node: yaml.Node) -> dict[str, yaml.Node]:
        entries = self.mapping(node, f"aggregate '{name}'")
        for key, (key_node, _) in entries.items():
            if key not in _AGGREGATE_KEYS:
                message = f"unknown key '{key}' in aggregate '{name}'"
                raise self.error_at(key_node, message + did_you_mean(key, _AGGREGATE_KEYS))
        if "timeline" not in entries:
            raise self.error_at(node, f"aggregate '{name}' needs a 'timeline'")
        self.string(entries["timeline"][1], f"'timeline' of aggregate '{name}'")
        return {key: value for key, (_, value) in entries.items()}

    def aggregate(self, name: str, fields: dict[str, yaml.Node]) -> Aggregate:
        """One aggregate of the section from its validated ``fields``."""
        of = f"of aggregate '{name}'"
        try:
            timeline = parse_expression(fields["timeline"].value)
        except SpecError as error:
            raise self.locate(error, fields["timeline"]) from None
        group_by, metrics = (
            self.strings(fields[key], f"'{key}' {of}", item) if key in fields else []
            for key, item in (("group_by", "column"), ("metrics", "metric"))
        )
        every = fields.get("every")
        every_ms = DEFAULT_EVERY_MS if every is None else self.duration(every, f"'every' {of}")
        try:
            return build_aggregate(name, timeline, group_by, metrics, every_ms)
        except AggregateError as error:
            raise self.error_at(error.at, error.message) from None

    def check_aggregates(
        self, declared: list[_Declared], checked: CheckedTimelines, session_timeout_ms: int | None
    ) -> tuple[Aggregate, ...]:
        """Type-check the aggregates; they need a session timeout."""
        if declared and session_timeout_ms is None:
            first = declared[0]
            raise self.error_at(
                first.at,
                f"aggregate '{first.aggregate.name}' needs a 'session_timeout': it counts the keys active"
                " at each tick, and a key stops being active only when its session ends",
            )
        aggregates = []
        for aggregate, expression, _ in declared:
            try:
                aggregates.append(check_aggregate(aggregate, checked))
            except SpecError as error:
                raise self.locate(error, expression) from None
        return tuple(aggregates)

    def session_timeout(self, node: yaml.Node | None) -> int | None:
        return None if node is None else self.duration(node, "'session_timeout'")

    def duration(self, node: yaml.Node, what: str) -> int:
        """Milliseconds of a positive duration setting (:func:`dsl.parser.duration_setting`) at ``node``."""
        try:
            return duration_setting(node.value if _is_string(node) else self.plain_value(node), what)
        except SpecError as error:
            if error.offset is None:
                raise self.error_at(node, error.message) from None
            raise self.locate(error, node) from None

    def plain_mapping(self, node: yaml.Node, section: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error_at(node, f"'{section}' must be a mapping, got {_describe(node)}")
        return self.plain_value(node)

    def plain_value(self, node: yaml.Node) -> Any:
        """The Python value of a YAML node."""
        try:
            return yaml.constructor.SafeConstructor().construct_document(node)
        except yaml.MarkedYAMLError as error:
            raise self.yaml_error(error) from None
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            raise self.error_at(node, f"invalid value: {error}") from None


def _index_position(text: str, index: int) -> tuple[int, int]:
    """0-based line and column of character ``index`` of ``text``."""
    lines_before = _LINE_BREAK.split(text[:index])
    return len(lines_before) - 1, len(lines_before[-1])


def _is_string(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def _describe(node: yaml.Node) -> str:
    return _YAML_TYPES.get(node.tag, "a value")


# --- positions inside scalars --------------------------------------------------


def _position_in_scalar(scalar: yaml.ScalarNode, offset: int, lines: list[str]) -> tuple[int, int]:
    """0-based file line and column of character ``offset`` of ``scalar``'s value.

    Each source line holding part of the value contributes its text, and a
    line break or folding space stands between consecutive parts; escapes in
    quoted scalars make the result approximate.
    """
    remaining = offset
    position = scalar.start_mark.line, scalar.start_mark.column
    for line, column, length in _scalar_parts(scalar, lines):
        if remaining <= length:
            return line, column + remaining
        remaining -= length + 1
        position = line, column + length
    return position


def _scalar_parts(scalar: yaml.ScalarNode, lines: list[str]) -> Iterator[tuple[int, int, int]]:
    """(line, first column, length) of each source line part of a scalar's value."""
    start, end = scalar.start_mark, scalar.end_mark
    last_line = min(end.line if end.column else end.line - 1, len(lines) - 1)
    if scalar.style in ("|", ">"):
        yield from _block_parts(range(start.line + 1, last_line + 1), lines, keep_blank=scalar.style == "|")
        return
    quote = 1 if scalar.style in ("'", '"') else 0
    for line in range(start.line, last_line + 1):
        text = lines[line]
        first = start.column + quote if line == start.line else len(text) - len(text.lstrip())
        stop = end.column - quote if line == end.line else len(text.rstrip())
        if line == start.line or stop > first:
            yield line, first, max(stop - first, 0)


def _block_parts(line_numbers: range, lines: list[str], keep_blank: bool) -> Iterator[tuple[int, int, int]]:
    indent = None
    for line in line_numbers:
        text = lines[line].rstrip()
        if not text.strip():
            if keep_blank:
                yield line, indent or 0, 0
            continue
        if indent is None:
            indent = len(text) - len(text.lstrip())
        yield line, indent, len(text) - indent
