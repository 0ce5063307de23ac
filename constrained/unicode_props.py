r"""Unicode property classes (``\p{L}``, ``\p{Lu}``, ``\p{Letter}``) as code point ranges, built lazily.

Ranges come from the running Python's ``unicodedata`` (one pass over all code points, ~0.3 s, once per process
and only when a pattern first names a property). Scripts (``\p{Script=Greek}``) are not in ``unicodedata``,
so they are refused rather than approximated.
"""

from __future__ import annotations

import threading
import unicodedata

from constrained.regex_ast import MAX_CODEPOINT

_LONG_NAMES = {
    "Letter": "L", "Cased_Letter": "LC", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll",
    "Titlecase_Letter": "Lt", "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Mark": "M",
    "Nonspacing_Mark": "Mn", "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Number": "N",
    "Decimal_Number": "Nd", "Digit": "Nd", "Letter_Number": "Nl", "Other_Number": "No", "Punctuation": "P",
    "Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps",
    "Close_Punctuation": "Pe", "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf",
    "Other_Punctuation": "Po", "Symbol": "S", "Math_Symbol": "Sm", "Currency_Symbol": "Sc",
    "Modifier_Symbol": "Sk", "Other_Symbol": "So", "Separator": "Z", "Space_Separator": "Zs",
    "Line_Separator": "Zl", "Paragraph_Separator": "Zp", "Other": "C", "Control": "Cc", "Format": "Cf",
    "Surrogate": "Cs", "Private_Use": "Co", "Unassigned": "Cn",
}  # fmt: skip

_lock = threading.Lock()
_by_category: dict[str, list[tuple[int, int]]] | None = None


def _categories() -> dict[str, list[tuple[int, int]]]:
    """Two-letter general category -> sorted ranges (computed once)."""
    global _by_category
    with _lock:
        if _by_category is None:
            table: dict[str, list[tuple[int, int]]] = {}
            start, prev = 0, unicodedata.category(chr(0))
            for cp in range(1, MAX_CODEPOINT + 2):
                cat = unicodedata.category(chr(cp)) if cp <= MAX_CODEPOINT else ""
                if cat != prev:
                    table.setdefault(prev, []).append((start, cp - 1))
                    start, prev = cp, cat
            _by_category = table
        return _by_category


def property_ranges(name: str) -> list[tuple[int, int]] | None:
    """Ranges for a property name (``L``, ``Lu``, ``Letter``, ``gc=Lu``, ``Any``, ``ASCII``), or None if unknown."""
    if "=" in name:
        key, _, value = name.partition("=")
        if key.strip() not in ("gc", "General_Category"):
            return None
        name = value.strip()
    if name == "Any":
        return [(0, MAX_CODEPOINT)]
    if name == "ASCII":
        return [(0, 0x7F)]
    short = _LONG_NAMES.get(name, name)
    cats = _categories()
    if short == "LC":
        return sorted(cats.get("Lu", []) + cats.get("Ll", []) + cats.get("Lt", []))
    if len(short) == 2 and short in cats:
        return list(cats[short])
    if len(short) == 1 and short.isupper():
        found = [r for cat, rs in cats.items() if cat.startswith(short) for r in rs]
        return sorted(found) if found else None
    return None
