r"""Whitespace between JSON tokens, always bounded so no automaton can loop on it forever.

``"flexible"`` admits an optional line break (``\n`` or ``\r\n``) followed by up to ``MAX_INDENT`` spaces
or tabs: enough for ``json.dumps(indent=2)`` up to 10 levels deep or ``indent=4`` up to 5 levels, plus the
single spaces of ``", "`` / ``": "``. Each whitespace position costs about ``MAX_INDENT`` automaton states,
which is why the bound is small. ``"compact"`` admits none. A regex-AST node may be passed as a custom
pattern; it must itself be bounded (checked).
"""

from __future__ import annotations

from constrained.errors import InvalidConstraint
from constrained.regex_ast import EMPTY, Node, Repeat, alt, chars, literal, optional, repeat, seq

MAX_INDENT = 20

FLEXIBLE = seq(optional(alt(chars("\n"), literal("\r\n"))), repeat(chars(" \t"), 0, MAX_INDENT))


def _bounded(node: Node) -> bool:
    if isinstance(node, Repeat):
        return node.max is not None and _bounded(node.item)
    return all(_bounded(i) for i in getattr(node, "items", ()))


def whitespace_node(spec: str | Node) -> Node:
    """The node for one whitespace position.

    Args:
        spec: ``"compact"``, ``"flexible"`` or a bounded regex-AST node.

    Raises:
        InvalidConstraint: unknown name or an unbounded custom node.
    """
    if spec == "compact":
        return EMPTY
    if spec == "flexible":
        return FLEXIBLE
    if isinstance(spec, str):
        raise InvalidConstraint(f"whitespace must be 'compact', 'flexible' or a regex node, not {spec!r}")
    if not _bounded(spec):
        raise InvalidConstraint("a custom whitespace pattern must be bounded (no unbounded repetition)")
    return spec
