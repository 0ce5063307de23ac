"""The walk: one schema (after ``$ref``/``allOf`` expansion) -> one regex-AST node over its JSON texts.

Dispatch: booleans; ``enum``/``const`` (the listed values that are valid against the whole schema, checked
with ``jsonschema``, so every sibling keyword is honoured exactly); ``anyOf``/``oneOf`` (siblings merged into
each branch); otherwise one node per admitted instance type, each built from that type's keywords.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from jsonschema import FormatChecker

from constrained.dfa_ops import difference, intersection, is_empty
from constrained.errors import BudgetExceeded, UnsupportedFeature
from constrained.regex_ast import NOTHING, Node, alt, literal

from .annotations import may_evaluate, restricting, unmodelled_sources
from .arrays import array_node
from .complement import complement
from .conditional import split_conditional
from .dependencies import KEYWORDS as DEPENDENCY_KEYWORDS
from .dependencies import has_dependencies, split_dependencies
from .merge import ALL_TYPES, CannotMerge, has_constraints, localize_unevaluated, merge, types_of
from .negation import (
    NEGATABLE_TYPES,
    NON_INTEGER_TEXTS,
    NON_INTEGER_TYPE,
    apply_not,
    exact_string_part,
    not_number_range,
    not_required,
)
from .objects import object_node
from .one_of import separate_branches
from .places import DEEP, ArrayNote, Mark, ObjectNote, PlaceNotes, Step, holds_array, holds_object, mentions_unique
from .policy import POLICY, STRUCTURAL, refusals
from .property_order import MAX_ANY_ORDER
from .refs import (
    Target,
    base_uri,
    document_resolver,
    dynamic_anchor_names,
    dynamic_scope,
    enter,
    mentions_dynamic,
    rebase,
    resolve,
    resolve_recursive,
    scope_declares,
)
from .rules import ANY_RULE, rule_ref
from .scalars import number_bounds, number_node, string_node
from .values import any_value, any_value_body, number_spellings, value_node, widest_object

_OLD_DRAFTS = ("draft-03", "draft-04", "draft-06", "draft-07")  # as the meta-schema URIs spell them
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Bound on subschema visits: recursive refs unrolled max_ref_depth times can still multiply (several
# self-references per level), so lowering stops with BudgetExceeded instead of running away.
MAX_SCHEMA_VISITS = 20_000
MAX_MEMO_CONTEXTS = 16  # recursion contexts remembered per subschema
# Object places noted for the key checks; past this (a schema reusing big definitions very often) the lowering
# starts over without member loops (``TooManyObjectNotes``), as the notes would cost more than they give.
MAX_OBJECT_NOTES = 20_000
PROOF_DEPTH = 2  # levels of properties/items a oneOf disjointness proof looks into
PROOF_MAX_STATES = 20_000  # a proof that two string languages do not meet gives up past these (not proven)
PROOF_MAX_SECONDS = 1.0
# A memoized lowering: (schema, refs its lowering followed, their active counts then, node, and where it put
# arrays and objects relative to the place it was lowered at).
_MemoEntry = tuple[Any, frozenset[int], frozenset[tuple[int, int]], Node, PlaceNotes]
_TYPE_ORDER = ("null", "boolean", "object", "array", "string", "number", "integer")


class TooManyObjectNotes(Exception):  # noqa: N818 -- control flow
    """Raised when a lowering with member loops notes more than ``MAX_OBJECT_NOTES`` object places."""


class Lowerer:
    """State of one lowering: options, the document's resolver, active references, weakenings."""

    def __init__(
        self,
        root: Any,
        validator_cls: Any,
        ws: Node,
        lenient: bool,
        any_depth: int,
        max_ref_depth: int,
        extra_properties: bool,
        exact_recursion: bool = True,
        property_order: str = "schema",
        assert_formats: bool = True,
        resources: dict[str, Any] | None = None,
        keep_order: frozenset[str] = frozenset(),
        member_loops: bool = True,
        loop_also: frozenset[str] = frozenset(),
    ) -> None:
        self.ws = ws
        self.assert_formats = assert_formats
        # (keyword, pointer, reason) of keywords that check nothing (annotations), reported in describe().
        self.ignored: list[tuple[str, str, str]] = []
        self.any_order = property_order == "any"
        # Wide objects in any order are member loops checked at run time (``key_plan.py``), except these (JSON
        # pointers of object schemas), kept in schema order because a check could not tell them apart.
        self.keep_order = keep_order
        self.loop_also = loop_also  # object schemas of few properties made member loops too (beside wide ones)
        self.exact_recursion = exact_recursion
        # Grammar rules for recursion (exact mode): rule name -> body node, ref key -> rule name.
        self.rules: dict[str, Node] = {}
        self._rule_names: dict[int, str] = {}
        self._ref_targets: dict[int, Any] = {}
        # Pointers where a recursive reference was cut at max_ref_depth (a stated bound: deeper is rejected).
        self.bounds_hit: list[str] = []
        self.lenient = lenient
        self.any_depth = any_depth
        self.max_ref_depth = max_ref_depth
        self.extra_properties = extra_properties
        self.validator_cls = validator_cls
        dialect = validator_cls.META_SCHEMA.get("$schema", "")
        self.old_draft = any(d in dialect for d in _OLD_DRAFTS)
        self.resolver, self.spec = document_resolver(root, dialect, resources)
        self.active: dict[int, int] = {}
        self.weakened: list[tuple[str, str, str]] = []
        self._any = rule_ref(ANY_RULE) if exact_recursion else any_value(any_depth, ws)
        if exact_recursion:
            self.rules[ANY_RULE] = any_value_body(ws, self._any)
        # (id(schema), base, inside a rule body while objects are tracked, exact recursion) -> memo entries.
        self._memo: dict[tuple[int, Any, bool, bool], list[_MemoEntry]] = {}
        # Dynamic references (``_follow``): keys of (target, base, dynamic scope), and the targets kept alive.
        self.dynamic = mentions_dynamic(root) or any(mentions_dynamic(d) for d in (resources or {}).values())
        self._scoped_keys: dict[tuple[int, str, tuple[str, ...]], int] = {}
        self._scoped_targets: list[Any] = []
        self._rebased: dict[tuple[int, str], tuple[Any, Any]] = {}  # (id, base) -> (schema kept alive, copy)
        # ``not`` by complement (``_not_by_complement``): schemas tried the usual way, negated schemas in progress.
        self._plain_not: set[int] = set()
        self._journal: list[Callable[[], Any]] | None = None  # undo actions of the ``_trial`` in progress
        self._complementing: Counter[str] = Counter()
        self._refs_seen: list[set[int]] = []  # per ``lower`` call in progress: the refs followed below it
        self.visits = 0
        # Where arrays and objects are emitted (``places.py``), for the run-time checks: the instance place being
        # lowered now, the notes, rules whose bodies emit arrays / objects, checked objects noted inside a rule
        # body (their places are lost: those must keep schema order). Arrays are only tracked when the document
        # has a uniqueItems at all, objects only in any order (the notes cost time on big schemas).
        self.track_places = mentions_unique(root) or any(mentions_unique(d) for d in (resources or {}).values())
        self.track_objects = self.any_order and member_loops
        self.place: list[Step] = []
        self.notes = PlaceNotes()
        self._rules_with_arrays: set[str] = set()
        self._rules_with_objects: set[str] = set()
        self.unplaced_objects: set[str] = set()
        self._rule_depth = 0

    # --- refusals ---------------------------------------------------------------------------------------

    def refuse(self, keyword: str, pointer: str, reason: str) -> None:
        """Raise ``UnsupportedFeature``, or in lenient mode record a weakening and return (caller drops it)."""
        if not self.lenient:
            raise UnsupportedFeature(keyword, pointer, reason)
        self.weakened.append((keyword, pointer, reason))

    def valid(self, instance: Any, schema: Any, res: Any) -> bool:
        """Whether ``instance`` is valid against ``schema`` (formats as configured), refs resolved from ``res``."""
        checker = FormatChecker() if self.assert_formats else None
        validator = self.validator_cls(schema, format_checker=checker, _resolver=res)
        return bool(validator.is_valid(instance))

    # --- expansion of $ref and allOf ----------------------------------------------------------------------

    def expand(self, schema: Any, ptr: str, res: Any) -> tuple[Any, Any, list[int], str]:
        """Follow ``$ref`` and merge ``allOf`` until neither is at the top; returns the followed ref keys."""
        keys: list[int] = []
        for _ in range(64):
            if not isinstance(schema, dict):
                return schema, res, keys, ptr
            ref_keyword = next((k for k in _REF_KEYWORDS if k in schema), None)
            if ref_keyword is not None:
                target = self._follow(schema[ref_keyword], ref_keyword, res, f"{ptr}/{ref_keyword}")
                keys.append(target.key)
                self._ref_targets[target.key] = target.schema
                tres = target.resolver  # already inside the target (a lookup enters every $id on its way)
                siblings = {k: v for k, v in schema.items() if k != ref_keyword}
                if self.old_draft or not has_constraints(siblings):  # draft <= 7: $ref ignores siblings
                    schema, res, ptr = target.schema, tres, target.pointer
                    continue
                found = self._portable(target.schema, tres, res, ref_keyword, f"{ptr}/{ref_keyword}")
                held, siblings = _hold_unevaluated(siblings)
                merged = self._merge(siblings, found, ref_keyword, ptr)
                schema = self._restore(merged, held, ref_keyword, ptr)
                continue
            if (
                "allOf" in schema
                and len(schema["allOf"]) == 1
                and not has_constraints(_without(schema, "allOf"))
                and enter(schema["allOf"][0], res, self.spec) is res
            ):
                # A lone wrapper (``allOf: [{$ref}]`` plus annotations, no base change): follow it without
                # copying, so a recursive target is still recognized as itself below.
                schema, ptr = schema["allOf"][0], f"{ptr}/allOf/0"
                continue
            if "allOf" in schema:
                # unevaluated* next to allOf see the branches' evaluations: merged back after the branches.
                held, merged = _hold_unevaluated({k: v for k, v in schema.items() if k != "allOf"})
                for i, branch in enumerate(schema["allOf"]):
                    bptr = f"{ptr}/allOf/{i}"
                    bres = enter(branch, res, self.spec)
                    part, pres, pkeys, _ = self.expand(branch, bptr, bres)
                    part = self._portable(part, pres, res, "allOf", bptr)
                    keys += pkeys
                    for key in ("unevaluatedProperties", "unevaluatedItems"):
                        if isinstance(part, dict) and (part.get(key) is True or part.get(key) == {}):
                            held.pop(key, None)  # the branch evaluates everything: the outer keyword is moot
                    merged = self._merge(merged, localize_unevaluated(part), "allOf", bptr)
                schema = self._restore(merged, held, "allOf", ptr)
                continue
            return schema, res, keys, ptr
        raise UnsupportedFeature("$ref", ptr, "reference chain too long or cyclic without structure")

    def _follow(self, ref: Any, keyword: str, res: Any, ptr: str) -> Target:
        """Resolve a ``$ref``, ``$dynamicRef`` or ``$recursiveRef`` from ``res``.

        In a document with dynamic references a target's key also names the dynamic scope it was reached in:
        the same definition may resolve its ``$dynamicRef``s differently there, so it is another node (and
        recursion is recognized once the scope repeats, which it does: it holds each resource once).
        """
        if not isinstance(ref, str) or (keyword == "$recursiveRef" and ref != "#"):
            raise UnsupportedFeature(keyword, ptr, f"{keyword} must be a URI reference string ('#' for $recursiveRef)")
        target = resolve_recursive(res, ptr) if keyword == "$recursiveRef" else resolve(ref, res, ptr)
        if not self.dynamic:
            return target
        scoped = (target.key, base_uri(target.resolver), dynamic_scope(target.resolver))
        key = self._scoped_keys.get(scoped)
        if key is None:
            key = self._scoped_keys[scoped] = len(self._scoped_keys)
            self._scoped_targets.append(target.schema)  # keeps the schema alive while its id is part of a key
        return replace(target, key=key)

    def _portable(self, schema: Any, found_in: Any, into: Any, keyword: str, ptr: str) -> Any:
        """``schema`` (read with resolver ``found_in``) as it may be merged into a schema read with ``into``.

        Within one resource that is ``schema`` itself; from another its URIs are made absolute (``rebase``).
        Merging drops the other resource from the dynamic scope of the lookups inside it, which changes a
        ``$dynamicRef`` only when that resource declares a dynamic anchor no outer resource declares: refused.
        """
        if not isinstance(schema, dict) or base_uri(found_in) == base_uri(into):
            return schema
        if self.dynamic:
            for name in sorted(dynamic_anchor_names(found_in, self.spec)):
                if not scope_declares(into, name):
                    reason = f"merged across resources, its $dynamicAnchor {name!r} would leave the dynamic scope"
                    raise UnsupportedFeature(keyword, ptr, reason)
        key = (id(schema), base_uri(found_in))
        copy = self._rebased.get(key)
        if copy is None:
            copy = self._rebased[key] = (schema, rebase(schema, base_uri(found_in), self.spec))
        return copy[1]

    def _memo_scope(self, res: Any) -> Any:
        """What besides the schema a lowering depends on: its base URI, and the dynamic scope where that matters."""
        return (base_uri(res), dynamic_scope(res)) if self.dynamic else base_uri(res)

    def _restore(self, schema: Any, held: dict, keyword: str, ptr: str) -> Any:
        """Put held ``unevaluated*`` keywords back on a merged schema (refused when a branch had its own)."""
        if not held or not isinstance(schema, dict):
            return schema
        if any(k in schema for k in held):
            self.refuse(keyword, ptr, "unevaluated keywords on several levels cannot be combined exactly")
            return schema
        return {**schema, **held}

    def _merge(self, a: Any, b: Any, keyword: str, ptr: str) -> Any:
        for _ in range(64):
            try:
                return merge(a, b)
            except CannotMerge as exc:
                key = exc.args[0]
                self.refuse(keyword, ptr, f"cannot combine differing {key!r} exactly")
                # lenient: drop the keyword from both sides and try again (never accepts more than it reports)
                a = {k: v for k, v in a.items() if k != key} if isinstance(a, dict) else a
                b = {k: v for k, v in b.items() if k != key} if isinstance(b, dict) else b
        raise UnsupportedFeature(keyword, ptr, "cannot combine the schemas")

    # --- the walk -----------------------------------------------------------------------------------------

    def lower(self, schema: Any, ptr: str, res: Any) -> Node:
        """The node for ``schema`` found at JSON pointer ``ptr``, resolving refs from ``res``."""
        if schema is True:
            self.note_free(deep=True)
            self.note_free_object(deep=True)
            return self._any
        if schema is False:
            return NOTHING
        self.visits += 1
        if self.visits > MAX_SCHEMA_VISITS:
            raise BudgetExceeded("max_schema_visits", f"schema expands to more than {MAX_SCHEMA_VISITS} subschemas")
        # A subschema's node depends on the references being expanded around it only through the references its
        # own lowering follows (a cut or a rule where one is already active, by how many times). So a node is
        # reused wherever those have the same active counts as when it was built. Shared definitions are then
        # lowered once per recursion context, not once per path to them. (The memo keeps the schema object
        # alive, so its id cannot be recycled for another dict.)
        memo_key = (
            id(schema), self._memo_scope(res), self.track_objects and self._rule_depth > 0, self.exact_recursion
        )
        entries = self._memo.setdefault(memo_key, [])
        here = tuple(self.place)
        for _, followed, counts, node, notes in entries:
            if counts == self._active_counts(followed):
                self.notes.replay(notes, here)  # the same arrays and objects, here
                if self.track_objects and self.notes.object_count() > MAX_OBJECT_NOTES:
                    raise TooManyObjectNotes
                return node
        self._refs_seen.append(set())
        first = self.notes.mark()
        try:
            node = self._lower_fresh(schema, ptr, res)
        finally:
            seen = self._refs_seen.pop()
            if self._refs_seen:
                self._refs_seen[-1] |= seen
        if len(entries) < MAX_MEMO_CONTEXTS:
            followed = frozenset(seen)
            counts = self._active_counts(followed)
            entries.append((schema, followed, counts, node, self.notes.since(first, len(here))))
            self._on_undo(entries.pop)
        return node

    def _active_counts(self, refs: frozenset[int]) -> frozenset[tuple[int, int]]:
        """``(ref, times active)`` for each of ``refs`` being expanded now."""
        return frozenset((k, n) for k in refs if (n := self.active.get(k, 0)))

    def _lower_fresh(self, schema: Any, ptr: str, res: Any) -> Node:
        res = enter(schema, res, self.spec)
        schema, res, keys, ptr = self.expand(schema, ptr, res)
        self._refs_seen[-1].update(keys)
        if schema is True or schema is False:
            if schema:
                self.note_free(deep=True)
                self.note_free_object(deep=True)
            return self._any if schema else NOTHING
        if self.exact_recursion:
            for k in keys:
                target = self._ref_targets.get(k)
                if isinstance(target, dict) and target is schema and self.active.get(k, 0) >= 1:
                    return self._rule(k, target, ptr, res)
        return self._through(keys, ptr, lambda: self._lower_object(schema, ptr, res))

    def _through(self, keys: list[int], ptr: str, build: Callable[[], Node]) -> Node:
        """``build()`` with ``keys`` active (one more time each), or NOTHING past the unroll bound (reported)."""
        if any(self.active.get(k, 0) >= self.max_ref_depth for k in keys):
            self.bounds_hit.append(ptr)
            return NOTHING  # recursion unrolled max_ref_depth times: deeper instances are not admitted
        for k in keys:
            self.active[k] = self.active.get(k, 0) + 1
        try:
            return build()
        finally:
            for k in keys:
                self.active[k] -= 1

    def value_text(self, value: Any, ptr: str) -> Node:
        """Every text of the JSON ``value`` (objects in any key order when asked and small enough, else reported)."""
        if self.any_order and widest_object(value) > MAX_ANY_ORDER:
            self.bounds_hit.append(ptr)  # an object literal too wide for any order keeps its own: stricter, reported
        if holds_array(value):
            self.note_free(deep=True)
        if holds_object(value):
            self.note_free_object(deep=True)
        return value_node(value, self.ws, self.any_order)

    def new_rule(self, body: Node) -> Node:
        """A reference to a new grammar rule deriving ``body``."""
        name = f"r{len(self.rules)}"
        while name in self.rules:
            name += "_"
        self.rules[name] = body
        self._on_undo(lambda: self.rules.pop(name, None))
        return rule_ref(name)

    def _rule(self, key: int, schema: dict, ptr: str, res: Any) -> Node:
        """A reference to the grammar rule for a recursive target (its body lowered once, on first use)."""
        name = self._rule_names.get(key)
        if name is None:
            name = f"ref{len(self._rule_names)}"
            self._rule_names[key] = name
            self._on_undo(lambda: (self._rule_names.pop(key, None), self.rules.pop(name, None)))
            self.active[key] += 1  # inside the body, re-entering the target is again a rule reference
            self._rule_depth += 1
            first = self.notes.mark()
            try:
                self.rules[name] = self._lower_object(schema, ptr, res)
            finally:
                self.active[key] -= 1
                self._rule_depth -= 1
            # The body stands for every depth of the recursion, so the places it saw are not where its containers
            # are: its arrays and objects are free wherever it is used, and checks noted inside cannot apply.
            body = self.notes.since(first, 0)
            self.notes.rewind(first)
            if body.unique or body.free_arrays:
                self._rules_with_arrays.add(name)
            if body.checked_objects or body.free_objects:
                self._rules_with_objects.add(name)
            self.unplaced_objects.update(note.pointer for note in body.checked_objects)
            for note in body.unique:
                self.refuse("uniqueItems", note.pointer, "inside a recursive definition (checked only outside)")
        if name in self._rules_with_arrays:
            self.note_free(deep=True)
        if name in self._rules_with_objects:
            self.note_free_object(deep=True)
        return rule_ref(name)

    @contextmanager
    def regular(self) -> Iterator[None]:
        """Lower the enclosed subschemas to a regular node, as ``exact_recursion=False`` does.

        Recursion is unrolled ``max_ref_depth`` times and any value nests at most ``any_depth`` deep: stated bounds,
        which the caller reports.
        """
        saved = self.exact_recursion, self._any
        self.exact_recursion, self._any = False, any_value(self.any_depth, self.ws)
        try:
            yield
        finally:
            self.exact_recursion, self._any = saved

    @contextmanager
    def under(self, step: Step) -> Iterator[None]:
        """Lower the enclosed subschemas one instance step further down (a key set or ``places.INDEX``)."""
        self.place.append(step)
        try:
            yield
        finally:
            self.place.pop()

    def note_free(self, deep: bool = False) -> None:
        """Arrays here (``deep``: anywhere below too) may hold equal items: no uniqueness check may apply."""
        if self.track_places:
            self.notes.free_arrays.append((*self.place, DEEP) if deep else tuple(self.place))

    def note_unique(self, item: Node, pointer: str, min_items: int, open_kind: str | None) -> None:
        """The arrays here must have distinct items from ``item``'s language (checked at run time)."""
        self.notes.unique.append(ArrayNote(tuple(self.place), item, pointer, min_items, open_kind))

    def note_free_object(self, deep: bool = False, pointer: str | None = None) -> None:
        """Objects here (``deep``: anywhere below too) are not member loops: no key check may apply.

        ``pointer``: the object schema, when it could be lowered as a member loop too (``loop_also``).
        """
        if self.track_objects:
            self.notes.free_objects.append(((*self.place, DEEP) if deep else tuple(self.place), pointer))

    def note_checked_object(self, note: ObjectNote) -> bool:
        """Note objects here as a member loop whose keys are checked at run time; False when that is not allowed.

        ``note.place`` is replaced by the place being lowered. Not allowed inside a recursive rule's body (its
        places are lost) or where an earlier lowering found the check could not tell these objects from others
        (``keep_order``): the caller keeps schema order.
        """
        if not self.track_objects or self._rule_depth or note.pointer in self.keep_order:
            return False
        self.notes.checked_objects.append(replace(note, place=tuple(self.place)))
        return True

    def _lower_object(self, schema: dict, ptr: str, res: Any) -> Node:
        for keyword, reason in unmodelled_sources(schema):
            self.refuse(keyword, f"{ptr}/{keyword}", reason)
            schema = {k: v for k, v in schema.items() if k != keyword}  # lenient: drop it (reported)
        if "if" in schema and ("then" in schema or "else" in schema):
            try:
                return self.lower(split_conditional(schema, ptr), ptr, res)
            except UnsupportedFeature as exc:
                self.refuse(exc.keyword, exc.pointer, exc.reason)
                schema = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
        if "not" in schema:
            rewritten = not_required(self, schema, ptr, res)
            if rewritten is None:
                rewritten = not_number_range(self, schema, ptr, res)
            if rewritten is not None:
                return self.lower(rewritten, ptr, res)
            if id(schema) not in self._plain_not and not restricting(schema):
                # (with unevaluated* beside it, the complement's keywords would count as evaluations: not so)
                complemented = self._not_by_complement(schema, ptr, res)
                if complemented is not None:
                    return complemented
        if "const" in schema or "enum" in schema:
            return self._enum(schema, ptr, res)
        if has_dependencies(schema) and "object" in self._types(schema):
            try:
                return self.lower(split_dependencies(schema, ptr), ptr, res)
            except UnsupportedFeature as exc:
                self.refuse(exc.keyword, exc.pointer, exc.reason)
                schema = {k: v for k, v in schema.items() if k not in DEPENDENCY_KEYWORDS}
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._combinator(schema, key, ptr, res)
        types = self._types(schema)
        for keyword, reason in refusals(schema, types):
            self.refuse(keyword, f"{ptr}/{keyword}", reason)
        removed = None
        if "not" in schema:
            types, removed = apply_not(self, schema, types, ptr, res)
        parts: list[Node] = []
        for t in _TYPE_ORDER:
            if t not in types or (t == "integer" and "number" in types):
                continue
            if t == "null":
                parts.append(literal("null"))
            elif t == "boolean":
                parts.append(alt(literal("true"), literal("false")))
            elif t == "object":
                parts.append(object_node(self, schema, ptr, res))
            elif t == "array":
                parts.append(array_node(self, schema, ptr, res))
            elif t == "string":
                parts.append(string_node(self, schema, ptr))
            else:
                parts.append(number_node(self, schema, ptr, integer=(t == "integer")))
            if removed is not None and t in NEGATABLE_TYPES:
                parts[-1] = difference(parts[-1], removed)
        if NON_INTEGER_TYPE in types:  # ``not integer`` inside number (``negation.py``)
            parts.append(intersection(number_node(self, schema, ptr, integer=False), NON_INTEGER_TEXTS))
        return alt(*parts) if parts else NOTHING

    def _types(self, schema: dict) -> set[str]:
        t = schema.get("type")
        if t is None:
            return {"null", "boolean", "object", "array", "string", "number"}
        return {t} if isinstance(t, str) else set(t)

    def _enum(self, schema: dict, ptr: str, res: Any) -> Node:
        keyword = "const" if "const" in schema else "enum"
        values = [schema["const"]] if keyword == "const" else list(schema["enum"])
        return self._listed(values, schema, keyword, ptr, res)

    def _listed(self, values: list[Any], schema: dict, keyword: str, ptr: str, res: Any) -> Node:
        """The given candidate values that ``schema`` accepts (checked by the validator), each spelled out."""
        nodes: list[Node] = []
        for value in values:
            try:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    # "1" and "1.0" are the same JSON Schema value; each spelling is checked on its own.
                    for text in number_spellings(value):
                        if self.valid(json.loads(text), schema, res):
                            nodes.append(literal(text))
                elif self.valid(value, schema, res):
                    nodes.append(self.value_text(value, ptr))
            except Exception as exc:  # noqa: BLE001 - any validator failure means we cannot decide exactly
                raise UnsupportedFeature(keyword, ptr, f"cannot check listed values against the schema: {exc}") from exc
        return alt(*nodes) if nodes else NOTHING

    def _combinator(self, schema: dict, key: str, ptr: str, res: Any) -> Node:
        if key == "anyOf" and "oneOf" in schema:
            if restricting(schema) or not isinstance(schema["anyOf"], list):
                self.refuse("oneOf", f"{ptr}/oneOf", "anyOf together with oneOf and unevaluated* is not supported")
                schema = _without(schema, "oneOf")
            else:
                # A and (X1 or X2) and oneOf(...) == (A and X1 and oneOf(...)) or (A and X2 and oneOf(...)): exact.
                rest = _without(schema, "anyOf")
                return self.lower({"anyOf": [{**rest, "allOf": [*rest.get("allOf", []), x]} for x in schema["anyOf"]]},
                                  ptr, res)  # fmt: skip
        siblings = {k: v for k, v in schema.items() if k != key and POLICY.get(k, POLICY["title"]).kind != STRUCTURAL}
        branches = schema[key]
        finite = self._finite_values(branches, ptr, res)
        if key == "oneOf" and finite is not None:
            # Every branch lists its values: the valid instances are among them, and the validator decides
            # "exactly one branch" for each candidate, so overlapping branches are exact too.
            return self._listed(finite, schema, key, ptr, res)
        if key == "oneOf" and len(branches) > 1:
            separated = self._separated(branches, siblings, ptr, res)
            if separated is not None:
                return separated
        if key == "anyOf" and len(branches) > 1:
            siblings = self._anyof_annotations(branches, siblings, ptr, res)
        nodes = []
        for i, branch in enumerate(branches):
            bptr = f"{ptr}/{key}/{i}"
            # The siblings are the branch's parent: their unevaluated* see the branch's evaluations.
            sub = {**siblings, "allOf": [branch]} if has_constraints(siblings) else branch
            nodes.append(self.lower(sub, bptr, res))
        return alt(*nodes) if nodes else NOTHING

    def _anyof_annotations(self, branches: list[Any], siblings: dict, ptr: str, res: Any) -> dict:
        """``siblings``, after refusing ``unevaluated*`` there that every matching branch would feed.

        An instance valid against two branches has the evaluations of both; a union of branches lowered one by
        one only models one of them, unless no two branches can match together.
        """
        keywords = [k for k in restricting(siblings) if any(may_evaluate(b, k) for b in branches)]
        if not keywords:
            return siblings
        expanded = [self.expand(b, f"{ptr}/anyOf/{i}", enter(b, res, self.spec))[:2] for i, b in enumerate(branches)]
        allowed = types_of(siblings)
        if all(
            self._pair_disjoint(*expanded[i], *expanded[j], allowed=allowed)
            for i in range(len(expanded))
            for j in range(i + 1, len(expanded))
        ):
            return siblings
        for keyword in keywords:
            reason = "next to anyOf branches that may match together, whose evaluations all count"
            self.refuse(keyword, f"{ptr}/{keyword}", reason)
        return {k: v for k, v in siblings.items() if k not in keywords}

    def _finite_values(self, branches: list[Any], ptr: str, res: Any) -> list[Any] | None:
        """All values listed by the branches when every branch is a const/enum, else None."""
        values: list[Any] = []
        for i, b in enumerate(branches):
            s, _, _, _ = self.expand(b, f"{ptr}/oneOf/{i}", enter(b, res, self.spec))
            if not isinstance(s, dict) or not ("const" in s or "enum" in s):
                return None
            values += [s["const"]] if "const" in s else s["enum"]
        return values

    def _separated(self, branches: list[Any], siblings: dict, ptr: str, res: Any) -> Node | None:
        """None when the branches are provably disjoint (plain union), else the union of strengthened branches.

        Raises:
            UnsupportedFeature: the branches cannot be made disjoint (``one_of.py``); lenient mode returns None.
        """
        allowed = types_of(siblings)
        expanded = []
        followed: list[list[int]] = []  # the refs each branch's expansion went through
        for i, b in enumerate(branches):
            bres = enter(b, res, self.spec)
            s, sres, keys, _ = self.expand(b, f"{ptr}/oneOf/{i}", bres)
            expanded.append((s, sres))
            followed.append(keys)
        if all(
            self._pair_disjoint(*expanded[i], *expanded[j], allowed=allowed)
            for i in range(len(expanded))
            for j in range(i + 1, len(expanded))
        ):
            return None
        twins = _twins(expanded)
        others = [i for i in range(len(branches)) if i not in twins]
        apart = all(self._pair_disjoint(*expanded[i], *expanded[t], allowed=allowed) for i in others for t in twins)
        if twins and apart:
            # A branch equal to another holds wherever its twin does: never exactly one. Without them (the others
            # are apart from them), the oneOf is the rest's.
            if not others:
                return NOTHING
            return self._combinator({**siblings, "oneOf": [branches[i] for i in others]}, "oneOf", ptr, res)
        separated = separate_branches(self, expanded, allowed)
        if separated is not None and separated[2] and restricting(siblings):
            separated = None  # complements' keywords would count as evaluations for the unevaluated* beside them
        if separated is None or any(base_uri(sres) != base_uri(res) for _, sres in expanded):
            self.refuse("oneOf", f"{ptr}/oneOf", "branches are not provably disjoint (use anyOf if overlap is fine)")
            return None
        strengthened, stricter, complemented = separated
        if stricter:
            self.bounds_hit.append(f"{ptr}/oneOf")  # a branch needs a tag or lacks a key: stricter, and reported

        def build() -> list[Node]:
            nodes = []
            for i, (branch, (_, sres)) in enumerate(zip(strengthened, expanded, strict=True)):
                sub = {**siblings, "allOf": [branch]} if has_constraints(siblings) else branch
                nodes.append(self._lower_through(followed[i], sub, f"{ptr}/oneOf/{i}", sres))
            return nodes

        if not complemented:
            nodes = build()
        else:
            try:
                with self._trial():
                    nodes = build()
            except UnsupportedFeature as exc:  # a refusal inside our own construction: the user wrote the oneOf
                reason = f"branches overlap, and a branch's complement cannot be built ({exc.keyword}: {exc.reason})"
                self.refuse("oneOf", f"{ptr}/oneOf", reason)
                return None
        return alt(*nodes) if nodes else NOTHING

    def _not_by_complement(self, schema: dict, ptr: str, res: Any) -> Node | None:
        """``schema`` whose ``not X`` the type- and text-level constructions refuse, with X's written complement.

        The usual lowering is tried first (strictly); only a refusal of this very ``not`` turns to the
        complement (``complement.py``). None: no complement, the complement refused too, or the refusal came
        from elsewhere (the caller then lowers as usual, refusing or weakening there).
        """
        negated = schema["not"]
        key = json.dumps(negated, sort_keys=True, default=str)
        if self._complementing[key] >= 2:
            # The complement holds this same "not" again (its lowering would recurse without progress). Once
            # is allowed: a recursive definition's rule body meets its own "not" again, legitimately.
            return None
        inverse = complement(self, negated, res, f"{ptr}/not")
        if inverse is None:
            return None
        self._plain_not.add(id(schema))
        try:
            with self._trial():
                return self._lower_object(schema, ptr, res)
        except UnsupportedFeature as exc:
            if not exc.pointer.startswith(f"{ptr}/not"):
                return None
        finally:
            self._plain_not.discard(id(schema))
        rest = {k: v for k, v in schema.items() if k != "not"}
        self._complementing[key] += 1
        try:
            with self._trial():
                return self.lower({**rest, "allOf": [*rest.get("allOf", []), inverse]}, ptr, res)
        except UnsupportedFeature:
            return None  # the usual lowering then refuses this "not" by its own pointer (or weakens it)
        finally:
            self._complementing[key] -= 1

    @contextmanager
    def _trial(self) -> Iterator[None]:
        """Lower strictly (refusals raise, lenient or not); on a refusal, forget what the trial built and noted.

        Memo entries and grammar rules made inside are undone too: a rule whose body failed would otherwise be
        referenced by memoized nodes without ever being defined.
        """
        lenient, marks = self.lenient, self._marks()
        outer, self._journal = self._journal, []
        self.lenient = False
        try:
            yield
        except UnsupportedFeature:
            for undo in reversed(self._journal):
                undo()
            self._journal = []
            self._rewind(marks)
            raise
        finally:
            if outer is not None:  # a trial inside a trial: the outer one may still fail and undo these too
                outer += self._journal
            self._journal = outer
            self.lenient = lenient

    def _marks(self) -> tuple[int, int, Mark]:
        """Where the lists a trial lowering may add to end now (weakened, bounds, place notes)."""
        return len(self.weakened), len(self.bounds_hit), self.notes.mark()

    def _rewind(self, marks: tuple[int, int, Mark]) -> None:
        """Forget what those lists got since ``marks``."""
        weakened, bounded, notes = marks
        del self.weakened[weakened:], self.bounds_hit[bounded:]
        self.notes.rewind(notes)

    def _on_undo(self, undo: Callable[[], Any]) -> None:
        """Record how to take back a memo entry or rule made now, when inside a ``_trial``."""
        if self._journal is not None:
            self._journal.append(undo)

    def _lower_through(self, keys: list[int], schema: Any, ptr: str, res: Any) -> Node:
        """Lower a rewritten copy of a ``$ref`` target as if through those refs (``keys``).

        So recursion back into them is seen (a rule, or the unroll bound) instead of expanding without end.
        """
        self._refs_seen[-1].update(keys)
        return self._through(keys, ptr, lambda: self.lower(schema, ptr, res))

    def _pair_disjoint(
        self, a: Any, ares: Any, b: Any, bres: Any, depth: int = PROOF_DEPTH, allowed: frozenset[str] = ALL_TYPES
    ) -> bool:
        """True only when no instance (of the ``allowed`` types) can be valid against both ``a`` and ``b``."""
        common = types_of(a) & types_of(b) & allowed
        if not common:
            return True
        try:
            for x, y, yres in ((a, b, bres), (b, a, ares)):
                if isinstance(x, dict) and ("const" in x or "enum" in x):
                    values = [x["const"]] if "const" in x else x["enum"]
                    if not any(self.valid(v, y, yres) for v in values):
                        return True
        except Exception:  # noqa: BLE001 - undecidable here means "maybe overlapping"
            return False
        if not isinstance(a, dict) or not isinstance(b, dict):
            return False
        if all(self._disjoint_as(t, a, ares, b, bres, depth) for t in sorted(common)):
            return True
        return depth > 0 and any(self._branches_disjoint(x, xres, y, yres, depth) for x, xres, y, yres in
                                 ((a, ares, b, bres), (b, bres, a, ares)))  # fmt: skip

    def _branches_disjoint(self, x: dict, xres: Any, y: Any, yres: Any, depth: int) -> bool:
        """Whether every ``anyOf`` (or every ``oneOf``) branch of ``x`` is disjoint from ``y``.

        A branch alone admits at least what it admits next to its siblings, so this proves ``x`` and ``y`` apart.
        """
        marks = self._marks()
        try:
            for key in ("anyOf", "oneOf"):
                branches = x.get(key)
                if not isinstance(branches, list) or not branches:
                    continue
                expanded = [self.expand(b, "", enter(b, xres, self.spec))[:2] for b in branches]
                if all(self._pair_disjoint(s, sres, y, yres, depth - 1) for s, sres in expanded):
                    return True
        except (UnsupportedFeature, BudgetExceeded):
            return False
        finally:
            self._rewind(marks)
        return False

    def _disjoint_as(self, json_type: str, a: dict, ares: Any, b: dict, bres: Any, depth: int) -> bool:
        """True only when no instance of ``json_type`` can be valid against both ``a`` and ``b``."""
        if json_type == "number":
            return _intervals_apart(number_bounds(a), number_bounds(b))
        if json_type == "string":
            return self._strings_disjoint(a, ares, b, bres)
        if json_type == "array":
            return _counts_apart(a, b, "minItems", "maxItems") or (
                depth > 0 and self._arrays_disjoint(a, ares, b, bres, depth)
            )
        if json_type == "object":
            return _counts_apart(a, b, "minProperties", "maxProperties") or (
                depth > 0 and self._objects_disjoint(a, ares, b, bres, depth)
            )
        return False

    def _strings_disjoint(self, a: dict, ares: Any, b: dict, bres: Any) -> bool:
        """Whether the strings of ``a`` and ``b`` never meet: both known exactly and their automata do not intersect.

        The lowering of an exact string part is exactly its strings (``negation.py``), or a superset where lenient
        mode dropped a pattern, which still proves disjointness; a stricter construction would not, so none may
        be involved. Nothing the trial lowering records is kept.
        """
        pa, pb = exact_string_part(a), exact_string_part(b)
        if pa is None or pb is None or len(pa) == len(pb) == 1:
            return False  # not known exactly, or both are every string
        marks = self._marks()
        try:
            nodes = [self.lower(pa, "", ares), self.lower(pb, "", bres)]
            stricter = len(self.bounds_hit) > marks[1]
            common = intersection(*nodes, max_states=PROOF_MAX_STATES, max_seconds=PROOF_MAX_SECONDS)
            return not stricter and is_empty(common, max_states=PROOF_MAX_STATES, max_seconds=PROOF_MAX_SECONDS)
        except (UnsupportedFeature, BudgetExceeded):
            return False
        finally:
            self._rewind(marks)

    def _objects_disjoint(self, a: dict, ares: Any, b: dict, bres: Any, depth: int) -> bool:
        """Objects: a key one side requires and the other forbids, closed and apart, or a required tag apart."""
        if any(_forbids(y, n) for x, y in ((a, b), (b, a)) for n in x.get("required", [])):
            return True  # one side requires a key the other side cannot have
        if _closed_apart(a, b) and max(_count(a, "minProperties"), _count(b, "minProperties")) >= 1:
            return True  # only {} could be valid against both, and one side needs a key
        pa, pb = a.get("properties", {}), b.get("properties", {})
        required = set(a.get("required", [])) | set(b.get("required", []))
        return any(self._subschemas_disjoint(pa[n], ares, pb[n], bres, depth) for n in required & set(pa) & set(pb))

    def _arrays_disjoint(self, a: dict, ares: Any, b: dict, bres: Any, depth: int) -> bool:
        """Arrays whose every item must be valid against disjoint ``items`` share only ``[]``."""
        if max(_count(a, "minItems"), _count(b, "minItems")) < 1:
            return False
        if any("prefixItems" in x or not isinstance(x.get("items"), dict | bool) for x in (a, b)):
            return False
        return self._subschemas_disjoint(a["items"], ares, b["items"], bres, depth)

    def _subschemas_disjoint(self, sa: Any, ares: Any, sb: Any, bres: Any, depth: int) -> bool:
        """``_pair_disjoint`` one level down, for subschemas of ``a`` and ``b`` (refs followed)."""
        xa, xares, _, _ = self.expand(sa, "", enter(sa, ares, self.spec))
        xb, xbres, _, _ = self.expand(sb, "", enter(sb, bres, self.spec))
        return self._pair_disjoint(xa, xares, xb, xbres, depth - 1)


