"""One way to check the shape of a YAML file: a pydantic model, with each error at its file:line.

Data loaded by :func:`kiosk.core.yamlfile.load_yaml` keeps where every mapping, key and list
item stands (``LineDict``/``LineList``). :func:`validate` runs a pydantic model over that data
and turns every validation error into a :class:`Problem` at the line of the offending key or
item, with a message a practice assistant can act on. Use it for the *shape* (fields, types,
ranges); checks of meaning (sources against the leaflet, reachability) stay hand-written.

    class Entry(Strict):
        word: Text
        say: Text = ""

    entries = validate(list[Entry], data, path)   # or raises ContentError
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic import Strict as _exact
from pydantic.functional_validators import BeforeValidator

from kiosk.core.yamlfile import ContentError, LineDict, LineList, Problem

T = TypeVar("T")


class Strict(BaseModel):
    """Base for file schemas: unknown keys are errors and values are frozen. Use the types
    below, which take YAML scalars at their exact type (``true`` is not 1, ``17.9`` is not a
    whole number, ``"8"`` is not 8); pydantic itself never turns a number into a text."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: Any) -> Any:
    """Texts arrive with YAML's folding; collapse runs of whitespace, refuse empty text."""
    if isinstance(value, str):
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
    return value


def _number(value: Any) -> Any:
    """A real number: an int or float from YAML, never a bool, NaN or infinity."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, not {describe(value)}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    return float(value)


def _whole(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, not {describe(value)}")
    return value


def _items(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError(f"must be a non-empty list, not {describe(value)}")
    return value


#: A non-empty list kept as loaded (with its line numbers), for :func:`validate_each`.
Items = Annotated[Any, BeforeValidator(_items)]
#: A non-empty text with whitespace collapsed.
Text = Annotated[str, BeforeValidator(_text)]
#: A finite number (int or float in YAML, stored as float); add bounds with Field(ge=, le=).
Number = Annotated[float, BeforeValidator(_number)]
#: A whole number that is not a bool.
Whole = Annotated[int, BeforeValidator(_whole)]
#: true or false, nothing else ("ja", 1 and "yes" are refused).
Flag = Annotated[bool, _exact()]


def describe(value: Any) -> str:
    """How a wrong value is named in a message: 'true (yes/no)', 'a list', 'the text 'x''."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, (list, tuple)):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return f"the text {value!r}"
    return repr(value)


def validate(schema: type[T], data: Any, file: str) -> T:
    """Validate ``data`` (as loaded by load_yaml) against ``schema`` (a model class or a type
    such as ``list[Entry]``); return the validated value or raise ContentError with one
    Problem per error, each at the file and line where it stands."""
    try:
        result: T = _adapter(schema).validate_python(data)
        return result
    except ValidationError as err:
        raise ContentError(problems(err, data, file, schema)) from None


def validate_each(schema: type[T], items: Sequence[Any], file: str,
                  where: str = "") -> tuple[list[T | None], list[Problem]]:
    """Validate every item of a list on its own, so that one bad item does not hide the
    others' checks: (the item or None per item, the problems of all items). ``where`` names
    the list in messages (``entries`` gives ``entries[3].spoken: ...``)."""
    adapter, out, found = _adapter(schema), [], []
    for index, item in enumerate(items):
        try:
            out.append(adapter.validate_python(item))
        except ValidationError as err:
            out.append(None)
            prefix = (f"{where}[{index + 1}]",) if where else ()
            line = items.line_at(index) if isinstance(items, LineList) else 0
            found += problems(err, item, file, schema, prefix, line or 1)
    return out, found


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(schema: Any) -> TypeAdapter[Any]:
    key = repr(schema)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(schema)
    return _ADAPTERS[key]


def problems(err: ValidationError, data: Any, file: str, schema: Any = None,
             prefix: tuple[Any, ...] = (), default_line: int = 1) -> list[Problem]:
    """Each error of ``err`` as a Problem at the line of the key or item it is about, in line
    order; the branches of a union that all failed at one place become one message."""
    by_place: dict[tuple[Any, ...], list[str]] = {}
    for error in err.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        message = _message(error, loc, schema, prefix)
        if message not in by_place.setdefault(loc, []):
            by_place[loc].append(message)
    out = [Problem(file, line_of(data, loc, default_line), _merged(messages))
           for loc, messages in by_place.items()]
    return sorted(out, key=lambda p: p.line)


