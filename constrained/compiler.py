"""Front door: spec -> ``CompiledConstraint`` (immutable, cached) -> ``Matcher`` per sequence.

Compiled constraints are cached in a thread-safe LRU keyed by (kind, canonical spec text, options, vocabulary
fingerprint, compiler version): everything that changes the output, nothing that does not.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from constrained.byte_dfa import DEFAULT_MAX_SECONDS, DEFAULT_MAX_STATES, ByteDFA
from constrained.errors import InvalidConstraint
from constrained.gc_pause import gc_paused
from constrained.matcher import Matcher
from constrained.regex_ast import Node, alt, literal
from constrained.regex_parser import parse_regex
from constrained.token_index import TokenIndex
from constrained.vocab import Vocabulary
from constrained.warmup import warm_up

if TYPE_CHECKING:
    from constrained.grammar import CompiledGrammar

COMPILER_VERSION = "regex-dfa-1+earley-1"
CACHE_SIZE = 128


class CompiledConstraint:
    """An immutable compiled constraint: a byte DFA, optionally bound to a vocabulary.

    Attributes:
        kind: ``"regex"``, ``"choice"`` or ``"json_schema"``.
        dfa: the minimal ``ByteDFA``.
        vocab: the ``Vocabulary`` or None (tokenizer-free: only ``accepts`` works).
        weakened: what a lenient JSON Schema compile weakened (empty when exact).
        bounded: JSON pointers where a JSON Schema compile applies a stated bound, stricter than the schema.
        ignored: JSON Schema keywords that carry no check (unknown ``format`` names, or every ``format`` with
            ``formats="annotation"``): annotations, reported so that nothing is dropped silently.
    """

    def __init__(
        self,
        kind: str,
        dfa: ByteDFA,
        vocab: Vocabulary | None,
        weakened: list[Any] | None = None,
        bounded: list[str] | None = None,
        ignored: list[Any] | None = None,
    ) -> None:
        """Wrap a DFA (use the ``compile_*`` functions)."""
        self.kind = kind
        self.dfa = dfa
        self.vocab = vocab
        self.weakened: list[Any] = list(weakened or [])
        self.bounded: list[str] = list(bounded or [])
        self.ignored: list[Any] = list(ignored or [])
        self._index: TokenIndex | None = None
        self._lock = threading.Lock()

    def accepts(self, text: str | bytes) -> bool:
        """Whether the whole ``text`` satisfies the constraint (checked on the byte DFA, no tokenizer)."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return self.dfa.accepts(data)

    @property
    def index(self) -> TokenIndex:
        """The token index shared by all matchers (built on first use).

        Raises:
            InvalidConstraint: the constraint was compiled without a vocabulary.
        """
        if self.vocab is None:
            raise InvalidConstraint("this constraint was compiled without a vocabulary (vocab=None)")
        with self._lock:
            if self._index is None:
                self._index = TokenIndex(self.dfa, self.vocab)
            return self._index

    def matcher(self) -> Matcher:
        """A fresh per-sequence ``Matcher`` at the start state."""
        return Matcher(self.index, self.dfa.start)

    def describe(self) -> dict[str, Any]:
        """What this constraint enforces, as a JSON-ready summary (used by ``constrained compile``)."""
        return {
            "kind": self.kind,
            "exact": not self.weakened and not self.bounded,
            "weakened": [dict(vars(w)) if hasattr(w, "__dict__") else str(w) for w in self.weakened],
            "bounded": list(self.bounded),
            "ignored": [dict(vars(note)) for note in self.ignored],
            "dfa_states": self.dfa.num_states,
            "vocabulary": None if self.vocab is None else self.vocab.size,
        }

    def __repr__(self) -> str:
        return f"CompiledConstraint(kind={self.kind!r}, states={self.dfa.num_states}, vocab={self.vocab!r})"


# --- cache ---------------------------------------------------------------------------------------------------------