def _count(schema: dict, keyword: str) -> int:
    value = schema.get(keyword, 0)
    return int(value) if isinstance(value, int | float) else 0


def _intervals_apart(x: tuple[Any, bool, Any, bool], y: tuple[Any, bool, Any, bool]) -> bool:
    """Whether two number ranges ``(low, low exclusive, high, high exclusive)`` (None: unbounded) do not meet."""
    for (_, _, hi, hi_x), (lo, lo_x, _, _) in ((x, y), (y, x)):
        if hi is not None and lo is not None and (hi < lo or (hi == lo and (hi_x or lo_x))):
            return True
    return False


def _twins(expanded: list[tuple[Any, Any]]) -> set[int]:
    """Indices of the branches equal to another branch (same schema, read in the same resource)."""
    seen: dict[tuple[str, str], list[int]] = {}
    for i, (schema, res) in enumerate(expanded):
        try:
            text = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            continue
        seen.setdefault((text, base_uri(res)), []).append(i)
    return {i for group in seen.values() if len(group) > 1 for i in group}


def _counts_apart(a: dict, b: dict, low: str, high: str) -> bool:
    """Whether the item or property counts ``a`` and ``b`` allow (``minItems``..``maxItems``) do not meet.

    An object holds at least as many properties as it has required keys.
    """
    return any(y.get(high) is not None and _least(x, low) > _count(y, high) for x, y in ((a, b), (b, a)))


