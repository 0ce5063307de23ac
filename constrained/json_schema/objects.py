"""Objects: declared properties in schema order, then (when allowed) extra properties.

Language, with ``P_i = key_i ws ":" ws value_i ws`` and separators ``"," ws``::

    "{" ws  [P_a ("," ws P_b)* ...]  ("," ws EXTRA)*  "}"

Each declared property appears at most once, in schema order; required ones must appear. Extra properties
(``additionalProperties`` absent, true or a schema) come after the declared ones, under keys whose *decoded*
text differs from every declared name (so no extra key can shadow a declared one); their value is the
``additionalProperties`` schema, or any value of bounded depth when it is absent/true.

Commas: the suffix "properties i.. with something already emitted" (T_i) is linear; the prefix "nothing
emitted yet" (H_i) chooses the first emitted property, which shares the T suffixes, so the node DAG stays
linear; only its tree expansion grows with the number of *leading* optional properties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constrained.errors import UnsupportedFeature
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, optional, repeat, seq

from .scalars import parse_key_pattern
from .strings import encode_pattern, exact_string, node_matches, quoted, string_not_in

if TYPE_CHECKING:
    from .lower import Lowerer


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def object_node(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node:
    """The object texts allowed by ``schema``'s object keywords."""
    ws = lw.ws
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    addl = schema.get("additionalProperties")
    names = list(props) + [r for r in schema.get("required", []) if r not in props]

    def member(key: Node, value: Node) -> Node:
        return seq(key, ws, chars(":"), ws, value, ws)

    entries: list[tuple[Node, bool]] = []
    for name in names:
        if name in props:
            sub, sub_ptr = props[name], f"{ptr}/properties/{_escape(name)}"
        else:  # required but undeclared: its value is governed by additionalProperties
            sub, sub_ptr = (True if addl is None else addl), f"{ptr}/additionalProperties"
        value = lw.lower(sub, sub_ptr, res)
        if value == NOTHING:
            if name in required:
                return NOTHING
            continue  # an optional property that can never be valid is simply never emitted
        entries.append((member(exact_string(name), value), name in required))

    extra: Node = NOTHING
    patterns = schema.get("patternProperties") or {}
    if patterns:
        extra = _pattern_members(lw, patterns, names, member, ptr, res)
    elif addl is not False and (addl is not None or lw.extra_properties):
        value = lw.lower(True if addl is None else addl, f"{ptr}/additionalProperties", res)
        if value != NOTHING:
            extra = member(string_not_in(names), value)

    sep = seq(chars(","), ws)
    # tail: the declared properties after i, something already emitted (each preceded by a comma);
    # first: a non-empty run of declared properties from i with nothing emitted before (no leading comma).
    tail: Node = EMPTY
    first: Node = NOTHING
    for node, is_required in reversed(entries):
        if is_required:
            tail, first = seq(sep, node, tail), seq(node, tail)
        else:
            tail, first = seq(optional(seq(sep, node)), tail), alt(seq(node, tail), first)
    all_optional = not any(req for _, req in entries)
    if extra == NOTHING:
        body = optional(first) if all_optional else first
    else:
        # The extras appear once after a non-empty declared part and once alone, instead of inside every
        # tail: they hold an "any value" node, which would otherwise be copied once per optional property.
        more = repeat(seq(sep, extra), 0, None)
        parts = [seq(first, more)]
        if all_optional:
            parts.append(optional(seq(extra, more)))
        body = alt(*parts)
    return seq(chars("{"), ws, body, chars("}"))


def _pattern_members(lw: Lowerer, patterns: dict, names: list[str], member: Any, ptr: str, res: Any) -> Node:
    """Extra members for one ``patternProperties`` entry; NOTHING when refused in lenient mode.

    Exact for the keys it admits: a single pattern, which no declared name matches (so a key is governed by
    exactly one schema). Keys matching neither a declared name nor the pattern are not admitted at all
    (stricter than ``additionalProperties``, which would govern them): that needs a regex complement.
    """
    where = f"{ptr}/patternProperties"
    if len(patterns) != 1:
        lw.refuse("patternProperties", where, "more than one pattern (keys may match several)")
        return NOTHING
    (text, sub), = patterns.items()
    try:
        decoded = parse_key_pattern(text, where)
    except UnsupportedFeature as exc:
        lw.refuse(exc.keyword, exc.pointer, exc.reason)
        return NOTHING
    clash = [n for n in names if node_matches(decoded, n)]
    if clash:
        lw.refuse("patternProperties", where, f"declared property {clash[0]!r} also matches the pattern")
        return NOTHING
    value = lw.lower(sub, f"{where}/{_escape(text)}", res)
    return NOTHING if value == NOTHING else member(quoted(encode_pattern(decoded)), value)