def _merged(messages: list[str]) -> str:
    """'x: must be a text, not 2.5' + 'x: must be a whole number, not 2.5' ->
    'x: must be a text or a whole number, not 2.5'."""
    parts = [m for m in (re.fullmatch(r"(.*?)must be (.*), (not .*)", m) for m in messages) if m]
    if len(messages) < 2 or len(parts) < len(messages):
        return "; ".join(messages)
    head, tail = parts[0].group(1), parts[0].group(3)
    return f"{head}must be {' or '.join(p.group(2) for p in parts)}, {tail}"


def _is_union_tag(part: Any) -> bool:
    """pydantic adds the branch's type name (``'str'``, ``'function-before[...]'``) to the
    location of an error inside a union; those are not keys of the data."""
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool",
                                                                "list[str]", "none"})


def line_of(data: Any, loc: Sequence[Any], default: int = 1) -> int:
    """The line of the deepest part of ``loc`` that exists in ``data``."""
    node, line = data, getattr(data, "line", 0) or default
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line, node = node.line_at(part), node[part]
        else:
            break
    return line


def _path(loc: Sequence[Any]) -> str:
    shown = ""
    for part in loc:
        shown += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def _message(error: Any, loc: Sequence[Any], schema: Any, prefix: tuple[Any, ...] = ()) -> str:
    kind, where = error["type"], _path(prefix + tuple(loc))
    if kind == "missing":
        parent = _path(prefix + tuple(loc[:-1]))
        return f"missing field {loc[-1]!r}" + (f" in {parent}" if parent else "")
    if kind == "extra_forbidden":
        known = _known_fields(schema, loc[:-1])
        hint = f"; known: {', '.join(known)}" if known else ""
        parent = _path(prefix + tuple(loc[:-1]))
        return f"unknown field {loc[-1]!r}" + (f" in {parent}" if parent else "") + hint
    text = str(error["msg"])
    if kind == "value_error":
        text = text.removeprefix("Value error, ")
    elif kind == "literal_error":
        text = "must be " + text.removeprefix("Input should be ")
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        fields = _known_fields(schema, loc)
        text = ("must be a mapping" + (f" ({', '.join(fields)})" if fields else "")
                + f", not {describe(error.get('input'))}")
    elif kind.endswith("_type"):
        wanted = text.removeprefix("Input should be ").removeprefix("a valid ")
        text = f"must be {_article(wanted)}, not {describe(error.get('input'))}"
    elif kind == "too_short" and error.get("ctx", {}).get("min_length") == 1:
        text = "must not be empty"
    elif kind == "finite_number":
        text = f"must be a finite number, not {error.get('input')}"
    elif kind in _BOUNDS:
        [limit] = error.get("ctx", {}).values() or [""]
        text = f"must be {_BOUNDS[kind]} {_number_text(limit)}, not {_number_text(error.get('input'))}"
    return f"{where}: {text}" if where else text


def _number_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_BOUNDS = {"greater_than": "more than", "greater_than_equal": "at least",
           "less_than": "less than", "less_than_equal": "at most"}


def _article(wanted: str) -> str:
    wanted = {"dictionary": "mapping", "integer": "whole number", "boolean": "true or false",
              "string": "text", "list": "list", "tuple": "list"}.get(wanted, wanted)
    return wanted if wanted.startswith(("a ", "an ", "true")) else f"a {wanted}"


def _known_fields(schema: Any, loc: Sequence[Any]) -> list[str]:
    """Field names of the model that ``loc`` points into, when it can be followed."""
    current = schema
    for part in (*loc, None):
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            names = {field.alias or name: field for name, field in current.model_fields.items()}
            if part is None:
                return list(names)
            field = names.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) in (list, tuple, dict) and part is not None:
            args = get_args(current)  # list[X], tuple[X, ...], dict[K, X]
            current = (args[-1] if get_origin(current) is dict else args[0]) if args else None
        else:
            return []
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the model or container inside."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        args = [a for a in get_args(annotation) if a is not type(None)]
        if origin is not None and origin not in (list, tuple, dict) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


__all__ = ["Field", "Flag", "Items", "Number", "Strict", "Text", "Whole", "describe", "line_of", "problems",
           "validate", "validate_each"]
