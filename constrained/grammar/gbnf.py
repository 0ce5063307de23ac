r"""llama.cpp GBNF text -> grammar IR.

Syntax (as llama.cpp's ``grammar-parser`` reads it): ``name ::= alternatives`` rules, ``root`` is the start rule,
``"..."`` literals and ``[...]`` / ``[^...]`` classes with ``\x.. \u.... \U........ \t \r \n \\ \" \[ \]``
escapes, ``.`` (any character), ``( )`` groups, ``| * + ? {m} {m,} {m,n}``, ``#`` comments. A newline ends a rule
except inside parentheses or right after ``|``. A later definition of a rule replaces an earlier one (as in
llama.cpp).

GBNF is scannerless (character level). Every rule whose reference graph never reaches a cycle is inlined as a
regex; in the recursive rules, each maximal run of such pieces becomes one terminal. So the CFG keeps only the
recursive structure and the Earley parser sees few, long terminals (``"{" ws`` is one lexeme, not three).
"""

from __future__ import annotations

from constrained.errors import InvalidConstraint
from constrained.grammar.gbnf_syntax import Alt, Ref, Rep, parse_rules, refs
from constrained.grammar.ir import Grammar
from constrained.regex_ast import EMPTY, Node, alt, repeat, seq


def parse_gbnf(text: str, start: str = "root", inline: bool = True) -> Grammar:
    """Parse GBNF text into the grammar IR (non-recursive parts become regex terminals).

    Args:
        text: the grammar.
        start: the start rule.
        inline: inline every non-recursive rule as a regex (few, long terminals). False keeps every rule as a CFG
            rule and only turns runs of literals and classes into terminals: the fallback when inlining would
            make a terminal's DFA too large.

    Raises:
        InvalidConstraint: syntax error, undefined rule or missing start rule, with ``"line N"``.
        UnsupportedFeature: llama.cpp token references (``<...>``).
    """
    rules, lines = parse_rules(text)
    if start not in rules:
        raise InvalidConstraint(f"grammar has no {start!r} rule", "line 1")
    for name, body in rules.items():
        for ref in refs(body):
            if ref.name not in rules:
                raise InvalidConstraint(f"undefined rule {ref.name!r} (used in {name!r})", f"line {ref.line}")
    return _Lowering(rules, lines, inline).run(start)


class _Lowering:
    """Rules with no path to a cycle -> regex nodes; the rest -> CFG rules over merged regex terminals."""

    def __init__(self, rules: dict[str, Alt], lines: dict[str, int], inline: bool) -> None:
        self.src = rules
        self.lines = lines
        edges = {n: {r.name for r in refs(b)} for n, b in rules.items()}
        reach: dict[str, set[str]] = {}
        for n in rules:
            seen: set[str] = set()
            stack = list(edges[n])
            while stack:
                m = stack.pop()
                if m not in seen:
                    seen.add(m)
                    stack.extend(edges[m])
            reach[n] = seen
        cyclic = {n for n in rules if n in reach[n]}
        self.regular = {n for n in rules if n not in cyclic and not (reach[n] & cyclic)} if inline else set()
        self.nodes: dict[str, Node] = {}
        self.terms: dict[Node, str] = {}
        self.out: dict[str, list[tuple[str, ...]]] = {}
        self.fresh = 0

    def run(self, start: str) -> Grammar:
        if start in self.regular:
            self.out[start] = [(self.term(self.rule_node(start)),)]
        else:
            for name in self.src:
                if name not in self.regular:
                    self.out[name] = [self.lower_seq(s) for s in self.src[name].seqs]
        terminals = {name: node for node, name in self.terms.items()}
        lines = {n: f"line {ln}" for n, ln in self.lines.items()}
        return Grammar(self.out, terminals, start, (), lines)

    def is_regular(self, item: object) -> bool:
        return all(r.name in self.regular for r in refs(item))

    def rule_node(self, name: str) -> Node:
        got = self.nodes.get(name)
        if got is None:
            got = self.node(self.src[name])
            self.nodes[name] = got
        return got

    def node(self, item: object) -> Node:
        if isinstance(item, Ref):
            return self.rule_node(item.name)
        if isinstance(item, Alt):
            return alt(*(seq(*(self.node(i) for i in s)) for s in item.seqs))
        if isinstance(item, Rep):
            return repeat(self.node(item.item), item.min, item.max)
        return item  # type: ignore[return-value]

    def term(self, node: Node) -> str:
        name = self.terms.get(node)
        if name is None:
            name = f"%t{len(self.terms)}"
            self.terms[node] = name
        return name

    def new_rule(self, alts: list[tuple[str, ...]]) -> str:
        self.fresh += 1
        name = f"%r{self.fresh}"
        self.out[name] = alts
        return name

    def lower_seq(self, items: tuple[object, ...]) -> tuple[str, ...]:
        out: list[str] = []
        pending: list[Node] = []
        for item in (*items, None):
            if item is not None and self.is_regular(item):
                pending.append(self.node(item))
                continue
            if pending:
                merged = seq(*pending)
                pending = []
                if merged != EMPTY:
                    out.append(self.term(merged))
            if item is not None:
                out.extend(self.lower_item(item))
        return tuple(out)

    def lower_item(self, item: object) -> list[str]:
        if isinstance(item, Ref):
            return [item.name]
        if isinstance(item, Alt):
            if len(item.seqs) == 1:
                return list(self.lower_seq(item.seqs[0]))
            return [self.new_rule([self.lower_seq(s) for s in item.seqs])]
        assert isinstance(item, Rep)
        body = self.lower_item(item.item)
        one = body[0] if len(body) == 1 else self.new_rule([tuple(body)])
        syms = [one] * item.min
        if item.max is None:
            # Left recursion: Earley handles it in linear time (right recursion would be quadratic).
            star = f"%r{self.fresh + 1}"
            self.new_rule([(star, one), ()])
            syms.append(star)
        elif item.max > item.min:
            opt = self.new_rule([(one,), ()])
            for _ in range(item.max - item.min - 1):
                opt = self.new_rule([(one, opt), ()])
            syms.append(opt)
        return syms
