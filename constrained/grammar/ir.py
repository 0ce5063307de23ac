"""The grammar IR shared by the Lark and GBNF front ends: a CFG over regex terminals.

A ``Grammar`` is rules (name -> alternatives, each a tuple of symbol names), terminals (name -> ``regex_ast``
node, compiled lazily to a ``ByteDFA``), a start rule and ignore terminals (Lark ``%ignore``: may occur between
any two terminals). Rule and terminal names share one namespace; a symbol is a terminal iff it is a key of
``terminals``.

``normalize`` makes the IR ready for the Earley recognizer: terminals never match the empty string (a nullable
terminal ``T`` becomes a rule ``T ::= T' | ε`` with ``T'`` its non-empty part, so the lexer never has to emit
zero-width lexemes), unproductive rules and alternatives are dropped (so every live Earley item can still be
completed: the token masks rely on that), and unknown symbols are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constrained.errors import InvalidConstraint
from constrained.regex_ast import EMPTY, NOTHING, Alt, CharSet, Node, Repeat, Seq, alt, nullable, repeat, seq


@dataclass
class Grammar:
    """A context-free grammar whose terminals are regexes.

    Attributes:
        rules: rule name -> alternatives; each alternative is a tuple of symbol names (``()`` is ε).
        terminals: terminal name -> regex node (full-match language of one lexeme).
        start: the start rule's name.
        ignore: terminal names that may occur between any two terminals (and at both ends).
        lines: optional rule/terminal name -> "line N" for error messages.
    """

    rules: dict[str, list[tuple[str, ...]]]
    terminals: dict[str, Node]
    start: str
    ignore: tuple[str, ...] = ()
    lines: dict[str, str] = field(default_factory=dict)

    def where(self, name: str) -> str:
        """Location text for ``name`` (``"line N"`` when known, else the name)."""
        return self.lines.get(name, name)


def non_empty(node: Node) -> Node:
    """A node for the language of ``node`` minus the empty string."""
    if not nullable(node):
        return node
    if isinstance(node, Seq):
        # Every item is nullable: a non-empty match has a first non-empty item i; the items before it matched ε.
        items = node.items
        return alt(*(seq(non_empty(items[i]), *items[i + 1 :]) for i in range(len(items))))
    if isinstance(node, Alt):
        return alt(*(non_empty(i) for i in node.items))
    assert isinstance(node, Repeat)
    # item nullable or min == 0: x{m,n} == x{0,n}; drop empty copies, the first kept copy is non-empty.
    rest = None if node.max is None else node.max - 1
    return seq(non_empty(node.item), repeat(node.item, 0, rest))


def is_nothing(node: Node) -> bool:
    """Whether ``node`` matches no string at all."""
    if isinstance(node, CharSet):
        return not node.ranges
    if isinstance(node, Seq):
        return any(is_nothing(i) for i in node.items)
    if isinstance(node, Alt):
        return all(is_nothing(i) for i in node.items)
    return node.min > 0 and is_nothing(node.item)


def normalize(g: Grammar) -> Grammar:
    """Non-empty terminals, productive rules only, every symbol defined.

    Raises:
        InvalidConstraint: an undefined symbol, a missing start rule, or a grammar whose language is empty.
    """
    rules = {name: [tuple(a) for a in alts] for name, alts in g.rules.items()}
    terminals: dict[str, Node] = {}
    if g.start not in rules:
        raise InvalidConstraint(f"start rule {g.start!r} is not defined", g.where(g.start))
    for name, alts in rules.items():
        for a in alts:
            for sym in a:
                if sym not in rules and sym not in g.terminals:
                    raise InvalidConstraint(f"symbol {sym!r} used in rule {name!r} is not defined", g.where(name))
    renamed: dict[str, str] = {}
    for name, node in g.terminals.items():
        if nullable(node):
            core = non_empty(node)
            inner = name + "'"
            if not is_nothing(core):
                terminals[inner] = core
            renamed[name] = inner
            rules[name] = [(inner,), ()] if not is_nothing(core) else [()]
        elif not is_nothing(node):
            terminals[name] = node
    ignore = tuple(renamed.get(t, t) for t in g.ignore if renamed.get(t, t) in terminals)
    _drop_unproductive(rules, terminals)
    if g.start not in rules:
        raise InvalidConstraint(f"the language of start rule {g.start!r} is empty", g.where(g.start))
    return Grammar(rules, terminals, g.start, ignore, dict(g.lines))


def _drop_unproductive(rules: dict[str, list[tuple[str, ...]]], terminals: dict[str, Node]) -> None:
    """Remove alternatives that can derive no terminal string, and rules left without alternatives (in place)."""
    productive: set[str] = set(terminals)
    changed = True
    while changed:
        changed = False
        for name, alts in rules.items():
            if name not in productive and any(all(s in productive for s in a) for a in alts):
                productive.add(name)
                changed = True
    for name in list(rules):
        if name not in productive:
            del rules[name]
        else:
            rules[name] = [a for a in rules[name] if all(s in productive for s in a)]


__all__ = ["EMPTY", "NOTHING", "Grammar", "is_nothing", "non_empty", "normalize", "nullable"]
