"""``^`` and ``$`` anywhere in a search-semantics pattern (JSON Schema ``pattern``, ECMA-262 without flags).

A piece of a pattern is kept as *variants*: ``(items, at_start, at_end)``, where ``items`` is the sequence of
nodes the piece matches and ``at_start`` / ``at_end`` say that it contains a ``^`` / ``$``, so a match using it
must begin at the start / end at the end of the input. Concatenation applies the anchors' meaning: whatever a
``^`` follows must have matched the empty string, and so must whatever a ``$`` precedes (ECMA ``$`` without
the ``m`` flag matches only at the end of the input). Alternation is the union of the variants. A search then
wraps each variant in ``.*`` on the sides it does not anchor. So ``(^a|b$)c`` is exact: ``a c`` can only
start the input, ``b$c`` matches nothing.

Most pieces have one unanchored variant; the count is capped (``MAX_VARIANTS``) so that alternations of anchored
groups in sequence cannot blow up.
"""

from __future__ import annotations

from constrained.errors import UnsupportedFeature
from constrained.regex_ast import Node, nullable

MAX_VARIANTS = 64

Variant = tuple[list[Node], bool, bool]  # (items in sequence, contains '^', contains '$')


def unanchored(node: Node) -> list[Variant]:
    """The variants of a piece without anchors."""
    return [([node], False, False)]


def concat(left: list[Variant], right: list[Variant], at: int) -> list[Variant]:
    """Every left variant followed by every right one, anchors applied (variants that match nothing dropped).

    Raises:
        UnsupportedFeature: more than ``MAX_VARIANTS`` variants.
    """
    out: list[Variant] = []
    for litems, lstart, lend in left:
        for ritems, rstart, rend in right:
            if rstart and litems:  # '^' on the right: the left part must match the empty string
                if not all(nullable(n) for n in litems):
                    continue
                litems = []
            if lend and ritems:  # '$' on the left: the right part must match the empty string
                if not all(nullable(n) for n in ritems):
                    continue
                ritems = []
            out.append(([*litems, *ritems], lstart or rstart, lend or rend))
    if len(out) > MAX_VARIANTS:
        raise UnsupportedFeature("anchor", f"offset {at}", f"anchored alternatives combine to over {MAX_VARIANTS}")
    return out


def optional(variants: list[Variant]) -> list[Variant]:
    """``(piece)?``: the empty match, or any variant of the piece."""
    return [([], False, False), *variants]


def is_anchored(variants: list[Variant]) -> bool:
    """Whether any variant holds an anchor."""
    return any(start or end for _, start, end in variants)


def searched(variants: list[Variant], any_star: Node) -> list[list[Node]]:
    """Each variant's items with ``any_star`` (``.*``) on every side it does not anchor: a search's branches."""
    return [([] if start else [any_star]) + items + ([] if end else [any_star]) for items, start, end in variants]
