"""Lark grammar text -> grammar IR, using the ``lark`` package's own grammar loader.

``lark.load_grammar`` parses the Lark syntax, resolves ``%import`` (namespaces included), expands templates and
EBNF operators (``? * + [] ~``) into plain BNF rules and turns every terminal (including anonymous ``"..."``
strings and terminal compositions) into one Python-``re`` pattern; we only translate those patterns into
``regex_ast`` nodes. Tree shaping (``?rule``, ``!rule``, ``_rule``, aliases) and priorities do not change the
language, so they are ignored.

``%import common.X`` resolves to ``COMMON_LARK`` below before Lark's own ``common.lark``: Lark's ``ESCAPED_STRING``
and ``C_COMMENT`` rely on lookbehind and lazy matching inside a longer regex, which no DFA expresses; ours denote
what Lark's standard lexer actually matches (a string ends at the first unescaped quote, a comment at the first
``*/``).
"""

from __future__ import annotations

import os
import re
from typing import Any

from constrained.dfa_ops import shortest_matches
from constrained.errors import InvalidConstraint, UnsupportedFeature
from constrained.grammar.ir import Grammar
from constrained.grammar.lark_regex import case_fold, python_class_escapes
from constrained.regex_ast import Node, literal
from constrained.regex_parser import PatternFacts, parse_regex_facts

COMMON_LARK = r"""
DIGIT: "0".."9"
HEXDIGIT: "a".."f"|"A".."F"|DIGIT
INT: DIGIT+
SIGNED_INT: ["+"|"-"] INT
DECIMAL: INT "." INT? | "." INT
_EXP: ("e"|"E") SIGNED_INT
FLOAT: INT _EXP | DECIMAL _EXP?
SIGNED_FLOAT: ["+"|"-"] FLOAT
NUMBER: FLOAT | INT
SIGNED_NUMBER: ["+"|"-"] NUMBER
_STRING_INNER: /.*?/
_STRING_ESC_INNER: /(?:[^"\\\n]|\\[^\n])*/
ESCAPED_STRING : "\"" _STRING_ESC_INNER "\""
LCASE_LETTER: "a".."z"
UCASE_LETTER: "A".."Z"
LETTER: UCASE_LETTER | LCASE_LETTER
WORD: LETTER+
CNAME: ("_"|LETTER) ("_"|LETTER|DIGIT)*
WS_INLINE: (" "|/\t/)+
WS: /[ \t\f\r\n]/+
CR : /\r/
LF : /\n/
NEWLINE: (CR? LF)+
SH_COMMENT: /#[^\n]*/
CPP_COMMENT: /\/\/[^\n]*/
C_COMMENT: /\/\*(?:[^*]|\*+[^*\/])*\*+\//
SQL_COMMENT: /--[^\n]*/
"""


def _import_hook(allow_relative: bool) -> Any:
    """Lark import hook (tried first): serve ``common.lark``; refuse relative imports unless a folder was given.

    Grammars may arrive over the network: a relative ``%import`` must not read files next to the server's working
    directory. Library imports still reach Lark's own package grammars (and ``import_paths`` when given).
    """

    def hook(base_path: Any, grammar_path: str) -> tuple[str, str]:
        if base_path is None and grammar_path == "common.lark":
            return "<constrained:common.lark>", COMMON_LARK
        if base_path is not None and not allow_relative:
            raise UnsupportedFeature(
                "relative %import", grammar_path, "pass base_dir to allow imports relative to a grammar file"
            )
        raise OSError(grammar_path)  # not ours: Lark tries its next source

    return hook


