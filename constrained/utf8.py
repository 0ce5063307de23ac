"""Code point ranges -> UTF-8 byte-range sequences, and a small byte automaton per character set.

The technique is RE2's / Rust ``utf8-ranges``: split a code point range until every piece encodes to byte
strings of one length whose bytes vary independently per position; each piece is then a sequence of byte
ranges, e.g. U+0080..U+07FF -> ``[C2-DF][80-BF]``. Surrogates (U+D800..U+DFFF) are never produced.
"""

from __future__ import annotations

from functools import lru_cache

from constrained.regex_ast import CharSet

ByteRange = tuple[int, int]
# (src, lo, hi, dst) over local state ids; 0 is the fragment's start, 1 its end.
Edge = tuple[int, int, int, int]

_MAX_BY_LEN = (0x7F, 0x7FF, 0xFFFF)


def utf8_sequences(lo: int, hi: int) -> list[tuple[ByteRange, ...]]:
    """The byte-range sequences whose union is exactly the UTF-8 encodings of code points ``lo..hi``."""
    out: list[tuple[ByteRange, ...]] = []
    stack = [(lo, hi)]
    while stack:
        lo, hi = stack.pop()
        if lo > hi:
            continue
        # Surrogates have no UTF-8 encoding: cut them out first.
        if lo <= 0xDFFF and hi >= 0xD800:
            stack.append((0xE000, hi))
            stack.append((lo, 0xD7FF))
            continue
        split = False
        for top in _MAX_BY_LEN:
            if lo <= top < hi:
                stack.append((top + 1, hi))
                stack.append((lo, top))
                split = True
                break
        if split:
            continue
        if hi <= 0x7F:
            out.append(((lo, hi),))
            continue
        for i in (1, 2, 3):
            m = (1 << (6 * i)) - 1
            if (lo & ~m) != (hi & ~m):
                if lo & m:
                    stack.append(((lo | m) + 1, hi))
                    stack.append((lo, lo | m))
                    split = True
                    break
                if (hi & m) != m:
                    stack.append((hi & ~m, hi))
                    stack.append((lo, (hi & ~m) - 1))
                    split = True
                    break
        if split:
            continue
        a = chr(lo).encode("utf-8")
        b = chr(hi).encode("utf-8")
        out.append(tuple(zip(a, b, strict=True)))
    return out


@lru_cache(maxsize=4096)
def charset_fragment(cs: CharSet) -> tuple[int, tuple[Edge, ...]]:
    r"""A small byte NFA (start 0, end 1) for one character of ``cs``: ``(num_states, edges)``.

    Prefixes are shared through a trie and runs of trailing ``[80-BF]`` continuation bytes share one chain,
    so large classes such as ``\p{L}`` stay a few hundred edges instead of thousands. Cached per CharSet
    because the same set is stamped out many times (repeats, schema-wide string bodies).
    """
    edges: dict[tuple[int, int, int], int] = {}  # (src, lo, hi) -> dst
    num = 2
    cont: dict[int, int] = {0: 1}  # "r continuation bytes left" -> state

    def cont_state(r: int) -> int:
        nonlocal num
        if r not in cont:
            prev = cont_state(r - 1)
            cont[r] = num
            num += 1
            edges[(cont[r], 0x80, 0xBF)] = prev
        return cont[r]

    for lo, hi in cs.ranges:
        for seq in utf8_sequences(lo, hi):
            k = len(seq)
            # First position i where seq[i:] is all full continuation ranges.
            i = k
            while i > 1 and seq[i - 1] == (0x80, 0xBF):
                i -= 1
            node = 0
            for pos in range(i):
                b_lo, b_hi = seq[pos]
                key = (node, b_lo, b_hi)
                if key not in edges:
                    if pos == i - 1:
                        edges[key] = cont_state(k - i)
                    else:
                        edges[key] = num
                        num += 1
                node = edges[key]
    return num, tuple((src, lo, hi, dst) for (src, lo, hi), dst in edges.items())
