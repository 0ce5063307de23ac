"""JSON Schema -> regular-expression AST over the schema's JSON texts (exact, or refused).

Entry point::

    lowered = lower_json_schema(schema, whitespace="flexible", lenient=False)
    lowered.node      # regex_ast node over the JSON text (full match)
    lowered.weakened  # what lenient mode dropped instead of refusing

Soundness: every text the node matches parses to an instance valid against the schema. Stricter-than-schema
choices, all documented in their modules: properties in schema order with extras last (unless
``property_order="any"``); ``integer`` written
without fraction/exponent; bounded ``number`` written without exponent; ``-0`` never produced; whitespace
bounded (see ``whitespace.py``); format patterns are subsets of their RFCs (``formats.py``).
Recursion is exact by default: a recursive ``$ref`` and "any value" become grammar rules (``rules``, compiled
by ``compile.compile_lowered`` with the Earley path); with ``exact_recursion=False`` they are unrolled to
``max_ref_depth`` / ``any_depth`` instead (a stated bound). Recursion that only closes through merged siblings
keeps the unroll bound and is listed in ``bounded``. Intersections and complements (pattern with lengths,
``not``, ``contains``, ``patternProperties`` keys) are DFA products (``constrained.dfa_ops``).
The keyword decisions live in ``policy.POLICY``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from constrained.errors import InvalidConstraint
from constrained.regex_ast import Node

from .exact_multiple import with_exact_multiple_of
from .key_plan import plan_key_checks
from .lower import Lowerer, TooManyObjectNotes
from .rules import used_rules
from .run_time_checks import RunTimeChecks
from .unique_plan import plan_unique_checks
from .whitespace import whitespace_node

PROPERTY_ORDERS = ("schema", "any")
MAX_LOWERINGS = 4  # the last one keeps every wide object in schema order
FORMAT_MODES = ("assert", "annotation")


@dataclass(frozen=True)
class Weakening:
    """A keyword at a JSON pointer that is not checked, and why.

    Dropped by ``lenient=True`` instead of refused (``weakened``), or carrying no check at all (``ignored``: an
    unknown ``format`` name is an annotation).
    """

    keyword: str
    pointer: str
    reason: str


@dataclass(frozen=True)
class LoweredSchema:
    """The lowering result: the node over JSON texts and the weakenings (empty unless lenient)."""

    node: Node
    weakened: list[Weakening] = field(default_factory=list)
    rules: dict[str, Node] = field(default_factory=dict)
    bounded: list[str] = field(default_factory=list)
    ignored: list[Weakening] = field(default_factory=list)
    checks: RunTimeChecks | None = None  # distinct items and object keys checked while generating

    @property
    def regular(self) -> bool:
        """True when ``node`` is a plain regex; else it holds ``RuleRef``s into ``rules`` (a grammar)."""
        return not self.rules


def lower_json_schema(
    schema: dict | bool | str,
    *,
    whitespace: str | Node = "flexible",
    lenient: bool = False,
    any_depth: int = 2,
    max_ref_depth: int = 3,
    extra_properties: bool = True,
    exact_recursion: bool = True,
    property_order: str = "schema",
    formats: str = "assert",
    resources: dict[str, Any] | None = None,
) -> LoweredSchema:
    """Lower a JSON Schema to a regex AST over the JSON texts it accepts.

    Args:
        schema: the schema as a dict/bool or as JSON text.
        whitespace: ``"compact"``, ``"flexible"`` (bounded, see ``whitespace.py``) or a bounded regex node.
        lenient: drop unsupported keywords (reported in ``weakened``) instead of raising.
        any_depth: how many containers deep an unconstrained value ("any JSON") may nest.
        max_ref_depth: how many times one recursive ``$ref`` is unrolled before deeper nesting is refused.
        extra_properties: when False, objects without ``additionalProperties`` admit only declared keys
            (stricter, smaller automata).
        exact_recursion: recursive ``$ref`` and "any value" become grammar rules (``rules``, no depth bound);
            when False they are unrolled to ``max_ref_depth`` / ``any_depth`` and the result is always regular.
        property_order: ``"schema"`` (declared properties in the schema's order, extras after them) or
            ``"any"`` (any order, extras anywhere; objects with more than 8 declared properties are checked at
            run time for repeated and missing keys. Objects with min/maxProperties, and wide objects the check
            cannot tell apart from other objects at their place, keep schema order and are listed in
            ``bounded``).
        formats: ``"assert"`` (default: every format ``formats.py`` knows is checked, as the Format-Assertion
            vocabulary asks; a generator asked for a date-time should write one) or ``"annotation"`` (2020-12's
            default vocabulary: ``format`` checks nothing; each one is listed in ``ignored``). Either way a
            ``format`` name that neither JSON Schema nor OpenAPI defines is an annotation (validators ignore
            it) and is listed in ``ignored``.
        resources: other schema documents by URI, for ``$ref``s that leave this one (nothing is fetched).

    Raises:
        InvalidConstraint: the schema is not JSON or fails its meta-schema.
        UnsupportedFeature: a keyword cannot be enforced exactly. With ``lenient`` only structural problems
            still raise (unresolvable or remote ``$ref``, ``$ref`` siblings across resources).
    """
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except json.JSONDecodeError as exc:
            raise InvalidConstraint(f"schema is not valid JSON: {exc}") from exc
    if not isinstance(schema, dict | bool):
        raise InvalidConstraint("a schema must be an object or a boolean")
    cls: Any = with_exact_multiple_of(validator_for(schema, default=jsonschema.Draft202012Validator))
    try:
        # No format checks: the meta-schema's "regex" format would judge ECMA patterns with Python's ``re``
        # (which lacks ``\p{Letter}``); our own parser reports an invalid pattern with its pointer.
        cls.check_schema(schema, format_checker=None)
    except jsonschema.SchemaError as exc:
        where = "/" + "/".join(str(p) for p in exc.absolute_path) if exc.absolute_path else ""
        raise InvalidConstraint(f"schema fails its meta-schema: {exc.message}", where) from exc
    if property_order not in PROPERTY_ORDERS:
        raise InvalidConstraint(f"property_order must be one of {', '.join(PROPERTY_ORDERS)}, not {property_order!r}")
    check_resources(resources)
    if formats not in FORMAT_MODES:
        raise InvalidConstraint(f"formats must be one of {', '.join(FORMAT_MODES)}, not {formats!r}")
    keep_order: frozenset[str] = frozenset()
    loop_also: frozenset[str] = frozenset()
    too_many = False
    for attempt in range(MAX_LOWERINGS):
        # Wide objects in any order are checked at run time where the check can find them; the others are
        # lowered again in schema order, and small objects at a loop's place as loops too (``key_plan.py``),
        # until every member loop left has its check.
        lw = Lowerer(
            schema,
            cls,
            whitespace_node(whitespace),
            lenient,
            any_depth,
            max_ref_depth,
            extra_properties,
            exact_recursion,
            property_order,
            formats == "assert",
            resources,
            keep_order,
            member_loops=attempt < MAX_LOWERINGS - 1 and not too_many,
            loop_also=loop_also,
        )
        try:
            node = lw.lower(schema, "", lw.resolver)
        except TooManyObjectNotes:
            too_many = True  # lowered again without member loops: wide objects keep schema order (reported)
            continue
        keys, unusable, loops = plan_key_checks(lw)
        if not unusable and not loops:
            break
        keep_order |= unusable
        loop_also |= loops
    unique = plan_unique_checks(lw)
    checks = RunTimeChecks(unique, keys) if unique is not None or keys is not None else None
    rules = used_rules(node, lw.rules)
    bounded = sorted(set(lw.bounds_hit))
    ignored = [Weakening(*w) for w in dict.fromkeys(lw.ignored)]
    return LoweredSchema(node, [Weakening(*w) for w in lw.weakened], rules, bounded, ignored, checks)


__all__ = ["FORMAT_MODES", "PROPERTY_ORDERS", "LoweredSchema", "Weakening", "check_resources", "lower_json_schema"]


def check_resources(resources: object) -> None:
    """Raise ``InvalidConstraint`` unless ``resources`` is None or maps URIs (str) to schema documents."""
    documents = resources.items() if isinstance(resources, dict) else ()
    if resources is not None and not (
        isinstance(resources, dict) and all(isinstance(u, str) and isinstance(d, dict | bool) for u, d in documents)
    ):
        raise InvalidConstraint("resources must map URIs (strings) to schema documents (objects or booleans)")