def parse_lark(
    text: str, start: str = "start", import_paths: list[str] | None = None, base_dir: str | None = None
) -> Grammar:
    """Parse Lark grammar text into the grammar IR.

    Args:
        text: the grammar.
        start: the start rule.
        import_paths: extra folders searched by library ``%import`` (after our ``common``).
        base_dir: folder that relative imports (``%import .x``) resolve against; None refuses them.

    Raises:
        InvalidConstraint: a Lark syntax or semantic error (line when Lark gives one).
        UnsupportedFeature: ``%declare``d terminals (postlexer tokens such as INDENT), regex features a DFA cannot
            express (lookaround, backreferences), unsupported regex flags.
    """
    from lark.exceptions import GrammarError, LarkError, UnexpectedInput
    from lark.load_grammar import load_grammar

    paths: list[Any] = [_import_hook(base_dir is not None), *(import_paths or [])]
    source = os.path.join(base_dir, "<grammar>.lark") if base_dir is not None else "<grammar>"
    try:
        loaded, _ = load_grammar(text, source, paths, False)
        terms, rules, ignore = loaded.compile([start], set())
    except UnexpectedInput as e:
        _refuse_extensions(text)
        raise InvalidConstraint(f"Lark syntax error: {str(e).strip().splitlines()[0]}", f"line {e.line}") from None
    except (GrammarError, LarkError, KeyError, AssertionError, AttributeError, TypeError, ValueError, IndexError) as e:
        # Lark's loader reports some malformed grammars with internal exceptions (e.g. ``%declare`` of a rule).
        _refuse_extensions(text)
        raise InvalidConstraint(f"invalid Lark grammar: {e}") from None
    except OSError as e:
        raise InvalidConstraint(f"Lark %import failed: {e}") from None
    except RecursionError:
        raise InvalidConstraint("Lark grammar nests too deeply (or its terminals are circular)") from None
    terminals: dict[str, Node] = {}
    for td in terms:
        terminals[td.name] = _pattern_node(td.name, td.pattern)
    out: dict[str, list[tuple[str, ...]]] = {}
    for r in rules:
        syms = []
        for s in r.expansion:
            if s.is_term and s.name not in terminals:
                raise UnsupportedFeature(
                    "%declare", s.name, "declared terminals are produced by a postlexer (e.g. INDENT/DEDENT)"
                )
            syms.append(s.name)
        out.setdefault(r.origin.name, []).append(tuple(syms))
    if start not in out:
        raise InvalidConstraint(f"start rule {start!r} is not defined", start)
    used = {s for alts in out.values() for a in alts for s in a} | set(ignore)
    return Grammar(out, {n: t for n, t in terminals.items() if n in used}, start, tuple(ignore))


# llguidance's Lark dialect: constructs plain Lark rejects, named so a refusal says what is missing.
_EXTENSIONS = [
    (re.compile(r"<\[|<\w+>"), "token reference (llguidance <[..]>)"),
    (re.compile(r"%json\b"), "%json (llguidance)"),
    (re.compile(r"%regex\b"), "%regex (llguidance)"),
    (re.compile(r"%llguidance\b"), "%llguidance (llguidance)"),
    (re.compile(r"^\s*\??[a-z_]\w*\[[^\]]*\]\s*:", re.M), "rule attributes (llguidance stop=/max_tokens=/lazy)"),
    (re.compile(r"%lark\s*\{"), "%lark (llguidance nested grammar)"),
    (re.compile(r"\w::\w|\w::_"), "parametric rules (llguidance ::)"),
    (re.compile(r"/[^/\n]*/\s*[&~]|~\s*/|[\w)/+]\s*&\s*[\w(/]"), "regex & and ~ operators (llguidance)"),
    (re.compile(r"[\w\")\]]\{\s*\d*\s*(,\s*\d*\s*)?\}"), "{m,n} repetition (llguidance; Lark writes x ~ m..n)"),
]


def _refuse_extensions(text: str) -> None:
    """Raise ``UnsupportedFeature`` naming an llguidance extension found in grammar text Lark could not load."""
    for pattern, name in _EXTENSIONS:
        m = pattern.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            raise UnsupportedFeature(name, f"line {line}", "only plain Lark syntax is supported")


def _lazy_terminal(name: str, node: Node, facts: PatternFacts) -> Node:
    """A terminal with lazy quantifiers, as Lark's lexer matches it: up to its shortest match.

    Lark lexes with Python's ``re.match``, so a lazy repetition stops as early as the rest of the pattern allows:
    ``".*?"`` never spans a second quote, although the pattern's language holds ``"a"b"``. When every repetition
    is lazy and there is no alternation, that match is the shortest one; other mixes would need Python's
    backtracking order, so they are refused.
    """
    if facts.greedy_variable or facts.alternation:
        raise UnsupportedFeature(
            "lazy quantifier", f"terminal {name}",
            "Lark's lexer ends a lazy match as early as the rest of the pattern allows; enforced only when every "
            "repetition of the terminal is lazy and it has no alternation",
        )
    return shortest_matches(node)


def _pattern_node(name: str, pattern: Any) -> Node:
    """One Lark ``PatternStr``/``PatternRE`` as a regex node (flags ``i`` and ``s`` supported)."""
    flags = set(pattern.flags)
    bad = flags - {"i", "s", "m", "u"}
    if bad:
        raise UnsupportedFeature(
            f"regex flag {''.join(sorted(bad))}", name, "only the i, s, m and u flags are supported"
        )
    if pattern.type == "str":
        node = literal(pattern.value)
    else:
        src = python_class_escapes(pattern.value)
        if "s" in flags:
            src = f"(?s:{src})"
        try:
            node, facts = parse_regex_facts(src)
        except UnsupportedFeature as e:
            raise UnsupportedFeature(e.keyword, f"terminal {name}", e.reason or str(e)) from None
        except InvalidConstraint as e:
            raise InvalidConstraint(f"terminal {name}: {e}", name) from None
        if "i" in flags:
            node = case_fold(node)
        return _lazy_terminal(name, node, facts) if facts.lazy else node
    return case_fold(node) if "i" in flags else node
