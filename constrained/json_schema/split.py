"""Large lowered schemas as grammars: shared or oversized sub-expressions become rules instead of automaton copies.

A lowered schema is a DAG: a subschema used in fifty places (a ``$ref``'d definition) is one node with fifty
parents. As one automaton, every use is a separate copy, and big schemas blow the state budgets (MaskBench:
"needs more than 1,000,000 NFA states") or take seconds to determinize. ``split_large`` keeps the language and turns
such nodes into grammar rules: a shared node of some size, the biggest parts of a sequence or alternation that is
too big as a whole, and the item of a repetition whose copies would be. The Earley path then compiles only the small
pieces between rule references as automata (``rules.to_grammar``).

Sizes estimate NFA states: one per character set, a repetition counts its item once per copy it unrolls into.
"""

from __future__ import annotations

from typing import Any

from constrained.regex_ast import Alt, Automaton, CharSet, Node, Repeat, Seq

from .rules import RuleRef, rule_ref

SPLIT_ABOVE = 60_000  # estimated NFA states of a whole schema above which it is split
SHARED_MIN = 400  # a node used in several places becomes a rule from this size on
PIECE_MAX = 5_000  # a sequence or alternation larger than this becomes a rule whatever its use count


def estimated_size(root: Node, bodies: dict[str, Node]) -> int:
    """Estimated NFA states of ``root`` and the rule bodies, every use of a shared node counted."""
    memo: dict[int, int] = {}
    return sum(_size(n, memo) for n in (root, *bodies.values()))


def split_large(root: Node, bodies: dict[str, Node]) -> tuple[Node, dict[str, Node]]:
    """``(root, bodies)`` with the same language where big pieces are rules (see the module docstring).

    Returns the inputs unchanged when the estimate is below ``SPLIT_ABOVE``.
    """
    if estimated_size(root, bodies) <= SPLIT_ABOVE:
        return root, bodies
    splitter = _Splitter(bodies)
    for node in (root, *bodies.values()):
        splitter.count_uses(node)
    new_root = splitter.rebuild(root)
    new_bodies = {name: splitter.rebuild(body) for name, body in bodies.items()}
    return new_root, {**new_bodies, **splitter.extracted}


def _size(node: Any, memo: dict[int, int]) -> int:
    key = id(node)
    hit = memo.get(key)
    if hit is not None:
        return hit
    if isinstance(node, CharSet | RuleRef):
        out = 1
    elif isinstance(node, Automaton):
        out = int(getattr(node.dfa, "num_states", 1))
    elif isinstance(node, Repeat):
        out = _size(node.item, memo) * max(1, node.max if node.max is not None else node.min + 1)
    else:
        out = 1 + sum(_size(i, memo) for i in node.items)
    memo[key] = out
    return out


class _Splitter:
    """Post-order rebuild of the DAG; each node is rebuilt once (memoized by identity)."""

    def __init__(self, bodies: dict[str, Node]) -> None:
        self.uses: dict[int, int] = {}
        self.extracted: dict[str, Node] = {}
        self._taken = set(bodies)
        self._new: dict[int, tuple[Node, int]] = {}  # id -> (rebuilt node, its size with extracted parts as 1)
        self._refs: dict[int, Node] = {}  # id of an extracted body -> its rule reference
        self._keep: list[Any] = []  # keeps nodes alive so ids stay unique

    def count_uses(self, root: Node) -> None:
        """How many parents point at each node (iterative: schemas nest deeply)."""
        stack: list[Any] = [root]
        while stack:
            node = stack.pop()
            seen = self.uses.get(id(node), 0)
            self.uses[id(node)] = seen + 1
            if seen:
                continue
            if isinstance(node, Repeat):
                stack.append(node.item)
            elif isinstance(node, Seq | Alt):
                stack.extend(node.items)

    def rebuild(self, root: Node) -> Node:
        """The rebuilt ``root`` (children first, without recursion)."""
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in self._new:
                continue
            children = [node.item] if isinstance(node, Repeat) else list(getattr(node, "items", ()))
            if isinstance(node, CharSet | Automaton | RuleRef) or not children:
                self._new[id(node)] = (node, _size(node, {}))
                self._keep.append(node)
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in self._new)
                continue
            self._new[id(node)] = self._rebuilt(node)
            self._keep.append(node)
        return self._new[id(root)][0]

    def _rebuilt(self, node: Any) -> tuple[Node, int]:
        if isinstance(node, Repeat):
            item, size = self._new[id(node.item)]
            copies = max(1, node.max if node.max is not None else node.min + 1)
            if size * copies > PIECE_MAX and isinstance(item, Seq | Alt):
                item, size = self._extract(item), 1
            return Repeat(item, node.min, node.max), size * copies
        parts = [self._new[id(c)] for c in node.items]
        size = 1 + sum(p[1] for p in parts)
        # Too big for one automaton: its biggest composite children become rules until it fits. (Extracting the
        # node itself would not help: a rule body without references is still one automaton.)
        for i in sorted(range(len(parts)), key=lambda i: -parts[i][1]):
            if size <= PIECE_MAX:
                break
            child, child_size = parts[i]
            if isinstance(child, Seq | Alt) and child_size > 1:
                parts[i] = (self._extract(child), 1)
                size -= child_size - 1
        rebuilt: Node = (Seq if isinstance(node, Seq) else Alt)(tuple(p[0] for p in parts))
        if size >= SHARED_MIN and self.uses.get(id(node), 0) > 1:
            return self._extract(rebuilt), 1
        return rebuilt, size

    def _extract(self, body: Node) -> Node:
        """The rule reference for ``body`` (one rule per body, however many parents extract it)."""
        ref = self._refs.get(id(body))
        if ref is None:
            name = f"split{len(self.extracted)}"
            while name in self._taken:
                name += "_"
            self._taken.add(name)
            self.extracted[name] = body
            ref = self._refs[id(body)] = rule_ref(name)
            self._keep.append(body)
        return ref
