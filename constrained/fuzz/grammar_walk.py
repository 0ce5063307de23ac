"""Random derivations of a compiled grammar within a byte budget, terminals drawn from their DFAs.

The expansion is leftmost, with an explicit stack. Every symbol has a minimum yield length (terminals: their DFA's
shortest string; rules: a fixed point over the productions), and the stack keeps the sum of the minimum lengths of
what is still pending, so a production is only chosen when its minimum length fits what is left of the budget:
every derivation finishes within the budget. Zero-length cycles (nullable rules) cannot consume budget, so past a
depth limit or an expansion count the expansion switches to each rule's *safe* production: the one of its
shortest derivation with the least depth, whose children have strictly smaller depth, hence it terminates.

The text is the concatenation of the terminal strings (plus, now and then, an ``%ignore`` lexeme between two
terminals). The recognizer's lexer tries every split point, so such a text is always in the language; each text is
still checked with the Earley recognizer (``check=True``).
"""

from __future__ import annotations

import random

from constrained.errors import BudgetExceeded
from constrained.fuzz.coverage import Coverage
from constrained.fuzz.dfa_walk import DEFAULT_MAX_LENGTH, INF, DFAWalker
from constrained.grammar.earley import CompiledCFG

TERMINAL_SLACK = 24  # at most this many bytes beyond its shortest string per terminal: leaves room for structure
IGNORE_CHANCE = 0.25  # chance of an %ignore lexeme (whitespace, comments) between two terminals
EXTRA_DEPTH = 48  # depth allowed beyond the safe derivation's depth before forcing safe productions
RETRIES = 10


class GrammarWalker:
    """Minimum lengths and depths of a ``CompiledCFG``'s symbols; ``derive`` draws one sentence.

    Attributes:
        cfg: the compiled grammar (productions use ints: rules >= 0, terminal ``t`` is ``~t``).
        terminals: one ``DFAWalker`` per terminal.
        min_len: rule -> length of its shortest yield; ``prod_len``: the same per production.
        safe: rule -> the production that starts its shortest, shallowest derivation.
        used: productions used so far (production 0, ``<start> -> start``, excluded from coverage).
    """

    def __init__(self, cfg: CompiledCFG) -> None:
        """Precompute the tables (raises ``ValueError`` if the language is empty)."""
        self.cfg = cfg
        self.terminals = [DFAWalker(d) for d in cfg.dfas]
        self.term_len = [w.shortest for w in self.terminals]
        self._fixed_point()
        self.used: set[int] = set()
        self.terms_used: set[int] = set()
        self._gap: list[int] | None = None
        self._gap_at = -1

    def _sym_len(self, x: int) -> int:
        return self.term_len[~x] if x < 0 else self.min_len[x]

    def _fixed_point(self) -> None:
        """``(length, depth)`` of each rule's shortest-then-shallowest derivation, lexicographic Bellman-Ford."""
        cfg = self.cfg
        key = [(INF, INF)] * len(cfg.nt_names)
        self.safe = [-1] * len(cfg.nt_names)
        changed = True
        while changed:
            changed = False
            for p, head in enumerate(cfg.lhs):
                k = self._prod_key(p, key)
                if k < key[head]:
                    key[head] = k
                    self.safe[head] = p
                    changed = True
        if key[0][0] >= INF:
            raise ValueError("the grammar's language is empty: there is nothing to sample")
        self.min_len = [k[0] for k in key]
        self.depth = [k[1] for k in key]
        self.prod_len = [self._prod_key(p, key)[0] for p in range(len(cfg.rhs))]

    def _prod_key(self, p: int, key: list[tuple[int, int]]) -> tuple[int, int]:
        length, depth = 0, 0
        for x in self.cfg.rhs[p]:
            if x < 0:
                length += self.term_len[~x]
            else:
                length += key[x][0]
                depth = max(depth, key[x][1])
        return (min(length, INF), min(depth + 1, INF))

    @property
    def shortest(self) -> int:
        """Length in bytes of the shortest sentence."""
        return self.min_len[0]

    def _gaps(self) -> list[int]:
        """Coverage mode: expansions from each rule to the nearest rule with an unused production."""
        if self._gap is None or self._gap_at != len(self.used):
            cfg = self.cfg
            gap = [0 if any(p not in self.used for p in ps) else INF for ps in cfg.by_lhs]
            changed = True
            while changed:
                changed = False
                for p, head in enumerate(cfg.lhs):
                    best = min((gap[x] for x in cfg.rhs[p] if x >= 0), default=INF) + 1
                    if best < gap[head]:
                        gap[head] = best
                        changed = True
            self._gap, self._gap_at = gap, len(self.used)
        return self._gap

    def derive(self, rng: random.Random, budget: int, mode: str) -> bytes:
        """One sentence of at most ``budget`` bytes; ``mode`` as in ``DFAWalker.walk``."""
        cfg, min_len = self.cfg, self.min_len
        if min_len[0] > budget:
            raise ValueError(f"the shortest sentence has {min_len[0]} bytes, more than the budget {budget}")
        gap = self._gaps() if mode == "coverage" else None
        max_depth = self.depth[0] + EXTRA_DEPTH
        max_expansions = 4 * budget + 200
        out = bytearray()
        stack: list[tuple[int, int]] = [(0, 0)]  # (symbol, depth)
        reserved = min_len[0]
        expansions = 0
        while stack:
            sym, depth = stack.pop()
            reserved -= self._sym_len(sym)
            if sym < 0:
                self._terminal(rng, ~sym, out, budget - reserved, mode)
                continue
            slack = budget - len(out) - reserved
            expansions += 1
            if depth >= max_depth or expansions > max_expansions:
                p = self.safe[sym]
            else:
                p = self._choose(rng, sym, slack, mode, gap)
            self.used.add(p)
            rhs = cfg.rhs[p]
            reserved += self.prod_len[p]
            stack.extend((x, depth + 1) for x in reversed(rhs))
        return bytes(out)

    def _choose(self, rng: random.Random, sym: int, slack: int, mode: str, gap: list[int] | None) -> int:
        prods = [p for p in self.cfg.by_lhs[sym] if self.prod_len[p] <= slack]
        if mode == "shortest":
            prods = [p for p in prods if self.prod_len[p] == self.min_len[sym]]
        elif mode == "longest":
            most = max(self.prod_len[p] for p in prods)
            prods = [p for p in prods if self.prod_len[p] == most]
        elif gap is not None:
            unused = [p for p in prods if p not in self.used]
            if unused:
                prods = unused
            else:
                near = {p: min((gap[x] for x in self.cfg.rhs[p] if x >= 0), default=INF) for p in prods}
                best = min(near.values())
                if best < INF:
                    prods = [p for p in prods if near[p] == best]
        return prods[rng.randrange(len(prods))] if len(prods) > 1 else prods[0]

    def _terminal(self, rng: random.Random, t: int, out: bytearray, limit: int, mode: str) -> None:
        """Append a lexeme of terminal ``t`` (maybe after an ignored one) without passing ``limit`` bytes."""
        room = limit - len(out) - self.term_len[t]
        if out and self.cfg.ignore and mode != "shortest" and rng.random() < IGNORE_CHANCE:
            ign = sorted(self.cfg.ignore)[rng.randrange(len(self.cfg.ignore))]
            walker = self.terminals[ign]
            if walker.shortest <= min(room, walker.shortest + 2):
                out += walker.walk(rng, min(room, walker.shortest + 2), "random")
                self.terms_used.add(ign)
                room = limit - len(out) - self.term_len[t]
        extra = min(room, TERMINAL_SLACK)
        if mode == "random":
            extra = rng.randint(0, extra)
        out += self.terminals[t].walk(rng, self.term_len[t] + extra, mode)
        self.terms_used.add(t)

    def coverage(self) -> Coverage:
        """Grammar alternatives (productions of the normalized grammar) used so far."""
        total = len(self.cfg.rhs) - 1
        used = len(self.used - {0})
        return Coverage("grammar alternatives", used, total,
                        {"terminals_used": len(self.terms_used), "terminals": len(self.terminals)})


