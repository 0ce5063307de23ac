"""``multipleOf`` judged in exact decimals, for the validator the compiler consults.

Python's ``jsonschema`` divides floats for a fractional ``multipleOf``, so it calls 10.99 no multiple of 0.01
(10.99 / 0.01 is 1098.9999999999999). The specification, the test suite and the corpora mean exact decimal
division, which is what the compiler builds (``numbers.decimal_multiples``); the validator it asks about listed
values and branch overlaps must agree with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import extend


def exact_decimal(value: Any) -> Decimal:
    """The decimal a JSON number was written as, from what Python parsed (a float read as its shortest repr)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """The ``multipleOf`` keyword, exact for every int and float (floats read as their shortest decimal)."""
    if not validator.is_type(instance, "number"):
        return
    try:
        whole = Fraction(exact_decimal(instance)) % Fraction(exact_decimal(step)) == 0
    except (InvalidOperation, OverflowError, ValueError, ZeroDivisionError):  # inf, nan
        whole = False
    if not whole:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


def with_exact_multiple_of(validator_cls: Any) -> Any:
    """``validator_cls`` with ``multipleOf`` judged in exact decimals."""
    return extend(validator_cls, {"multipleOf": multiple_of})
