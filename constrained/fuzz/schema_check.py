"""Whether a text is valid under a JSON Schema itself (not under our compile of it), for near-miss negatives.

Our JSON Schema constraints are stricter than the schema in a few ways on purpose (properties in the schema's
order, no whitespace before the value, ...). A mutation our constraint rejects can therefore still be a valid
document (a misspelled key becomes an allowed extra property in an unusual place): such a text is not a near
miss of the schema, and ``negatives`` drops it when given this check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def schema_validity(schema: dict[str, Any] | bool) -> Callable[[str], bool]:
    """``valid(text)``: strict JSON (no NaN/Infinity) and valid under ``schema`` with formats asserted.

    Uses ``jsonschema`` (the draft the schema names, its ``FormatChecker``). A document jsonschema cannot judge
    (a broken ``$ref``, recursion too deep) counts as valid, so the mutant is dropped rather than kept unproven.
    """
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())

    def valid(text: str) -> bool:
        try:
            doc = json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            return False
        try:
            return bool(validator.is_valid(doc))
        except Exception:  # noqa: BLE001 -- undecidable here: treat as valid, i.e. not a proven negative
            return True

    return valid
