"""Random walks on a ``ByteDFA`` that always end in an accepting state within a length budget.

Every live state knows its distance to acceptance (the length of the shortest remaining string). A walk with ``r``
bytes of budget left only takes edges into states whose distance is below ``r``, so whatever it chooses it can
still finish: when no edge fits, the state's distance is 0, i.e. it accepts. Each step picks a byte *class* (an
edge of the table) and then a concrete byte of that class; the DFAs built from regexes, choices and JSON Schemas
only accept well-formed UTF-8, so every finished walk decodes to text.
"""

from __future__ import annotations

import random
from collections import deque

from constrained.byte_dfa import DEAD, ByteDFA
from constrained.fuzz.coverage import Coverage

INF = 1 << 30
DEFAULT_MAX_LENGTH = 256
GAP_EDGES_PER_WALK = 5000  # coverage mode: refresh the gap table every 1 + edges // this walks
STOP_CHANCES = (0.05, 0.2, 0.5)  # per-walk chance of stopping at an accepting state: varies the lengths drawn


class DFAWalker:
    """Distance tables and coverage bookkeeping for one DFA; ``walk`` draws one accepted byte string.

    Attributes:
        dfa: the automaton.
        dist: state -> shortest number of bytes to an accepting state (``INF`` for the dead state).
        shortest: ``dist[start]``, the length of the shortest string of the language.
        covered: state -> byte classes of its edges used so far.
        num_covered: the number of used ``(state, class)`` edges.
    """

    def __init__(self, dfa: ByteDFA) -> None:
        """Precompute edges, byte classes, distances to acceptance and the reachable edges.

        Raises:
            ValueError: the language is empty.
        """
        self.dfa = dfa
        rows: list[list[int]] = dfa.table.tolist()
        self.accepting: list[bool] = dfa.accepting.tolist()
        self.edges = [[(c, t) for c, t in enumerate(row) if t != DEAD] for row in rows]
        self.class_bytes: list[list[int]] = [[] for _ in range(dfa.num_classes)]
        for byte, cls in enumerate(dfa.classes.tolist()):
            self.class_bytes[cls].append(byte)
        self.rev: list[list[int]] = [[] for _ in rows]
        for s, out in enumerate(self.edges):
            for _, t in out:
                self.rev[t].append(s)
        self.dist = self._bfs([s for s, acc in enumerate(self.accepting) if acc])
        if dfa.start == DEAD or self.dist[dfa.start] >= INF:
            raise ValueError("the constraint's language is empty: there is nothing to sample")
        self.shortest = self.dist[dfa.start]
        self.reachable = self._reachable(dfa.start)
        self.total_edges = sum(len(self.edges[s]) for s in self.reachable)
        self.covered: list[set[int]] = [set() for _ in rows]
        self.num_covered = 0
        self.bytes_used: dict[tuple[int, int], set[int]] = {}
        self._gap: list[int] | None = None
        self._gap_at = -1  # len(covered) when the gap table was computed
        self._walks = 0

    def _bfs(self, sources: list[int]) -> list[int]:
        """Backward BFS: steps from each state to the nearest of ``sources``."""
        dist = [INF] * len(self.edges)
        queue = deque(sources)
        for s in sources:
            dist[s] = 0
        while queue:
            s = queue.popleft()
            for p in self.rev[s]:
                if dist[p] > dist[s] + 1:
                    dist[p] = dist[s] + 1
                    queue.append(p)
        dist[DEAD] = INF
        return dist

    def _reachable(self, start: int) -> list[int]:
        seen = {start}
        order = [start]
        for s in order:
            for _, t in self.edges[s]:
                if t not in seen:
                    seen.add(t)
                    order.append(t)
        return order

    def _gaps(self) -> list[int]:
        """Steps from each state to the nearest state that still has an unused edge.

        Recomputing is a full backward BFS, so on large automata it is refreshed only every few walks (a slightly
        stale table still steers towards unused edges; it only costs some detours).
        """
        self._walks += 1
        stale = self._gap_at != self.num_covered and self._walks % (1 + self.total_edges // GAP_EDGES_PER_WALK) == 0
        if self._gap is None or stale:
            todo = [s for s in self.reachable if len(self.covered[s]) < len(self.edges[s])]
            self._gap = self._bfs(todo)
            self._gap_at = self.num_covered
        return self._gap

    def walk(self, rng: random.Random, budget: int, mode: str = "random") -> bytes:
        """One accepted string of at most ``budget`` bytes (``budget >= shortest`` is required).

        Args:
            rng: the random source (the only one: same state, same output).
            budget: the maximum length in bytes.
            mode: ``"random"`` (stop at accepting states by chance); ``"coverage"`` (head for unused edges and
                bytes within a random budget, stop by chance where no unused edge leaves the state); ``"shortest"``
                (a random shortest string); ``"longest"`` (never stop while an edge still fits the budget).
        """
        dist, edges, covered = self.dist, self.edges, self.covered
        state, left = self.dfa.start, budget
        if dist[state] > left:
            raise ValueError(f"the shortest accepted string has {dist[state]} bytes, more than the budget {left}")
        stop_chance = rng.choice(STOP_CHANCES)
        gap = None
        if mode == "coverage":
            gap = self._gaps()
            # Steering towards unused edges rarely passes an accepting state (a JSON object accepts only at its
            # end): a random budget per walk keeps the texts of varied, moderate length.
            left = rng.randint(dist[state], budget)
        out = bytearray()
        while True:
            if self.accepting[state]:
                if mode == "shortest":
                    break
                if mode == "random" and rng.random() < stop_chance:
                    break
                if gap is not None and gap[state] > 0 and rng.random() < stop_chance:
                    break  # nothing unused right here: stop as a random walk would, keep the texts short
            allowed = [e for e in edges[state] if dist[e[1]] < left]
            if not allowed:
                break  # dist[state] <= left and no edge fits: dist[state] == 0, the state accepts
            if mode == "shortest":
                allowed = [e for e in allowed if dist[e[1]] < dist[state]]
            elif gap is not None:
                allowed = self._steer(state, allowed, gap)
            cls, nxt = allowed[rng.randrange(len(allowed))] if len(allowed) > 1 else allowed[0]
            if cls not in covered[state]:
                covered[state].add(cls)
                self.num_covered += 1
            out.append(self._byte(rng, state, cls, gap is not None))
            state = nxt
            left -= 1
        return bytes(out)

    def _byte(self, rng: random.Random, state: int, cls: int, fresh: bool) -> int:
        """A concrete byte of class ``cls``; with ``fresh``, one not yet used from ``state`` when there is one."""
        members = self.class_bytes[cls]
        used = self.bytes_used.setdefault((state, cls), set())
        if fresh and len(used) < len(members):
            members = [b for b in members if b not in used]
        byte = members[rng.randrange(len(members))]
        used.add(byte)
        return byte

    def _steer(self, state: int, allowed: list[tuple[int, int]], gap: list[int]) -> list[tuple[int, int]]:
        """Coverage mode: unused edges first, then edges with unused bytes, else those leading closest to one.

        Bytes matter beside classes: choices that share their tails fall in one class (``beta``/``zeta`` after
        the first byte), so covering every class edge would not reach every enum value. Self-loops are left out
        of the byte preference: it would only lengthen runs of string content.
        """
        done = self.covered[state]
        unused = [e for e in allowed if e[0] not in done]
        if unused:
            return unused
        fresh = [e for e in allowed if e[1] != state  # a self-loop (string content) would just grow the text
                 and len(self.bytes_used.get((state, e[0]), ())) < len(self.class_bytes[e[0]])]
        if fresh:
            return fresh
        best = min(gap[t] for _, t in allowed)
        return allowed if best >= INF else [e for e in allowed if gap[e[1]] == best]

    def coverage(self) -> Coverage:
        """Edges and states of the reachable automaton that samples have used."""
        states = sum(1 for used in self.covered if used)
        return Coverage("dfa transitions", self.num_covered, self.total_edges,
                        {"states_covered": states, "states": len(self.reachable)})