def _least(schema: dict, low: str) -> int:
    """The least count ``schema`` allows: ``low``, or the number of required keys for properties."""
    required = schema.get("required") if low == "minProperties" else None
    named = len(set(required)) if isinstance(required, list) else 0
    return max(_count(schema, low), named)


def _closed_apart(a: dict, b: dict) -> bool:
    """Whether no key may appear in instances of both (closed objects whose allowed names do not meet)."""
    if any(x.get("additionalProperties") is not False or x.get("patternProperties") for x in (a, b)):
        return False
    allowed = [{n for n, sub in x.get("properties", {}).items() if sub is not False} for x in (a, b)]
    return not (allowed[0] & allowed[1])


def _forbids(schema: dict, name: str) -> bool:
    """Whether no instance valid against ``schema`` can have the key ``name``."""
    props = schema.get("properties", {})
    if name in props:
        return props[name] is False
    return not schema.get("patternProperties") and schema.get("additionalProperties") is False


def _hold_unevaluated(schema: dict) -> tuple[dict, dict]:
    """(the ``unevaluated*`` keywords of ``schema``, the rest)."""
    held = {k: v for k, v in schema.items() if k in ("unevaluatedProperties", "unevaluatedItems")}
    return held, {k: v for k, v in schema.items() if k not in held}


def _without(schema: dict, key: str) -> dict:
    return {k: v for k, v in schema.items() if k != key}
