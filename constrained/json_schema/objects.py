"""Objects: declared properties in schema order, then (when allowed) extra properties.

With ``property_order="any"`` the members may come in any order instead (``property_order.py``); objects with
more than ``MAX_ANY_ORDER`` declared properties are then a loop of members whose keys a run-time check keeps
distinct and complete (``key_plan.py``).

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

from constrained.dfa_ops import difference, intersection, is_empty
from constrained.errors import UnsupportedFeature
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, chars, optional, repeat, seq

from .places import KeySet, ObjectNote
from .property_count import counted_body
from .property_order import MAX_ANY_ORDER, any_order_body, member_loop
from .rules import is_regular
from .scalars import parse_key_pattern
from .strings import encode_pattern, exact_string, node_matches, quoted, string_not_in

if TYPE_CHECKING:
    from .lower import Lowerer


_KEY_SECONDS = 2.0  # budget for one key-language product
MAX_PATTERN_REGIONS = 16  # key regions of overlapping patternProperties (each a set of patterns its keys match)


def _refine(regions: list[tuple[Node, list[str]]], key: Node, text: str) -> list[tuple[Node, list[str]]]:
    """The key regions after one more pattern: each old region split by ``key``, and the keys only it matches."""
    out: list[tuple[Node, list[str]]] = []
    rest = key
    for region, texts in regions:
        for part, owners in ((intersection(region, key, max_seconds=_KEY_SECONDS), [*texts, text]),
                             (difference(region, key, max_seconds=_KEY_SECONDS), texts)):  # fmt: skip
            if not is_empty(part, max_seconds=_KEY_SECONDS):
                out.append((part, owners))
        rest = difference(rest, region, max_seconds=_KEY_SECONDS)
    if not is_empty(rest, max_seconds=_KEY_SECONDS):
        out.append((rest, [text]))
    return out


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def object_node(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node:
    """The object texts allowed by ``schema``'s object keywords."""
    ws = lw.ws
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    addl = _additional(schema)
    names = list(props) + [r for r in schema.get("required", []) if r not in props]

    def member(key: Node, value: Node) -> Node:
        return seq(key, ws, chars(":"), ws, value, ws)

    patterns = schema.get("patternProperties") or {}
    parsed = {}
    for text in patterns:
        try:
            parsed[text] = parse_key_pattern(text, f"{ptr}/patternProperties")
        except UnsupportedFeature:
            continue  # refused (or weakened) with its pointer by _extra_members
    entries: list[tuple[Node, bool]] = []
    kept: list[str] = []  # the names of ``entries``
    for name in names:
        if not _name_allowed(lw, schema, name, ptr, res):
            if name in required:
                return NOTHING
            continue
        matching = [patterns[text] for text, decoded in parsed.items() if node_matches(decoded, name)]
        if name in props:
            sub, sub_ptr = props[name], f"{ptr}/properties/{_escape(name)}"
        elif matching:  # required, undeclared, matched by a pattern: the pattern schemas govern it
            sub, sub_ptr = True, f"{ptr}/patternProperties"
        else:  # required but undeclared: its value is governed by additionalProperties
            sub, sub_ptr = (True if addl is None else addl), f"{ptr}/additionalProperties"
        if matching:  # a name matched by patterns must satisfy their schemas too
            sub = {"allOf": [sub, *matching]}
        with lw.under(KeySet(name)):
            value = lw.lower(sub, sub_ptr, res)
        if value == NOTHING:
            if name in required:
                return NOTHING
            continue  # an optional property that can never be valid is simply never emitted
        entries.append((member(exact_string(name), value), name in required))
        kept.append(name)

    extra_keys: list[Node] = []

    def extra_member(key: Node, value: Node) -> Node:
        extra_keys.append(key)
        return member(key, value)

    extra = _extra_members(lw, schema, names, extra_member, ptr, res)
    sep = seq(chars(","), ws)
    lo, hi = int(schema.get("minProperties", 0)), schema.get("maxProperties")
    counted = lo > 0 or hi is not None
    if lw.any_order and len(entries) + (extra != NOTHING) > 1:
        if (len(entries) > MAX_ANY_ORDER or ptr in lw.loop_also) and not counted:
            keys = alt(*(exact_string(name) for name in kept), *extra_keys)
            members = tuple(zip(kept, (node for node, _ in entries), strict=True))
            excluded = frozenset(names) - set(kept)
            note = ObjectNote((), keys, frozenset(required & set(kept)), ptr, members, excluded, extra)
            if lw.note_checked_object(note):
                return seq(chars("{"), ws, member_loop(entries, extra, sep), chars("}"))
        make_rule = lw.new_rule if lw.exact_recursion else None  # exact_recursion=False promises a regular result
        body_any = None if counted else any_order_body(entries, extra, sep, make_rule)
        lw.note_free_object(pointer=None if counted or ptr in lw.keep_order else ptr)
        if body_any is not None:
            return seq(chars("{"), ws, body_any, chars("}"))
        lw.bounds_hit.append(f"{ptr}/properties")  # kept in schema order: stricter, and reported
    else:
        lw.note_free_object()
    if counted:
        try:
            body = counted_body(entries, extra, sep, lo, None if hi is None else int(hi), ptr)
        except UnsupportedFeature as exc:
            lw.refuse(exc.keyword, exc.pointer, exc.reason)  # lenient: the count is dropped (reported)
        else:
            return seq(chars("{"), ws, body, chars("}"))
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


