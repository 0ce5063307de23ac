r"""Independent oracles: what the reference implementations say about a text.

- JSON Schema: ``json.loads`` (strict: no NaN/Infinity) then ``jsonschema`` with format checks (``FormatChecker``;
  formats whose checker needs an optional package that is not installed are not checked by it). ``pattern`` and
  ``patternProperties`` (also where ``additionalProperties`` asks which keys they cover) are matched with
  ``regress``, an ECMA-262 engine, as the JSON Schema spec says; jsonschema itself uses Python's ``re``, whose
  ``\s``, ``.`` and ``$`` differ (``\s`` lacks U+FEFF, ``.`` matches ``\r``, ``$`` matches before a final
  ``\n``).
- Regex: the ``regex`` module's ``fullmatch``.
- Lark: ``lark.Lark`` with the Earley parser and the ``dynamic_complete`` lexer: what Lark's own parser accepts.
  Our compile reads a Lark terminal as the set of strings its regex matches and lets every token, ``%ignore``d
  ones included, end anywhere; Lark's scanner takes a regex's first match at a position (lazy ``.*?`` stops at
  the first chance, ``a|ab`` at ``a``) and its prefixes, and only the first match of an ``%ignore``d terminal.
  Grammars whose texts depend on that (llguidance's ``lark.lark``) show up as oracle-rejected samples: a
  divergence from Lark, reported, not hidden (see ``test_oracles.py``).
- GBNF: there is no independent GBNF parser here; ``None`` (no oracle) is returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Oracle = Callable[[str], bool]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_schema_oracle(schema: Any) -> Oracle:
    """Accepts a text iff it is strict JSON and valid under ``schema`` (formats asserted, ECMA-262 patterns)."""
    import jsonschema

    validator = ecma_validator(schema)

    def accepts(text: str) -> bool:
        try:
            doc = json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            return False
        try:
            return bool(validator.is_valid(doc))
        except (jsonschema.exceptions.SchemaError, RecursionError, jsonschema.exceptions.RefResolutionError):
            return False

    return accepts


def ecma_validator(schema: Any) -> Any:
    """A jsonschema validator for ``schema`` whose pattern keywords use ECMA-262 regexes (see the module doc)."""
    import jsonschema

    from constrained.json_schema.exact_multiple import multiple_of
    from fuzz.ecma_keywords import ECMA_KEYWORDS

    # multipleOf in exact decimals, as the specification means it (jsonschema divides floats)
    keywords = {**ECMA_KEYWORDS, "multipleOf": multiple_of}
    cls = jsonschema.validators.extend(jsonschema.validators.validator_for(schema), keywords)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def regex_oracle(pattern: str) -> Oracle:
    """Accepts a text iff ``regex.fullmatch(pattern, text)``."""
    import regex

    compiled = regex.compile(pattern)
    return lambda text: compiled.fullmatch(text) is not None


def lark_oracle(text: str, path: Path | None = None, start: str = "start") -> Oracle:
    """Accepts a text iff Lark's Earley parser (``dynamic_complete`` lexer) parses it.

    ``path`` (the grammar's file) is given to Lark as its ``source_path``: relative ``%import .x`` resolve next to
    it, while library imports (``%import common.X``) get Lark's own grammars, as in our compiler, which serves its
    ``common`` first. (Passing the folder as an ``import_paths`` entry instead would let a ``common.lark`` lying
    next to the grammar, as in Outlines' folder, win over Lark's.)
    """
    import lark

    kwargs: dict[str, Any] = {"source_path": str(path)} if path is not None else {}
    parser = lark.Lark(text, parser="earley", lexer="dynamic_complete", start=start, **kwargs)

    def accepts(sample: str) -> bool:
        try:
            parser.parse(sample)
        except lark.exceptions.LarkError:
            return False
        return True

    return accepts
