"""Incremental Earley recognizer over regex terminals with a scannerless, all-split-points lexer.

The parser state after some bytes is

- ``boundaries``: Earley sets from which a new lexeme may start at the current byte (the set created by the last
  terminal that ended here, and older sets after an ``%ignore`` lexeme ended here, since ignored text leaves the
  parse where it was), and
- ``lexemes``: lexemes in progress, ``(earley_set, terminal, dfa_state)``: a terminal started after ``earley_set``
  whose DFA is now in ``dfa_state``.

On each byte every lexeme (and a fresh one per terminal expected at each boundary) moves in its terminal's DFA.
Where the DFA accepts, the lexeme *may* end (Earley scan -> completion -> prediction builds a new set, which
becomes a boundary) and it *also* continues while the DFA has outgoing moves: the choice between "end here" and
"go on" is never decided greedily, so the recognized language is exactly the CFG's over the terminals' languages
(what Lark's dynamic Earley lexer computes). Terminals never match ε (``ir.normalize`` guarantees it).

Earley sets are immutable objects that reference their origin sets directly, so states are persistent: a state
is two tuples, copying is free, and branches (matcher copies, mask probing) share history.

Nullable rules use Aycock & Horspool's fix (predicting a nullable symbol also advances over it). Left recursion
is linear; right recursion too, thanks to Leo items (``parse_state.leo_top``). Highly ambiguous grammars stay
cubic (Earley's bound): ``max_set_work`` turns a runaway step into ``BudgetExceeded``.
"""

from __future__ import annotations

import threading
import time
import weakref

from constrained.byte_dfa import DEAD, ByteDFA
from constrained.errors import BudgetExceeded
from constrained.gc_pause import gc_paused
from constrained.grammar.ir import Grammar
from constrained.grammar.parse_state import MISSING, EarleySet, GrammarParserState, Lexeme, leo_top
from constrained.grammar.terminal_cache import terminal_dfa
from constrained.warmup import warm_up

DEFAULT_MAX_TERMINAL_STATES = 50_000  # per terminal DFA
DEFAULT_MAX_ITEMS = 200_000  # Earley items per set
DEFAULT_MAX_WORK = 1_000_000  # completions per Earley set (~0.5 s of Python)
DEFAULT_MAX_LEXEMES = 20_000  # lexemes in progress per state
DEFAULT_MAX_SECONDS = 20.0  # compiling all terminal DFAs