def _additional(schema: dict) -> Any:
    """The schema for undeclared keys: ``additionalProperties``, else ``unevaluatedProperties`` (None: absent).

    After ``$ref``/``allOf`` merging every evaluating keyword is in this one object, so an unevaluated key is
    exactly an additional one; ``anyOf``/``oneOf`` branches are merged with it one by one, which only leaves
    out keys another valid branch would have evaluated (stricter, never weaker).
    """
    if "additionalProperties" in schema:
        return schema["additionalProperties"]
    return schema.get("unevaluatedProperties")


def _name_allowed(lw: Lowerer, schema: dict, name: str, ptr: str, res: Any) -> bool:
    """Whether a declared property name satisfies ``propertyNames`` (checked by the validator)."""
    names_schema = schema.get("propertyNames", True)
    if names_schema is True or names_schema == {}:
        return True
    return lw.valid(name, names_schema, res)


def _key_filter(lw: Lowerer, schema: dict, ptr: str, res: Any) -> Node | None:
    """The quoted key texts ``propertyNames`` allows (None: no restriction); refused when not regular."""
    names_schema = schema.get("propertyNames", True)
    if names_schema is True or names_schema == {}:
        return None
    # Keys are strings: lowering the name schema for strings only keeps it regular.
    node = lw.lower({"allOf": [{"type": "string"}, names_schema]}, f"{ptr}/propertyNames", res)
    if not is_regular(node):
        lw.refuse("propertyNames", f"{ptr}/propertyNames", "the name schema is not regular")
        return None
    return node


def _extra_members(lw: Lowerer, schema: dict, names: list[str], member: Any, ptr: str, res: Any) -> Node:
    """Members under undeclared keys: one kind per ``patternProperties`` entry, then ``additionalProperties``.

    Exact: undeclared keys are split into regions by the set of patterns they match, and a region's values
    must be valid against all of those patterns' schemas (declared names matched by a pattern are members of
    their own, see ``object_node``); keys matching no
    pattern take ``additionalProperties`` (absent: any value), and ``propertyNames`` restricts every key. Key
    languages are combined with DFA products (``dfa_ops``).
    """
    addl = _additional(schema)
    patterns = schema.get("patternProperties") or {}
    where = f"{ptr}/patternProperties"
    key_filter = _key_filter(lw, schema, ptr, res)
    kinds: list[tuple[Node, Node]] = []  # (quoted key language, value node)
    pattern_keys: list[Node] = []
    # Keys split into regions by the set of patterns they match: a key matching several patterns must be valid
    # against each of their schemas. Refined one pattern at a time; empty regions are dropped.
    regions: list[tuple[Node, list[str]]] = []
    decoded_of: dict[str, Node] = {}
    for text in patterns:
        try:
            decoded = decoded_of[text] = parse_key_pattern(text, where)
        except UnsupportedFeature as exc:
            lw.refuse(exc.keyword, exc.pointer, exc.reason)
            return NOTHING
        key = quoted(encode_pattern(decoded))
        if any(node_matches(decoded, n) for n in names):  # declared names are members of their own
            key = intersection(key, string_not_in(names), max_seconds=_KEY_SECONDS)
        regions = _refine(regions, key, text)
        if len(regions) > MAX_PATTERN_REGIONS:
            lw.refuse("patternProperties", where, f"patterns overlap in more than {MAX_PATTERN_REGIONS} ways")
            return NOTHING
        pattern_keys.append(key)
    declared = frozenset(names)
    for key, texts in regions:
        subs = [patterns[t] for t in texts]
        sub_ptr = f"{where}/{_escape(texts[0])}"
        with lw.under(KeySet(matching=tuple(decoded_of[t] for t in texts), excluded=declared)):
            kinds.append((key, lw.lower(subs[0] if len(subs) == 1 else {"allOf": subs}, sub_ptr, res)))
    if addl is not False and (addl is not None or lw.extra_properties or patterns):
        key = string_not_in(names)
        if pattern_keys:
            key = difference(key, alt(*pattern_keys), max_seconds=_KEY_SECONDS)
        with lw.under(KeySet(avoiding=tuple(decoded_of.values()), excluded=declared)):
            kinds.append((key, lw.lower(True if addl is None else addl, f"{ptr}/additionalProperties", res)))
    members = []
    for key, value in kinds:
        if value == NOTHING or key == NOTHING:
            continue
        if key_filter is not None:
            key = intersection(key, key_filter, max_seconds=_KEY_SECONDS)
        members.append(member(key, value))
    return alt(*members) if members else NOTHING
