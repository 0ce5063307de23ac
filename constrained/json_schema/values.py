"""Whole JSON values: a depth-bounded "any value" and the spellings of one given value (for enum/const)."""

from __future__ import annotations

import json
import math
from typing import Any

from constrained.regex_ast import NOTHING, Node, alt, chars, literal, optional, repeat, seq

from .numbers import NUMBER
from .property_order import MAX_ANY_ORDER, members_in_any_order
from .strings import exact_string, quoted, string_body

ANY_STRING = quoted(string_body())
SCALARS = alt(literal("null"), literal("true"), literal("false"), NUMBER, ANY_STRING)


def container(open_: str, member: Node, close: str, ws: Node) -> Node:
    """``open ws [member ws ("," ws member ws)*] close`` with one whitespace run per gap."""
    item = seq(member, ws)
    return seq(chars(open_), ws, optional(seq(item, repeat(seq(chars(","), ws, item), 0, None))), chars(close))


def any_value(depth: int, ws: Node) -> Node:
    """Any JSON value with at most ``depth`` levels of nested arrays/objects (stricter than "any JSON").

    The bound is what keeps the language regular; a ``depth`` of 0 admits scalars only.
    """
    if depth <= 0:
        return SCALARS
    inner = any_value(depth - 1, ws)
    pair = seq(ANY_STRING, ws, chars(":"), ws, inner)
    return alt(SCALARS, container("[", inner, "]", ws), container("{", pair, "}", ws))


def any_value_body(ws: Node, ref: Node) -> Node:
    """The body of the recursive "any JSON value" rule, where ``ref`` stands for the rule itself (no bound)."""
    pair = seq(ANY_STRING, ws, chars(":"), ws, ref)
    return alt(SCALARS, container("[", ref, "]", ws), container("{", pair, "}", ws))


def number_spellings(value: int | float) -> list[str]:
    """Texts of a number; integral values also get their ``1`` / ``1.0`` twin (the caller re-validates)."""
    if isinstance(value, float) and not math.isfinite(value):
        return []
    out = [json.dumps(value)]
    if float(value).is_integer() and abs(value) < 2**53:
        out += [str(int(value)), f"{int(value)}.0"]
    return [t for t in dict.fromkeys(out) if t != "-0" and t != "-0.0"] or ["0"]


def widest_object(value: Any) -> int:
    """The most keys of any object inside the JSON ``value`` (0 when it holds none)."""
    if isinstance(value, dict):
        return max([len(value), *(widest_object(v) for v in value.values())])
    if isinstance(value, list):
        return max([0, *(widest_object(v) for v in value)])
    return 0


def value_node(value: Any, ws: Node, any_order: bool = False) -> Node:
    """Every text (whitespace per ``ws``, object keys in the given order) that parses to ``value``.

    Numbers are spelled only as ``json.dumps`` writes them (the caller adds validated twins at top level). With
    ``any_order``, objects of up to ``MAX_ANY_ORDER`` keys may list them in any order (larger ones keep theirs).
    """
    if value is None:
        return literal("null")
    if value is True:
        return literal("true")
    if value is False:
        return literal("false")
    if isinstance(value, int | float):
        return literal(json.dumps(value)) if math.isfinite(value) else NOTHING
    if isinstance(value, str):
        return exact_string(value)
    comma = seq(chars(","), ws)
    if isinstance(value, list):
        items = [seq(value_node(v, ws, any_order), ws) for v in value]
        inner = [items[0]] + [seq(comma, i) for i in items[1:]] if items else []
        return seq(chars("["), ws, *inner, chars("]"))
    if isinstance(value, dict):
        pairs = [seq(exact_string(k), ws, chars(":"), ws, value_node(v, ws, any_order), ws) for k, v in value.items()]
        if any_order and 1 < len(pairs) <= MAX_ANY_ORDER:
            return seq(chars("{"), ws, members_in_any_order([(p, True) for p in pairs], NOTHING, comma), chars("}"))
        inner = [pairs[0]] + [seq(comma, p) for p in pairs[1:]] if pairs else []
        return seq(chars("{"), ws, *inner, chars("}"))
    return NOTHING
