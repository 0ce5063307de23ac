"""``minProperties`` / ``maxProperties``: the object body with a member counter.

Same language as ``objects.py`` builds (declared members in schema order, extras after them), plus the count
of members within ``lo..hi``. ``tail(i, k)`` is "members from declared index i on, k members already emitted,
each preceded by a comma"; ``first(i)`` is "the first member is declared index i or later". States are shared
by ``(i, k)`` with k capped where it stops mattering, so the node DAG has O(members x cap) nodes.
"""

from __future__ import annotations

from functools import cache

from constrained.errors import UnsupportedFeature
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, repeat, seq

MAX_COUNT = 64  # larger counts would copy the members too many times


def counted_body(entries: list[tuple[Node, bool]], extra: Node, sep: Node, lo: int, hi: int | None, ptr: str) -> Node:
    """Object members (between the braces) whose number lies in ``lo..hi``.

    Raises:
        UnsupportedFeature: a count above ``MAX_COUNT`` that could actually be reached.
    """
    n = len(entries)
    reachable = None if extra != NOTHING else n
    if hi is not None and reachable is not None:
        hi = min(hi, reachable)
    cap = lo if hi is None else hi + 1
    if reachable is not None:
        cap = min(cap, reachable + 1)
    if cap > MAX_COUNT:
        keyword = "maxProperties" if hi is not None and hi + 1 == cap else "minProperties"
        raise UnsupportedFeature(keyword, f"{ptr}/{keyword}", f"counts above {MAX_COUNT} with undeclared keys")

    def clamp(k: int) -> int:
        return min(k, cap)

    @cache
    def tail(i: int, k: int) -> Node:
        if hi is not None and k > hi:
            return NOTHING
        if i == n:
            if extra == NOTHING:
                return EMPTY if k >= lo else NOTHING
            return repeat(seq(sep, extra), max(0, lo - k), None if hi is None else hi - k)
        node, required = entries[i]
        take = seq(sep, node, tail(i + 1, clamp(k + 1)))
        return take if required else alt(take, tail(i + 1, k))

    @cache
    def first(i: int) -> Node:
        if i == n:
            return NOTHING if extra == NOTHING else seq(extra, tail(n, clamp(1)))
        node, required = entries[i]
        take = seq(node, tail(i + 1, clamp(1)))
        return take if required else alt(take, first(i + 1))

    all_optional = not any(req for _, req in entries)
    return alt(first(0), EMPTY) if all_optional and lo == 0 else first(0)
