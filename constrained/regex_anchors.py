"""``^`` and ``$`` anywhere in a search-semantics pattern (JSON Schema ``pattern``, ECMA-262 without flags).

A piece of a pattern is kept as *variants*: ``(items, at_start, at_end)``, where ``items`` is the sequence of
nodes the piece matches and ``at_start`` / ``at_end`` say that it contains a ``^`` / ``$``, so a match using it
must begin at the start / end at the end of the input. Concatenation applies the anchors' meaning: whatever a
``^`` follows must have matched the empty string, and so must whatever a ``$`` precedes (ECMA ``$`` without
the ``m`` flag matches only at the end of the input). Alternation is the union of the variants. A search then
wraps each variant in ``.*`` on the sides it does not anchor. So ``(^a|b$)c`` is exact: ``a c`` can only
start the input, ``b$c`` matches nothing.

A repeated piece with anchors (``repeated_anchored``) can only have a ``^`` in its first iteration and a ``$`` in
its last, when no variant of it matches the empty string (else it is refused).

Most pieces have one unanchored variant; the count is capped (``MAX_VARIANTS``) so that alternations of anchored
groups in sequence cannot blow up.
"""

from __future__ import annotations

from constrained.errors import UnsupportedFeature
from constrained.regex_ast import Node, alt, nullable, repeat, seq

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


def repeated_anchored(variants: list[Variant], lo: int, hi: int | None) -> list[Variant]:
    """``(piece){lo,hi}`` for a piece with anchors, none of whose variants matches the empty string.

    Then an iteration holding a ``^`` can only be the first (every earlier one would have to be empty), one
    holding a ``$`` only the last, and one holding both only the single iteration: the repetitions are the plain
    variants repeated, with at most an anchored iteration at each end.
    """
    core = alt(*(seq(*items) for items, start, end in variants if not start and not end))

    def plain(fewer: int) -> list[Node] | None:
        """The unanchored iterations beside ``fewer`` anchored ones (None: the count cannot hold that many)."""
        if hi is not None and hi < fewer:
            return None
        return [repeat(core, max(lo - fewer, 0), None if hi is None else hi - fewer)]

    out: list[Variant] = []
    middle = plain(0)
    if middle is not None:
        out.append((middle, False, False))
    for items, start, end in variants:
        if start and end:
            if lo <= 1 and (hi is None or hi >= 1):
                out.append((list(items), True, True))
            continue
        if not start and not end:
            continue
        rest = plain(1)
        if rest is not None:
            out.append(([*items, *rest] if start else [*rest, *items], start, end))
    for first, first_start, first_end in variants:  # an iteration with ^ first and one with $ last
        if not first_start or first_end:
            continue
        for last, last_start, last_end in variants:
            if last_end and not last_start:
                middle = plain(2)
                if middle is not None:
                    out.append(([*first, *middle, *last], True, True))
    return out


def is_anchored(variants: list[Variant]) -> bool:
    """Whether any variant holds an anchor."""
    return any(start or end for _, start, end in variants)


def searched(variants: list[Variant], any_star: Node) -> list[list[Node]]:
    """Each variant's items with ``any_star`` (``.*``) on every side it does not anchor: a search's branches."""
    return [([] if start else [any_star]) + items + ([] if end else [any_star]) for items, start, end in variants]