_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[Any, ...], build: Any) -> Any:
    """LRU lookup; compiles outside the lock so one slow compile does not block other threads."""
    warm_up()  # numba's first compile must not count against this constraint's budget
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    with gc_paused():
        made = build()
    with _cache_lock:
        made = _cache.setdefault(key, made)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return made


def clear_cache(*, keep_terminals: bool = False) -> None:
    """Drop every cached compiled constraint, and (unless ``keep_terminals``) the terminal automata grammars share.

    The terminal cache is bounded; keeping it lets a long run over many schemas free their masks without
    rebuilding the terminals they have in common (``constrained.grammar.terminal_cache``).
    """
    from constrained.grammar import terminal_cache

    with _cache_lock:
        _cache.clear()
    if not keep_terminals:
        terminal_cache.clear()


def _key(kind: str, spec: str, options: tuple[Any, ...], vocab: Vocabulary | None) -> tuple[Any, ...]:
    return (kind, spec, options, vocab.fingerprint() if vocab is not None else None, COMPILER_VERSION)


def _compile_node(
    kind: str, node: Node, vocab: Vocabulary | None, max_states: int, max_seconds: float, weakened: Any = None
) -> CompiledConstraint:
    dfa = ByteDFA.from_node(node, max_states=max_states, max_seconds=max_seconds)
    return CompiledConstraint(kind, dfa, vocab, weakened)


# --- public compile functions ----------------------------------------------------------------------------------


