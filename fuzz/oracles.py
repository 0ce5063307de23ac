"""Independent oracles: what the reference implementations say about a text.

- JSON Schema: ``json.loads`` (strict: no NaN/Infinity) then ``jsonschema`` with format checks (``FormatChecker``;
  formats whose checker needs an optional package that is not installed are not checked by it).
- Regex: the ``regex`` module's ``fullmatch``.
- Lark: ``lark.Lark`` with the Earley parser and the ``dynamic_complete`` lexer (every split point, like ours).
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
    """Accepts a text iff it is strict JSON and valid under ``schema`` (formats asserted)."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())

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


def regex_oracle(pattern: str) -> Oracle:
    """Accepts a text iff ``regex.fullmatch(pattern, text)``."""
    import regex

    compiled = regex.compile(pattern)
    return lambda text: compiled.fullmatch(text) is not None


def lark_oracle(text: str, path: Path | None = None, start: str = "start") -> Oracle:
    """Accepts a text iff Lark's Earley parser (``dynamic_complete`` lexer) parses it."""
    import lark

    kwargs: dict[str, Any] = {"import_paths": [str(path.parent)]} if path is not None else {}
    parser = lark.Lark(text, parser="earley", lexer="dynamic_complete", start=start, **kwargs)

    def accepts(sample: str) -> bool:
        try:
            parser.parse(sample)
        except lark.exceptions.LarkError:
            return False
        return True

    return accepts
