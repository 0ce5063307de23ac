"""Output constraints of a request (``response_format``, ``guided_*``) -> a compiled constraint.

Building the spec is cheap and happens on the event loop; compiling may take up to the compiler's budget, so
:func:`compile_off_loop` runs it in a worker thread. Every compiler refusal becomes a 400 that names the field and
the keyword or feature (``UnsupportedFeature.keyword``), never a weaker constraint.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import constrained
from api.schemas import RequestError, ResponseFormatJsonObject, ResponseFormatJsonSchema, SamplingFields

ANY_OBJECT: dict[str, Any] = {"type": "object"}


@dataclass(frozen=True)
class ConstraintSpec:
    """What to compile, and which request field asked for it (for error messages).

    Attributes:
        kind: ``"json_schema"``, ``"regex"``, ``"choice"`` or ``"grammar"``.
        value: the schema (dict), pattern, choice list or grammar text.
        param: the request field, e.g. ``"response_format.json_schema.schema"``.
        whitespace: JSON whitespace policy (``"flexible"``, ``"compact"``) or a custom regex pattern.
        syntax: grammar syntax (``"lark"`` or ``"gbnf"``).
    """

    kind: str
    value: Any
    param: str
    whitespace: str = "flexible"
    syntax: str = "lark"


class ConstraintRefused(RequestError):
    """A 400 for a constraint the compiler refused; ``code`` says why (see :func:`compile_spec`)."""

    def __init__(self, message: str, param: str | None, code: str) -> None:
        super().__init__(message, param)
        self.code = code


def grammar_syntax(text: str) -> str:
    """``"gbnf"`` when the grammar uses GBNF's ``::=`` rule operator, else ``"lark"``."""
    return "gbnf" if "::=" in text else "lark"


def request_constraint(request: SamplingFields) -> ConstraintSpec | None:
    """The constraint a request's ``response_format`` / ``guided_*`` fields ask for (the schemas allow one).

    Tool-call constraints are built by :mod:`api.tools`.
    """
    ws = request.guided_whitespace_pattern
    whitespace = "flexible" if ws is None else ws
    fmt = request.response_format
    if isinstance(fmt, ResponseFormatJsonSchema):
        schema = fmt.json_schema.schema if fmt.json_schema.schema is not None else ANY_OBJECT
        return ConstraintSpec("json_schema", schema, "response_format.json_schema.schema", whitespace)
    if isinstance(fmt, ResponseFormatJsonObject):
        return ConstraintSpec("json_schema", fmt.schema if fmt.schema is not None else ANY_OBJECT,
                              "response_format.schema" if fmt.schema is not None else "response_format", whitespace)
    if request.guided_json is not None:
        return ConstraintSpec("json_schema", request.guided_json, "guided_json", whitespace)
    if request.guided_regex is not None:
        return ConstraintSpec("regex", request.guided_regex, "guided_regex")
    if request.guided_choice is not None:
        return ConstraintSpec("choice", request.guided_choice, "guided_choice")
    if request.guided_grammar is not None:
        return ConstraintSpec("grammar", request.guided_grammar, "guided_grammar",
                              syntax=grammar_syntax(request.guided_grammar))
    return None


def _whitespace_option(spec: ConstraintSpec) -> Any:
    """The compiler's whitespace argument: a name, or a custom pattern parsed to a regex node."""
    if spec.whitespace in ("flexible", "compact"):
        return spec.whitespace
    try:
        return constrained.parse_regex(spec.whitespace)
    except constrained.ConstraintError as exc:
        raise ConstraintRefused(f"'guided_whitespace_pattern' is not a usable regex: {exc}",
                                "guided_whitespace_pattern", "invalid_constraint") from None


def compile_spec(spec: ConstraintSpec, vocab: Any) -> Any:
    """Compile ``spec`` for ``vocab`` (blocking: call through :func:`compile_off_loop`).

    Raises:
        ConstraintRefused: ``unsupported_feature`` (names the keyword and where), ``constraint_too_large``
            (over the state or time budget) or ``invalid_constraint`` (malformed input).
    """
    try:
        if spec.kind == "json_schema":
            whitespace = _whitespace_option(spec)
            try:
                return constrained.compile_json_schema(spec.value, vocab, whitespace=whitespace)
            except constrained.InvalidConstraint as exc:
                if spec.whitespace not in ("flexible", "compact") and "whitespace" in str(exc):
                    raise ConstraintRefused(f"'guided_whitespace_pattern' is refused: {exc}",
                                            "guided_whitespace_pattern", "invalid_constraint") from None
                raise
        if spec.kind == "regex":
            return constrained.compile_regex(spec.value, vocab)
        if spec.kind == "choice":
            return constrained.compile_choice(spec.value, vocab)
        return constrained.compile_grammar(spec.value, vocab, syntax=spec.syntax)
    except constrained.UnsupportedFeature as exc:
        where = f" at {exc.pointer}" if exc.pointer else ""
        reason = f": {exc.reason}" if exc.reason else ""
        raise ConstraintRefused(f"'{spec.param}' uses '{exc.keyword}'{where}, which this server cannot enforce "
                                f"exactly{reason}", spec.param, "unsupported_feature") from None
    except constrained.BudgetExceeded as exc:
        raise ConstraintRefused(f"'{spec.param}' is too large to compile within the server's budget: {exc}",
                                spec.param, "constraint_too_large") from None
    except constrained.ConstraintError as exc:
        raise ConstraintRefused(f"'{spec.param}' is not a valid constraint: {exc}", spec.param,
                                "invalid_constraint") from None


async def compile_off_loop(spec: ConstraintSpec | None, vocab: Any) -> Any:
    """Compile ``spec`` in a worker thread so that the event loop keeps serving; None passes through."""
    if spec is None:
        return None
    return await asyncio.to_thread(compile_spec, spec, vocab)
