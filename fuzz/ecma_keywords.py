r"""JSON Schema keywords that match regexes, re-done with ``regress`` (ECMA-262) for the fuzz oracle.

jsonschema matches ``pattern``, ``patternProperties`` and the key filter of ``additionalProperties`` with Python's
``re.search``. The JSON Schema spec asks for ECMA-262 regexes, and the two disagree on texts the fuzzer draws:
ECMA ``\s`` includes U+FEFF, ECMA ``.`` excludes ``\r``, U+2028 and U+2029, and ECMA ``$`` (no multiline flag)
does not match before a final ``\n``. A pattern ``regress`` cannot compile falls back to Python's ``re``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

Search = Callable[[str], bool]


@functools.lru_cache(maxsize=4096)
def ecma_search(pattern: str) -> Search:
    """``search(text)``: whether ``pattern`` (ECMA-262, Unicode mode when it parses so) matches inside ``text``."""
    import regress

    for flags in ("u", ""):
        try:
            ecma = regress.Regex(pattern, flags)
        except Exception:  # noqa: BLE001, S112 -- regress raises its own error type; try the next dialect
            continue

        def search(text: str, ecma: Any = ecma) -> bool:
            return ecma.find(text) is not None

        return search
    fallback = re.compile(pattern)

    def python_search(text: str) -> bool:
        return fallback.search(text) is not None

    return python_search


def _additional_keys(instance: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """Keys neither named in ``properties`` nor matched by a ``patternProperties`` regex."""
    named = schema.get("properties", {})
    searches = [ecma_search(p) for p in schema.get("patternProperties", {})]
    for key in instance:
        if key not in named and not any(search(key) for search in searches):
            yield key


def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
    """``pattern``: a string must contain a match of the ECMA regex."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not ecma_search(patrn)(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r} (ECMA-262)")


def pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    """``patternProperties``: each value whose key matches a regex must be valid under that regex's schema."""
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in patterns.items():
        search = ecma_search(patrn)
        for key, value in instance.items():
            if search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=patrn)


def additional_properties(validator: Any, extra_schema: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``additionalProperties``: keys that no ``properties``/``patternProperties`` entry covers."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    extras = sorted(_additional_keys(instance, schema))
    if validator.is_type(extra_schema, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra_schema, path=key)
    elif extra_schema is False and extras:
        yield ValidationError(f"additional properties are not allowed: {extras!r}")


ECMA_KEYWORDS: dict[str, Callable[..., Iterator[Any]]] = {
    "pattern": pattern,
    "patternProperties": pattern_properties,
    "additionalProperties": additional_properties,
}