class CompiledCFG:
    """A grammar ready for recognition: integer productions and one ``ByteDFA`` per terminal.

    Symbols in productions: nonterminals are ints >= 0, terminal ``t`` is ``~t`` (negative).

    Attributes:
        grammar: the normalized IR.
        term_names: terminal id -> name.
        dfas: terminal id -> ``ByteDFA`` (a property: builds any not built yet; ``dfa(t)`` builds one).
        ignore: ignore terminal ids.
    """

    def __init__(
        self,
        grammar: Grammar,
        *,
        max_terminal_states: int = DEFAULT_MAX_TERMINAL_STATES,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_work: int = DEFAULT_MAX_WORK,
        max_lexemes: int = DEFAULT_MAX_LEXEMES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        lazy_terminals: bool = False,
        eager_seconds: float = 0.0,
    ) -> None:
        """Number the symbols and compile the terminals (raises ``BudgetExceeded`` past the limits).

        With ``lazy_terminals`` a terminal's DFA is built when the parse first expects it (each within
        ``max_seconds``), so compiling costs only the terminals the initial state expects and those built ahead
        within ``eager_seconds``: grammars lowered from large JSON schemas have hundreds of terminals and one
        generation meets a few of them. A terminal too big to build then raises ``BudgetExceeded`` from the
        step that first expects it. Otherwise every terminal is built now, within ``max_seconds`` in all.
        """
        self.grammar = grammar
        self.max_items = max_items
        self.max_work = max_work
        self.max_lexemes = max_lexemes
        self.term_names = list(grammar.terminals)
        tid = {n: i for i, n in enumerate(self.term_names)}
        nt_names = ["<start>", *grammar.rules]
        nid = {n: i for i, n in enumerate(nt_names)}
        self.nt_names = nt_names
        self.lhs: list[int] = [0]
        self.rhs: list[tuple[int, ...]] = [(nid[grammar.start],)]
        for name, alts in grammar.rules.items():
            for a in alts:
                self.lhs.append(nid[name])
                self.rhs.append(tuple(nid[s] if s in nid else ~tid[s] for s in a))
        self.by_lhs: list[list[int]] = [[] for _ in nt_names]
        for p, head in enumerate(self.lhs):
            self.by_lhs[head].append(p)
        self.nullable = self._nullable()
        self.ignore = frozenset(tid[t] for t in grammar.ignore)
        self._ignore_order = tuple(sorted(self.ignore))
        warm_up()  # numba's first compile must not count against this budget
        self.max_terminal_states = max_terminal_states
        self.max_seconds = max_seconds
        n = len(self.term_names)
        self._dfas: list[ByteDFA | None] = [None] * n
        # Plain lists (filled as terminals are built): the per-byte loop indexes them ~10x faster than numpy.
        self._rows: list[list[list[int]]] = [[] for _ in range(n)]
        self._cls: list[list[int]] = [[] for _ in range(n)]
        self._acc: list[list[bool]] = [[] for _ in range(n)]
        self._out: list[list[bool]] = [[] for _ in range(n)]
        self._start: list[int] = [DEAD] * n
        self._build_lock = threading.Lock()
        self._failed: dict[int, BudgetExceeded] = {}
        if not lazy_terminals:
            deadline = time.monotonic() + max_seconds
            for t in range(n):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BudgetExceeded("max_compile_seconds", "compiling the grammar's terminals took too long")
                self._build_terminal(t, left)
        else:
            # Build ahead, in grammar order, for up to ``eager_seconds``: a terminal built during generation
            # stalls the engine step of every sequence in the batch, one built here stalls only this compile.
            ahead = time.monotonic() + eager_seconds
            for t in range(n):
                if time.monotonic() > ahead:
                    break
                self._build_terminal(t, max_seconds)  # over its budget: refused now, as in the eager mode
        # seeds -> set; weak values so sets die with the last state that uses them.
        self._interned: weakref.WeakValueDictionary[frozenset[tuple[int, int, EarleySet]], EarleySet] = (
            weakref.WeakValueDictionary()
        )
        root = EarleySet()
        self._build_set(root, [(0, 0, root)])
        self._initial = GrammarParserState((root,), ())

    def _nullable(self) -> list[bool]:
        null = [False] * len(self.nt_names)
        changed = True
        while changed:
            changed = False
            for p, head in enumerate(self.lhs):
                if not null[head] and all(s >= 0 and null[s] for s in self.rhs[p]):
                    null[head] = changed = True
        return null

    def _build_terminal(self, t: int, max_seconds: float) -> ByteDFA:
        with self._build_lock:  # matchers of one grammar may run in several threads
            built = self._dfas[t]
            if built is not None:
                return built
            failed = self._failed.get(t)
            if failed is not None:  # a terminal over its budget stays over it: do not spend the budget again
                raise BudgetExceeded(failed.limit, failed.detail)
            name = self.term_names[t]
            try:
                with gc_paused():  # built while parsing too: the collector would double the time (gc_pause.py)
                    dfa = terminal_dfa(self.grammar.terminals[name], self.max_terminal_states, max_seconds)  # shared
            except BudgetExceeded as e:
                where = self.grammar.where(name)
                label = name if where == name else f"{name} ({where})"
                err = self._failed[t] = BudgetExceeded(e.limit, f"terminal {label}: {e.detail}")
                raise err from None
            # The lists first, the DFA last: a terminal counts as built once ``_dfas[t]`` is set.
            self._rows[t] = dfa.row_lists()  # shared with the cached terminal automata
            self._cls[t] = dfa.class_list()
            self._acc[t] = dfa.accepting.tolist()
            self._out[t] = dfa.has_out.tolist()
            self._start[t] = dfa.start
            self._dfas[t] = dfa
            return dfa

    def dfa(self, t: int) -> ByteDFA:
        """Terminal ``t``'s DFA (built now if it was not yet; raises ``BudgetExceeded`` past the limits)."""
        return self._dfas[t] or self._build_terminal(t, self.max_seconds)

    @property
    def dfas(self) -> list[ByteDFA]:
        """Every terminal's DFA, in terminal order (builds the ones not built yet)."""
        return [self.dfa(t) for t in range(len(self.term_names))]

    def built_terminals(self) -> list[int]:
        """The terminals whose DFA is built so far."""
        return [t for t, d in enumerate(self._dfas) if d is not None]

    # --- Earley sets ---------------------------------------------------------------------------------------------

    def _build_set(self, s: EarleySet, seeds: list[tuple[int, int, EarleySet]]) -> EarleySet:
        """Close ``seeds`` (already advanced items) under completion and prediction into ``s``."""
        lhs, rhs, by_lhs, null = self.lhs, self.rhs, self.by_lhs, self.nullable
        items: set[tuple[int, int, EarleySet]] = set()
        work: list[tuple[int, int, EarleySet]] = []
        for it in seeds:
            if it not in items:
                items.add(it)
                work.append(it)
        predicted: set[int] = set()
        done = 0  # completion work: bounds the time of one step on highly ambiguous grammars (Earley is O(n^3))
        by_nt, by_term = s.by_nt, s.by_term
        while work:
            item = work.pop()
            p, d, o = item
            r = rhs[p]
            if d == len(r):
                if p == 0:
                    s.accepting = True
                if o is s:  # ε-completion: the nullable skip at prediction already advanced the waiters
                    continue
                top = leo_top(o, lhs[p], lhs, rhs)
                if top is not None:
                    # Deterministic chain of completions (right recursion): jump straight to its top item.
                    if top not in items:
                        items.add(top)
                        work.append(top)
                    continue
                waiting = o.by_nt.get(lhs[p], ())
                done += len(waiting)
                if done > self.max_work:
                    raise BudgetExceeded("max_set_work", f"one Earley step needed over {self.max_work} completions")
                for p2, d2, o2 in waiting:
                    nxt = (p2, d2 + 1, o2)
                    if nxt not in items:
                        items.add(nxt)
                        work.append(nxt)
                continue
            x = r[d]
            if x >= 0:
                by_nt.setdefault(x, []).append(item)
                new: list[tuple[int, int, EarleySet]] = []
                if x not in predicted:
                    predicted.add(x)
                    new.extend((p2, 0, s) for p2 in by_lhs[x])
                if null[x]:
                    new.append((p, d + 1, o))
                for nxt in new:
                    if nxt not in items:
                        items.add(nxt)
                        work.append(nxt)
            else:
                by_term.setdefault(~x, []).append(item)
            if len(items) > self.max_items:
                raise BudgetExceeded("max_items", f"an Earley set grew past {self.max_items} items")
        s.size = len(items)
        s.start_terms = tuple(t for t in sorted(by_term) if t not in self.ignore) + self._ignore_order
        for t in s.start_terms:  # every lexeme starts here, so its terminal is built before any byte reaches it
            if self._dfas[t] is None:
                self._build_terminal(t, self.max_seconds)
        return s

    def _scan(self, ended: list[tuple[EarleySet, int]]) -> EarleySet | None:
        """The set after terminals ``ended`` (``(set, terminal)`` pairs) end at one position; None if useless.

        Sets are hash-consed on their seed items: the same seeds always close to the same set, so different
        positions that reach the same parse context (every ``,`` of one JSON array) share one object, and with it
        every cache keyed on it (``after``, the mask index's per-set memo).
        """
        if sum(len(k.by_term[t]) for k, t in ended) > self.max_work:
            raise BudgetExceeded("max_set_work", f"one Earley step needed over {self.max_work} scans")
        seeds = frozenset((p, d + 1, o) for k, t in ended for p, d, o in k.by_term[t])
        new = self._interned.get(seeds)
        if new is None:
            new = self._build_set(EarleySet(), list(seeds))
            self._interned[seeds] = new
        return new if new.start_terms or new.accepting else None

    def _after(self, k: EarleySet, ts: list[int]) -> EarleySet | None:
        """``_scan`` of terminals ``ts`` ending after set ``k``, memoized on ``k``."""
        key = frozenset(ts)
        ref = k.after.get(key, MISSING)
        new = ref() if ref is not None and ref is not MISSING else None
        if new is None and ref is not None:
            new = self._scan([(k, t) for t in ts])
            k.after[key] = None if new is None else weakref.ref(new)
        return new

    def end_sets(self, k: EarleySet, t: int) -> list[EarleySet]:
        """The boundary sets right after a lexeme of terminal ``t`` started at ``k`` ends."""
        out = [k] if t in self.ignore else []
        if t in k.by_term:
            new = self._after(k, [t])
            if new is not None:
                out.append(new)
        return out

    def initial_state(self) -> GrammarParserState:
        """The state before any byte (one shared object: states are immutable)."""
        return self._initial

    # --- bytes ---------------------------------------------------------------------------------------------------

    def step(self, state: GrammarParserState, byte: int) -> GrammarParserState | None:
        """The state after one more byte, or None when no parse can continue."""
        rows, cls, acc, out, start = self._rows, self._cls, self._acc, self._out, self._start
        lexemes: dict[Lexeme, None] = {}  # insertion-ordered set: deterministic iteration
        ended: dict[tuple[EarleySet, int], None] = {}
        for k in state.boundaries:
            for t in k.start_terms:
                s2 = rows[t][start[t]][cls[t][byte]]
                if s2 != DEAD:
                    if acc[t][s2]:
                        ended[(k, t)] = None
                    if out[t][s2]:
                        lexemes[(k, t, s2)] = None
        for k, t, s in state.lexemes:
            s2 = rows[t][s][cls[t][byte]]
            if s2 != DEAD:
                if acc[t][s2]:
                    ended[(k, t)] = None
                if out[t][s2]:
                    lexemes[(k, t, s2)] = None
        bounds: dict[EarleySet, None] = {}
        by_set: dict[EarleySet, list[int]] = {}
        for k, t in ended:
            if t in self.ignore:
                bounds[k] = None
            if t in k.by_term:
                by_set.setdefault(k, []).append(t)
        new: EarleySet | None = None
        if len(by_set) == 1:
            ((k, ts),) = by_set.items()
            new = self._after(k, ts)
        elif by_set:
            new = self._scan([(k, t) for k, ts in by_set.items() for t in ts])
        if new is not None:
            bounds[new] = None
        if not lexemes and not bounds:
            return None
        if len(lexemes) > self.max_lexemes:
            raise BudgetExceeded("max_lexemes", f"more than {self.max_lexemes} lexemes in progress")
        return GrammarParserState(tuple(bounds), tuple(lexemes))

    def advance_bytes(self, state: GrammarParserState, data: bytes) -> GrammarParserState | None:
        """The state after ``data``, or None as soon as no parse can continue."""
        cur: GrammarParserState | None = state
        for b in data:
            cur = self.step(cur, b)  # type: ignore[arg-type]
            if cur is None:
                return None
        return cur

    def is_accepting(self, state: GrammarParserState) -> bool:
        """Whether the bytes so far form a complete sentence."""
        return any(k.accepting for k in state.boundaries)

    def can_continue(self, state: GrammarParserState) -> bool:
        """Whether some non-empty continuation may follow."""
        return bool(state.lexemes) or any(k.start_terms for k in state.boundaries)

    def open_lexemes(self, state: GrammarParserState) -> list[Lexeme]:
        """Lexemes the next byte may extend: those in progress plus a fresh one per terminal at each boundary."""
        fresh = [(k, t, self._start[t]) for k in state.boundaries for t in k.start_terms]
        return fresh + list(state.lexemes)

    def accepts(self, data: bytes) -> bool:
        """Whether ``data`` is a complete sentence of the grammar."""
        st = self.advance_bytes(self.initial_state(), data)
        return st is not None and self.is_accepting(st)


def advance_bytes(cfg: CompiledCFG, state: GrammarParserState, data: bytes) -> GrammarParserState | None:
    """Module-level alias of ``CompiledCFG.advance_bytes``."""
    return cfg.advance_bytes(state, data)


def is_accepting(cfg: CompiledCFG, state: GrammarParserState) -> bool:
    """Module-level alias of ``CompiledCFG.is_accepting``."""
    return cfg.is_accepting(state)
