"""Reference resolution: the document's registry, ``$ref`` lookup and entering ``$id`` sub-resources.

Built on ``referencing`` (the library ``jsonschema`` uses), so JSON pointers, ``$id`` base changes,
``$anchor`` and draft-04 ``id`` behave as the validator does. The schema's own document is registered, and the
documents the caller passes as ``resources`` (by URI); nothing is fetched: other remote references are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import referencing.exceptions
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing import Registry, Resource, Specification
from referencing._core import Resolver
from referencing.jsonschema import DynamicAnchor, lookup_recursive_ref, specification_with

from constrained.errors import UnsupportedFeature


@dataclass(frozen=True)
class Target:
    """A resolved reference: the schema, the resolver valid inside it, a key and a pointer for messages."""

    schema: Any
    resolver: Resolver
    key: int
    pointer: str


def document_resolver(
    schema: Any, dialect: str, resources: dict[str, Any] | None = None
) -> tuple[Resolver, Specification]:
    """A resolver rooted at ``schema`` (a whole document) under the given dialect URI.

    ``resources`` maps URIs to other schema documents that references may name (each under its own ``$schema``,
    else the root's dialect).
    """
    spec = specification_with(dialect)
    resource = Resource.from_contents(schema, default_specification=spec) if isinstance(schema, dict) else None
    if resource is None:
        resource = spec.create_resource(schema)
    try:
        base = resource.id() or ""
    except (AttributeError, TypeError):  # a malformed root id (see ``_id_of``)
        base = ""
    # The dialects' meta-schemas are known, as they are to the validator (``jsonschema_specifications``).
    registry: Registry = SPECIFICATIONS.with_resource(base, resource)
    for uri, document in (resources or {}).items():
        registry = registry.with_resource(uri, Resource.from_contents(document, default_specification=spec))
    try:
        registry = registry.crawl()  # registers embedded $id / $anchor resources
    except (AttributeError, TypeError):
        # ``referencing`` trips over malformed subschemas (an ``id`` that is an object, a list where it expects a
        # schema). Pointer references still resolve without the crawl; one to an embedded id is then refused.
        pass
    return registry.resolver(base_uri=base), spec


def _id_of(spec: Specification, schema: Any) -> str | None:
    """The schema's own ``$id`` (``id`` in draft 4), or None when it has none or a malformed one."""
    try:
        found = spec.id_of(schema)
    except (AttributeError, TypeError):  # e.g. ``"id": {...}``: a property definition misplaced by its author
        return None
    return found if isinstance(found, str) else None


def enter(schema: Any, resolver: Resolver, spec: Specification) -> Resolver:
    """The resolver to use inside ``schema`` (changes only when it declares its own ``$id``)."""
    if isinstance(schema, dict) and _id_of(spec, schema):
        return resolver.in_subresource(spec.create_resource(schema))
    return resolver


def resolve(ref: str, resolver: Resolver, pointer: str) -> Target:
    """Look up ``ref`` relative to ``resolver``.

    Raises:
        UnsupportedFeature: the reference leaves the document (remote) or cannot be resolved.
    """
    try:
        found = resolver.lookup(ref)
    except referencing.exceptions.Unresolvable as exc:
        where = "the document or the given resources"
        raise UnsupportedFeature("$ref", pointer, f"cannot resolve {ref!r} in {where}: {exc}") from exc
    target_ptr = ref[1:] if ref.startswith("#") else f"{pointer} -> {ref}"
    return Target(found.contents, found.resolver, id(found.contents), target_ptr)


def base_uri(resolver: Resolver) -> str:
    """The base URI relative references are read against in ``resolver`` (``""`` for an anonymous document)."""
    return str(getattr(resolver, "_base_uri", ""))


def resolve_recursive(resolver: Resolver, pointer: str) -> Target:
    """Look up a draft 2019-09 ``$recursiveRef: "#"`` (the outermost ``$recursiveAnchor`` in dynamic scope)."""
    try:
        found = lookup_recursive_ref(resolver)
    except referencing.exceptions.Unresolvable as exc:
        raise UnsupportedFeature("$recursiveRef", pointer, f"cannot resolve '#': {exc}") from exc
    return Target(found.contents, found.resolver, id(found.contents), f"{pointer} -> #")


def dynamic_scope(resolver: Resolver) -> tuple[str, ...]:
    """The resources in ``resolver``'s dynamic scope, each once (its outermost entry kept), innermost first.

    A ``$dynamicRef`` resolves to the outermost resource in scope that holds the anchor, so dropping the inner
    repeats of a resource changes no resolution, and keeps the tuple bounded by the number of resources.
    """
    uris = [uri for uri, _ in resolver.dynamic_scope()]
    seen: set[str] = set()
    kept = []
    for uri in reversed(uris):
        if uri not in seen:
            seen.add(uri)
            kept.append(uri)
    return tuple(reversed(kept))


def mentions_dynamic(schema: Any) -> bool:
    """Whether ``$dynamicRef`` or ``$recursiveRef`` appears anywhere in a schema document."""
    if isinstance(schema, dict):
        return "$dynamicRef" in schema or "$recursiveRef" in schema or any(map(mentions_dynamic, schema.values()))
    if isinstance(schema, list):
        return any(map(mentions_dynamic, schema))
    return False


# Where subschemas sit: one schema, a list of schemas, or a map of names to schemas.
_ONE = ("additionalProperties", "additionalItems", "contains", "not", "if", "then", "else", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "items")  # fmt: skip
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
_URI_KEYS = ("$ref", "$dynamicRef")


def rebase(schema: Any, base: str, spec: Specification) -> Any:
    """A copy of ``schema`` (read in the resource at ``base``) whose references mean the same from anywhere.

    Reference and embedded ``$id`` URIs are made absolute, so the copy can be merged into a schema of another
    resource and lowered there. Its own top-level ``$id`` is dropped (``base`` already includes it). What this
    does not carry over is the dynamic scope: ``dynamic_anchor_names`` says when that matters.
    """
    if not isinstance(schema, dict):
        return schema
    own = _id_of(spec, schema)
    out = {k: v for k, v in schema.items() if k not in ("$id", "id") or own is None}
    return _absolute(out, base, spec)


def _absolute(schema: Any, base: str, spec: Specification) -> Any:
    if not isinstance(schema, dict):
        return schema
    own = _id_of(spec, schema)
    if own is not None:
        base = urljoin(base, own)
    out = dict(schema)
    if own is not None:
        out["$id" if "$id" in schema else "id"] = base
    for key in _URI_KEYS:
        if isinstance(schema.get(key), str):
            out[key] = urljoin(base, schema[key])
    for key in _ONE:
        if isinstance(schema.get(key), dict):
            out[key] = _absolute(schema[key], base, spec)
    for key in _LIST:
        if isinstance(schema.get(key), list):
            out[key] = [_absolute(x, base, spec) for x in schema[key]]
    for key in _MAP:
        if isinstance(schema.get(key), dict):
            out[key] = {name: _absolute(x, base, spec) for name, x in schema[key].items()}
    return out


def dynamic_anchor_names(resolver: Resolver, spec: Specification) -> set[str]:
    """The ``$dynamicAnchor`` names the resource at ``resolver``'s base declares (not its embedded resources)."""
    base = base_uri(resolver)
    try:
        root = resolver.lookup(base).contents if base else None
    except referencing.exceptions.Unresolvable:
        return set()
    names: set[str] = set()

    def walk(node: Any, top: bool) -> None:
        if isinstance(node, dict):
            if not top and _id_of(spec, node):
                return
            if isinstance(node.get("$dynamicAnchor"), str):
                names.add(node["$dynamicAnchor"])
            for value in node.values():
                walk(value, False)
        elif isinstance(node, list):
            for value in node:
                walk(value, False)

    walk(root, True)
    return names


def scope_declares(resolver: Resolver, name: str) -> bool:
    """Whether a resource in ``resolver``'s dynamic scope (its own base included) has dynamic anchor ``name``."""
    registry = getattr(resolver, "_registry", None)
    uris = [base_uri(resolver), *dynamic_scope(resolver)]
    for uri in uris:
        try:
            anchor = registry.anchor(uri, name).value if registry is not None else None
        except (referencing.exceptions.Unresolvable, referencing.exceptions.NoSuchResource):
            continue
        if isinstance(anchor, DynamicAnchor):
            return True
    return False