class GrammarSampler:
    """Draws sentences of a compiled grammar with one strategy and one seeded random source."""

    def __init__(self, cfg: CompiledCFG, *, seed: int, max_length: int | None, strategy: str, check: bool = True):
        """See ``constrained.fuzz.sample``; ``check`` verifies every sentence with the Earley recognizer."""
        self.walker = GrammarWalker(cfg)
        self.rng = random.Random(seed)
        self.max_length = max_length if max_length is not None else max(DEFAULT_MAX_LENGTH, 2 * self.walker.shortest)
        if self.walker.shortest > self.max_length:
            raise ValueError(f"the shortest sentence has {self.walker.shortest} bytes, more than max_length "
                             f"{self.max_length}")
        self.strategy = strategy
        self.check = check
        self.count = 0
        self.rejected = 0  # sentences the recognizer refused (a bug in the sampler or the recognizer)
        self.unchecked = 0  # sentences the recognizer could not decide within its budgets

    def draw(self) -> str:
        """The next sentence (raises ``RuntimeError`` if the recognizer keeps refusing them)."""
        mode = self.strategy
        if mode == "boundary":
            mode = ("shortest", "longest")[self.count % 2]
        self.count += 1
        for _ in range(RETRIES):
            data = self.walker.derive(self.rng, self.max_length, mode)
            if not self.check:
                return data.decode("utf-8")
            try:
                ok = self.walker.cfg.accepts(data)
            except BudgetExceeded:
                self.unchecked += 1
                return data.decode("utf-8")
            if ok:
                return data.decode("utf-8")
            self.rejected += 1
        raise RuntimeError(f"the recognizer rejected {RETRIES} sampled sentences in a row; please file an issue")

    def coverage(self) -> Coverage:
        """See ``GrammarWalker.coverage``."""
        return self.walker.coverage()
