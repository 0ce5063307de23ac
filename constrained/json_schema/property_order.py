"""Object members in any order (``property_order="any"``).

The members are those ``objects.py`` builds — each declared property at most once, every required one present,
extra members under undeclared keys — but declared properties may come in any order and extras anywhere
between them. JSON validators accept every order, and text written by people or other programs rarely follows
the schema's; this mode accepts all of it, exactly.

The language needs to remember which declared properties were used: ``after(S)`` is "further members, with the
set ``S`` already used and something emitted", so there are ``2^n`` of them for ``n`` declared properties. They
form a DAG whose uses are all in tail position, which ``nfa.ByteNFA`` shares (it memoizes by node and
continuation), so the automaton has about ``n * 2^(n-1)`` copies of a member, not ``n!``. When every member is
regular and there are few of them, the body is frozen into one minimal DFA; otherwise (a member holds grammar
rules for recursion or "any value", more properties, or past the DFA budget) each ``after(S)`` becomes a
grammar rule. Above ``MAX_ANY_ORDER`` declared properties the members form a loop instead (``member_loop``):
any member, any number of times, and a run-time check (``key_plan.py``) keeps the keys distinct and the required
ones present; where that check cannot apply the caller keeps schema order (a stricter language, reported as a
bound).
"""

from __future__ import annotations

from collections.abc import Callable

from constrained.dfa_ops import intersection
from constrained.errors import BudgetExceeded
from constrained.regex_ast import EMPTY, NOTHING, Node, alt, repeat, seq

from .rules import is_regular

MAX_ANY_ORDER = 8  # declared properties; 2^8 subsets
MAX_DFA_ANY_ORDER = 6  # up to here a regular body becomes one DFA (about 0.6 s at 6), beyond it grammar rules
_DFA_STATES = 50_000
_DFA_SECONDS = 2.0


def any_order_body(
    entries: list[tuple[Node, bool]], extra: Node, sep: Node, make_rule: Callable[[Node], Node] | None
) -> Node | None:
    """The members between the braces in any order, or None when that is too large to build.

    Args:
        entries: ``(member node, required)`` per declared property.
        extra: the members under undeclared keys (``NOTHING`` when none are allowed).
        sep: the separator between members (a comma and whitespace).
        make_rule: turns a body into a reference to a new grammar rule (used when members hold rules or there
            are many of them); None when the result must stay regular (then None is returned instead).
    """
    if len(entries) > MAX_ANY_ORDER:
        return None
    regular = is_regular(extra) and all(is_regular(node) for node, _ in entries)
    if regular and len(entries) <= MAX_DFA_ANY_ORDER:
        try:  # one minimal DFA: the NFA shares the tails, the minimization merges equivalent subsets
            body = members_in_any_order(entries, extra, sep, None)
            return intersection(body, max_states=_DFA_STATES, max_seconds=_DFA_SECONDS)
        except BudgetExceeded:
            pass
    if make_rule is None:
        return None
    return members_in_any_order(entries, extra, sep, make_rule)


def member_loop(entries: list[tuple[Node, bool]], extra: Node, sep: Node) -> Node:
    """Members in any order and any number (arguments as ``any_order_body``): the run-time key check's language.

    Every key may repeat and required ones may be missing here; ``key_plan.py`` rules those texts out.
    """
    member = alt(*(node for node, _ in entries), extra)
    some = seq(member, repeat(seq(sep, member), 0, None))
    return some if any(required for _, required in entries) else alt(EMPTY, some)


def members_in_any_order(
    entries: list[tuple[Node, bool]], extra: Node, sep: Node, make_rule: Callable[[Node], Node] | None = None
) -> Node:
    """The node DAG over used-property subsets (arguments as ``any_order_body``).

    Each ``after(S)`` becomes a grammar rule when ``make_rule`` is given; otherwise the DAG is returned as is
    (regular, with shared tails).
    """
    required = frozenset(i for i, (_, is_required) in enumerate(entries) if is_required)
    more = EMPTY if extra == NOTHING else repeat(seq(sep, extra), 0, None)
    made: dict[frozenset[int], Node] = {}

    def after(used: frozenset[int]) -> Node:
        got = made.get(used)
        if got is not None:
            return got
        options: list[Node] = [EMPTY] if required <= used else []
        options += [seq(sep, node, after(used | {i})) for i, (node, _) in enumerate(entries) if i not in used]
        body = seq(more, alt(*options))
        made[used] = body if make_rule is None else make_rule(body)
        return made[used]

    starts = [seq(node, after(frozenset({i}))) for i, (node, _) in enumerate(entries)]
    if extra != NOTHING:
        starts.append(seq(extra, after(frozenset())))
    if not required:
        starts.append(EMPTY)
    return alt(*starts)