def compile_regex(
    pattern: str,
    vocab: Vocabulary | None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> CompiledConstraint:
    """Compile a regex with full-match semantics (the whole output must match).

    Args:
        pattern: the regex (syntax: see ``regex_parser.parse_regex``).
        vocab: the vocabulary, or None for a tokenizer-free constraint (``accepts`` only).
        max_states: DFA state budget.
        max_seconds: compile time budget.

    Raises:
        InvalidConstraint: syntax error.
        UnsupportedFeature: backreferences, lookbehind, lookaheads inside groups, word boundaries, inline flags, ...
        BudgetExceeded: the automaton is too large or too slow to build.
    """
    if not isinstance(pattern, str):
        raise InvalidConstraint(f"regex must be a string, got {type(pattern).__name__}")
    key = _key("regex", pattern, (max_states, max_seconds), vocab)
    return _cached(key, lambda: _compile_node("regex", parse_regex(pattern), vocab, max_states, max_seconds))


def compile_choice(
    choices: list[str],
    vocab: Vocabulary | None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> CompiledConstraint:
    """Compile a choice among exact strings (some may be prefixes of others).

    Raises:
        InvalidConstraint: empty list or a non-string entry.
    """
    if not isinstance(choices, list | tuple) or not choices:
        raise InvalidConstraint("choice needs a non-empty list of strings")
    if not all(isinstance(c, str) for c in choices):
        raise InvalidConstraint("every choice must be a string")
    spec = json.dumps(sorted(set(choices)), ensure_ascii=False)
    node = alt(*(literal(c) for c in dict.fromkeys(choices)))
    key = _key("choice", spec, (max_states, max_seconds), vocab)
    return _cached(key, lambda: _compile_node("choice", node, vocab, max_states, max_seconds))


def compile_json_schema(
    schema: dict[str, Any] | str | bool,
    vocab: Vocabulary | None,
    whitespace: str = "flexible",
    lenient: bool = False,
    *,
    property_order: str = "schema",
    formats: str = "assert",
    resources: dict[str, Any] | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> CompiledConstraint:
    """Compile a JSON Schema (lowered by ``constrained.json_schema``) to a regular constraint.

    Args:
        schema: the schema as a dict (or bool) or JSON text.
        vocab: the vocabulary, or None.
        whitespace: whitespace policy passed to the lowering (``"flexible"``, ``"compact"``, ...).
        lenient: weaken unsupported keywords instead of refusing; see ``CompiledConstraint.weakened``.
        property_order: ``"schema"`` (default: declared properties in the schema's order, the order models are
            asked to write) or ``"any"`` (every order a validator accepts; objects with more than 8 declared
            properties or with min/maxProperties keep schema order, listed in ``describe()["bounded"]``).
        formats: ``"assert"`` (default: known formats are checked) or ``"annotation"`` (JSON Schema 2020-12's
            default vocabulary: no format is checked). Format names neither JSON Schema nor OpenAPI defines are
            annotations either way. Unchecked formats are listed in ``describe()["ignored"]``.
        resources: other schema documents by URI (``{"https://example.com/address.json": {...}}``) for ``$ref``s
            that leave the schema's own document. Nothing is ever fetched: an unknown URI is refused.
        max_states: DFA state budget.
        max_seconds: compile time budget.

    Raises:
        InvalidConstraint: malformed schema (or JSON text).
        UnsupportedFeature: a keyword that cannot be enforced exactly (unless ``lenient``).
        BudgetExceeded: the automaton is too large or too slow to build.
    """
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as e:
            raise InvalidConstraint(f"schema is not valid JSON: {e}") from None
    try:
        # Key order is kept: property order is part of the language.
        spec = json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise InvalidConstraint(f"schema is not JSON-serializable: {e}") from None

    schema_obj: Any = schema

    def build() -> CompiledConstraint:
        from constrained.json_schema import lower_json_schema
        from constrained.json_schema.compile import compile_lowered

        # A DFA when regular and small enough; else (recursion, unbounded nesting, size) a grammar, exact either way.
        lowered = lower_json_schema(
            schema_obj,
            whitespace=whitespace,
            lenient=lenient,
            property_order=property_order,
            formats=formats,
            resources=resources,
        )
        return compile_lowered(lowered, vocab, max_states, max_seconds)  # type: ignore[return-value]

    options = (whitespace, lenient, property_order, formats, _resources_key(resources), max_states, max_seconds)
    key = _key("json_schema", spec, options, vocab)
    return _cached(key, build)


def _resources_key(resources: dict[str, Any] | None) -> str:
    from constrained.json_schema import check_resources

    check_resources(resources)  # before serializing: the cache key needs a mapping of URIs to documents
    try:  # sorted by URI; each document keeps its key order (property order is part of the language)
        return json.dumps(sorted((resources or {}).items()), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise InvalidConstraint(f"resources are not JSON-serializable: {e}") from None


def compile_grammar(
    text: str,
    vocab: Vocabulary | None,
    syntax: str = "lark",
    *,
    start: str | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> CompiledGrammar:
    """Compile a context-free grammar in Lark or GBNF (llama.cpp) syntax.

    Args:
        text: the grammar text.
        vocab: the vocabulary, or None for a tokenizer-free constraint (``accepts`` only).
        syntax: ``"lark"`` or ``"gbnf"``.
        start: the start rule (default ``start`` for Lark, ``root`` for GBNF).
        max_seconds: compile time budget for the terminals.

    Raises:
        InvalidConstraint: syntax errors, undefined rules, missing start rule, empty language.
        UnsupportedFeature: a construct that cannot be enforced exactly (named, with its rule or terminal).
        BudgetExceeded: a terminal automaton too large, or compiling too slow.
    """
    from constrained.grammar import compile_grammar_constraint

    if not isinstance(text, str):
        raise InvalidConstraint(f"grammar must be a string, got {type(text).__name__}")
    if syntax not in ("lark", "gbnf"):
        raise InvalidConstraint(f"unknown grammar syntax {syntax!r}; use 'lark' or 'gbnf'")

    def build() -> CompiledGrammar:
        grammar = compile_grammar_constraint(text, syntax, vocab, start=start, max_seconds=max_seconds)
        if vocab is not None:
            grammar.index  # noqa: B018 -- build the shared mask index once, at compile time
        return grammar

    key = _key("grammar", text, (syntax, start, max_seconds), vocab)
    return _cached(key, build)
