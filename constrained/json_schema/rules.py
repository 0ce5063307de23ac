"""Recursive schemas as a context-free grammar: rule references inside regex-AST nodes, and the conversion.

Recursion through ``$ref`` and unbounded "any JSON" are not regular. Instead of unrolling them to a fixed depth,
the lowering puts a ``RuleRef`` placeholder where a recursive reference is re-entered and lowers the reference's
target once as a named rule body. ``to_grammar`` then turns the root node and the rule bodies into a
``grammar.ir.Grammar``: every sub-node without a placeholder becomes one regex terminal (so non-recursive parts
keep the DFA's speed), and only the parts around placeholders become CFG rules. The language is exact: no depth
bound at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from constrained.grammar.ir import Grammar
from constrained.nfa import ByteNFA
from constrained.regex_ast import EMPTY, NOTHING, Alt, Automaton, CharSet, Node, Repeat, Seq, seq

ANY_RULE = "any_value"


@dataclass(frozen=True)
class RuleRef:
    """A placeholder for the language of the named rule (lives inside regex-AST nodes)."""

    name: str


def rule_ref(name: str) -> Node:
    """A ``RuleRef`` typed as a node, so the regex-AST constructors accept it."""
    return cast(Node, RuleRef(name))


class RefScan:
    """Whether nodes contain a ``RuleRef`` (memoized per node object; nodes form a DAG)."""

    def __init__(self) -> None:
        self._memo: dict[int, bool] = {}
        self._keep: list[Any] = []

    def __call__(self, node: Any) -> bool:
        """Whether ``node`` holds a ``RuleRef`` anywhere below it."""
        key = id(node)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if isinstance(node, RuleRef):
            out = True
        elif isinstance(node, CharSet | Automaton):
            out = False
        elif isinstance(node, Repeat):
            out = self(node.item)
        else:
            out = any(self(i) for i in node.items)
        self._memo[key] = out
        self._keep.append(node)
        return out


def is_regular(root: Node, scan: RefScan | None = None) -> bool:
    """True when ``root`` holds no rule reference (it is then a plain regex)."""
    return not (scan or RefScan())(root)


class _Builder:
    def __init__(self) -> None:
        self.rules: dict[str, list[tuple[str, ...]]] = {}
        self.terminals: dict[str, Node] = {}
        self.scan = RefScan()
        self._term_of: dict[int, str] = {}
        self._rule_of: dict[int, str] = {}
        self._seq_of: dict[int, tuple[str, ...]] = {}
        self._structure = ByteNFA()  # used only for its structural interning of nodes
        self._term_by_structure: dict[int, str] = {}
        self._keep: list[Any] = []

    def terminal(self, node: Node) -> tuple[str, ...]:
        if node == EMPTY:
            return ()
        name = self._term_of.get(id(node))
        if name is None:
            # Structurally equal terminals (the same property in several rules) share one name and one DFA.
            sid = self._structure.intern(node)
            name = self._term_by_structure.get(sid)
            if name is None:
                name = f"T{len(self.terminals)}"
                self.terminals[name] = node
                self._term_by_structure[sid] = name
            self._term_of[id(node)] = name
            self._keep.append(node)
        return (name,)

    def new_rule(self, node: Any, alts: list[tuple[str, ...]]) -> str:
        name = f"R{len(self.rules)}"
        self.rules[name] = alts
        self._rule_of[id(node)] = name
        self._keep.append(node)
        return name

    def symbols(self, node: Any) -> tuple[str, ...]:
        """Symbols whose concatenation derives exactly the language of ``node``."""
        if isinstance(node, RuleRef):
            return (node.name,)
        if not self.scan(node):
            if node == NOTHING:
                return ("NOTHING",)
            return self.terminal(node)
        hit = self._seq_of.get(id(node))  # a shared sequence or repetition: built once, mandatory copies included
        if hit is not None:
            return hit
        if isinstance(node, Seq):
            out: list[str] = []
            run: list[Node] = []  # consecutive plain items share one terminal
            for item in node.items:
                if self.scan(item):
                    if run:
                        out += self.terminal(seq(*run))
                        run = []
                    out += self.symbols(item)
                else:
                    run.append(item)
            if run:
                out += self.terminal(seq(*run))
            self._seq_of[id(node)] = tuple(out)
            self._keep.append(node)
            return tuple(out)
        name = self._rule_of.get(id(node))
        if name is not None:
            return (name,)
        if isinstance(node, Alt):
            name = self.new_rule(node, [])
            self.rules[name] = [self.symbols(i) for i in node.items]
            return (name,)
        assert isinstance(node, Repeat)
        body = self.symbols(node.item)
        # item{min,max}: min copies, then a rule for the optional rest (right recursive when unbounded).
        name = self.new_rule(node, [])
        if node.max is None:
            self.rules[name] = [(), (*body, name)]
        else:
            tail: tuple[str, ...] = ()
            for _ in range(node.max - node.min):
                opt = f"R{len(self.rules)}"
                self.rules[opt] = [(), (*body, *tail)]
                tail = (opt,)
            self.rules[name] = [tail]
        copies = (*(body * node.min), name)
        self._seq_of[id(node)] = copies
        self._keep.append(node)
        return copies


def to_grammar(root: Node, bodies: dict[str, Node]) -> Grammar:
    """The grammar for ``root`` where each ``RuleRef(name)`` derives ``bodies[name]`` (not normalized)."""
    b = _Builder()
    b.rules["NOTHING"] = []  # the empty language: no alternatives (dropped as unproductive by normalize)
    b.rules["start"] = [b.symbols(root)]
    for name, body in bodies.items():
        b.rules[name] = [b.symbols(body)]
    return Grammar(b.rules, b.terminals, "start")


def used_rules(root: Node, bodies: dict[str, Node]) -> dict[str, Node]:
    """The rule bodies reachable from ``root`` (in first-use order); unused ones are dropped."""
    seen: set[int] = set()
    used: dict[str, Node] = {}
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, RuleRef):
            if node.name not in used and node.name in bodies:
                used[node.name] = bodies[node.name]
                stack.append(bodies[node.name])
        elif isinstance(node, Repeat):
            stack.append(node.item)
        elif not isinstance(node, CharSet | Automaton):
            stack.extend(node.items)
    return used
