"""YAML loading that remembers line numbers, so every content error can name its file and line.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`; both carry ``.file`` and
``.line`` (1-based) of where they start, and ``LineDict.line_of(key)`` gives the line of a key.
Scalars stay plain Python values. All content, triage, lexicon, manifest and config files are
read through :func:`load_yaml`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from kiosk.errors import KioskError


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in a file a person edits."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class ContentError(KioskError):
    """Raised when a file cannot be used; carries every problem found, each with file and line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class LineDict(dict[Any, Any]):
    """A mapping from YAML that knows where it and each of its keys stand."""

    file: str = ""
    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: str) -> int:
        return int(self.key_lines.get(key, self.line))

    def problem(self, message: str, key: str | None = None, severity: str = "error") -> Problem:
        return Problem(self.file, self.line_of(key) if key else self.line, message, severity)


class LineList(list[Any]):
    """A sequence from YAML that knows where it and each item stand."""

    file: str = ""
    line: int = 0
    item_lines: list[int]

    def line_at(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


#: libyaml's parser when PyYAML has it (ten times faster than the pure-Python one; its syntax
#: messages are worded a little differently, with the same lines).
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _make_loader(file: str) -> type:
    loader_class = cast("type[yaml.SafeLoader]", type("_Loader", (_BASE_LOADER,), {}))

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        loader.flatten_mapping(node)
        result = LineDict()
        result.file, result.line, result.key_lines = file, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
        result = LineList(loader.construct_object(child, deep=True) for child in node.value)
        result.file, result.line = file, node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return loader_class


def load_yaml_text(text: str, file: str = "<text>") -> Any:
    """Parse YAML text; a syntax error becomes a ContentError naming file and line."""
    try:
        return yaml.load(text, Loader=_make_loader(file))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        reason = err.problem or str(err)
        if err.context:
            reason = f"{err.context}: {reason}" if err.problem else err.context
        raise ContentError([Problem(file, line, f"YAML syntax: {reason}")]) from None
    except yaml.YAMLError as err:
        raise ContentError([Problem(file, 0, f"YAML: {err}")]) from None


def load_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file; unreadable or broken files raise ContentError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([Problem(str(path), 0, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ContentError([Problem(str(path), 0, f"cannot read: {err}")]) from None
    return load_yaml_text(text, str(path))
