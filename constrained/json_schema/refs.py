"""Reference resolution: the document's registry, ``$ref`` lookup and entering ``$id`` sub-resources.

Built on ``referencing`` (the library ``jsonschema`` uses), so JSON pointers, ``$id`` base changes,
``$anchor`` and draft-04 ``id`` behave as the validator does. The schema's own document is registered, and the
documents the caller passes as ``resources`` (by URI); nothing is fetched: other remote references are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import referencing.exceptions
from referencing import Registry, Resource, Specification
from referencing._core import Resolver
from referencing.jsonschema import specification_with

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
    registry: Registry = Registry().with_resource(base, resource)
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
