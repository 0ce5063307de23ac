"""``format`` values as regex ASTs over *decoded* string characters (the caller adds JSON escaping).

Every pattern accepts only strings that are valid for the format (sound); some are stricter than the RFCs:
no leap seconds, lowercase ``z`` is not accepted as UTC, hostnames have at most 4 labels of at most 62
characters (keeps the total under 253), e-mail addresses are dot-atoms at a hostname, URIs are absolute
``scheme://host[:port][/path][?query][#fragment]`` without user info or IP literals, IPv6 without an
embedded IPv4 tail or zone; URI references, IRIs and internationalized names use their ASCII forms only; regexes
are a plain core of the syntax with groups nested at most 3 deep (``regex_format.py``).

Formats are asserted by default (the Format-Assertion vocabulary; ``formats="annotation"`` checks none). A
format JSON Schema defines but this module does not build would be refused by name. A name neither JSON
Schema nor OpenAPI defines (``path``, ``url``, ...) has no meaning a validator could check: validators ignore it
(the test suite's ``optional/format/unknown.json``), so it is an annotation here too, and reported. OpenAPI's
string formats are known: ``byte`` is base64 (RFC 4648, padded); ``binary`` and ``password`` constrain nothing
(any string), see ``is_annotation_format``.
"""

from __future__ import annotations

from constrained.regex_ast import EMPTY, Node, alt, chars, charset, literal, negate, optional, repeat, seq

from .digits import decimal_digit, fixed_range
from .regex_format import regex_format

_D = decimal_digit(0, 9)
_HEX = chars("0123456789abcdefABCDEF")
_ALNUM = charset([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)])


def _num(lo: int, hi: int, width: int) -> Node:
    return fixed_range(lo, hi, width, 10, decimal_digit)


def _date() -> Node:
    long_months = alt(*(literal(m) for m in ("01", "03", "05", "07", "08", "10", "12")))
    short_months = alt(*(literal(m) for m in ("04", "06", "09", "11")))
    month_day = alt(
        seq(long_months, chars("-"), _num(1, 31, 2)),
        seq(short_months, chars("-"), _num(1, 30, 2)),
        seq(literal("02-"), _num(1, 28, 2)),
    )
    # Leap years: divisible by 4 but not 100, or by 400 (year 0000 does not exist in Python's calendar).
    by_four = alt(seq(chars("0"), chars("48")), seq(chars("2468"), chars("048")), seq(chars("13579"), chars("26")))
    centuries = alt(seq(chars("0"), chars("48")), seq(chars("2468"), chars("048")), seq(chars("13579"), chars("26")))
    leap = alt(seq(_D, _D, by_four), seq(centuries, literal("00")))
    return alt(seq(_num(1, 9999, 4), chars("-"), month_day), seq(leap, literal("-02-29")))


def _time() -> Node:
    offset = alt(chars("Z"), seq(chars("+-"), _num(0, 23, 2), chars(":"), _num(0, 59, 2)))
    frac = optional(seq(chars("."), repeat(_D, 1, None)))
    return seq(_num(0, 23, 2), chars(":"), _num(0, 59, 2), chars(":"), _num(0, 59, 2), frac, offset)


def _ipv4() -> Node:
    octet = alt(_num(0, 9, 1), _num(10, 99, 2), _num(100, 255, 3))
    return seq(octet, repeat(seq(chars("."), octet), 3, 3))


def _ipv6() -> Node:
    h = repeat(_HEX, 1, 4)
    hc = seq(h, chars(":"))  # "h:"
    ch = seq(chars(":"), h)  # ":h"
    forms = [seq(repeat(hc, 7, 7), h), seq(repeat(hc, 1, 7), chars(":"))]
    for left in range(1, 7):
        forms.append(seq(repeat(hc, left, left), repeat(ch, 1, 7 - left)))
    forms.append(seq(chars(":"), alt(repeat(ch, 1, 7), chars(":"))))
    return alt(*forms)


def _hostname() -> Node:
    label = seq(_ALNUM, optional(seq(repeat(alt(_ALNUM, chars("-")), 0, 60), _ALNUM)))
    return seq(label, repeat(seq(chars("."), label), 0, 3))


def _email() -> Node:
    atom = repeat(alt(_ALNUM, chars("!#$%&'*+/=?^_`{|}~-")), 1, 64)
    return seq(atom, repeat(seq(chars("."), atom), 0, 8), chars("@"), _hostname())


_PCT = seq(chars("%"), _HEX, _HEX)
_UNRESERVED = alt(_ALNUM, chars("-._~"))
_SUB_DELIMS = chars("!$&'()*+,;=")
_PCHAR = alt(_UNRESERVED, _PCT, _SUB_DELIMS, chars(":@"))
_PATH_ABEMPTY = repeat(seq(chars("/"), repeat(_PCHAR, 0, None)), 0, None)  # RFC 3986 path-abempty


def _authority() -> Node:
    host = repeat(alt(_UNRESERVED, _PCT, _SUB_DELIMS), 1, None)
    return seq(host, optional(seq(chars(":"), repeat(_D, 0, 5))))


def _query_fragment() -> Node:
    query = repeat(alt(_PCHAR, chars("/?")), 0, None)
    return seq(optional(seq(chars("?"), query)), optional(seq(chars("#"), query)))


def _uri() -> Node:
    scheme = seq(charset([(0x41, 0x5A), (0x61, 0x7A)]), repeat(alt(_ALNUM, chars("+.-")), 0, None))
    return seq(scheme, literal("://"), _authority(), _PATH_ABEMPTY, _query_fragment())


def _uri_reference() -> Node:
    """RFC 3986 URI-reference: a URI (the subset above) or a relative reference (no user info, no IP literal)."""
    segment_nz = repeat(_PCHAR, 1, None)
    segment_nz_nc = repeat(alt(_UNRESERVED, _PCT, _SUB_DELIMS, chars("@")), 1, None)  # no ":" before a "/"
    relative_part = alt(
        seq(literal("//"), _authority(), _PATH_ABEMPTY),
        seq(chars("/"), optional(seq(segment_nz, _PATH_ABEMPTY))),
        seq(segment_nz_nc, _PATH_ABEMPTY),
        EMPTY,
    )
    return alt(_uri(), seq(relative_part, _query_fragment()))


def _uri_template() -> Node:
    """RFC 6570 level 4 templates with ASCII literals."""
    excluded = " \"'%<>\\^`{|}"
    literal_char = alt(charset([(c, c) for c in range(0x21, 0x7F) if chr(c) not in excluded]), _PCT)
    varchar = alt(_ALNUM, chars("_"), _PCT)
    varname = seq(varchar, repeat(seq(optional(chars(".")), varchar), 0, None))
    modifier = alt(seq(chars(":"), decimal_digit(1, 9), repeat(_D, 0, 3)), chars("*"))
    varspec = seq(varname, optional(modifier))
    expression = seq(chars("{"), optional(chars("+#./;?&=,!@|")), varspec, repeat(seq(chars(","), varspec), 0, None),
                     chars("}"))  # fmt: skip
    return repeat(alt(literal_char, expression), 0, None)


def _json_pointer() -> Node:
    """RFC 6901: ``/``-separated reference tokens where ``~`` only starts ``~0`` or ``~1``."""
    unescaped = negate(chars("/~"))
    token = repeat(alt(unescaped, literal("~0"), literal("~1")), 0, None)
    return repeat(seq(chars("/"), token), 0, None)


def _relative_json_pointer() -> Node:
    non_negative = alt(chars("0"), seq(decimal_digit(1, 9), repeat(_D, 0, None)))
    return seq(non_negative, alt(_json_pointer(), chars("#")))


def _duration() -> Node:
    """RFC 3339 appendix A ``duration``."""

    def unit(letter: str) -> Node:
        return seq(repeat(_D, 1, None), chars(letter))

    second = unit("S")
    minute = seq(unit("M"), optional(second))
    hour = seq(unit("H"), optional(minute))
    dur_time = seq(chars("T"), alt(hour, minute, second))
    day = unit("D")
    month = seq(unit("M"), optional(day))
    year = seq(unit("Y"), optional(month))
    dur_date = seq(alt(day, month, year), optional(dur_time))
    return seq(chars("P"), alt(dur_date, dur_time, unit("W")))


def _base64() -> Node:
    """RFC 4648 section 4 base64 with padding (OpenAPI ``format: byte``)."""
    b64 = charset([(0x41, 0x5A), (0x61, 0x7A), (0x30, 0x39), (0x2B, 0x2B), (0x2F, 0x2F)])
    tail = alt(seq(b64, b64, literal("==")), seq(b64, b64, b64, chars("=")))
    return seq(repeat(seq(b64, b64, b64, b64), 0, None), optional(tail))


def _uuid() -> Node:
    def hx(n: int) -> Node:
        return repeat(_HEX, n, n)

    dash = chars("-")
    return seq(hx(8), dash, hx(4), dash, hx(4), dash, hx(4), dash, hx(12))


_BUILDERS = {
    "date": _date,
    "time": _time,
    "date-time": lambda: seq(_date(), chars("T"), _time()),
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "hostname": _hostname,
    "email": _email,
    "uri": _uri,
    "uuid": _uuid,
    "uri-reference": _uri_reference,
    "uri-template": _uri_template,
    "json-pointer": _json_pointer,
    "relative-json-pointer": _relative_json_pointer,
    "duration": _duration,
    # The internationalized forms are supersets of the ASCII ones: their ASCII subsets are sound.
    "iri": _uri,
    "iri-reference": _uri_reference,
    "idn-hostname": _hostname,
    "idn-email": _email,
    "byte": _base64,  # OpenAPI
    "regex": regex_format,  # groups nested at most 3 deep and a plain core of the syntax (regex_format.py)
}

KNOWN_FORMATS = frozenset(_BUILDERS)

# OpenAPI string formats that assert nothing about the text (a hint for editors and UIs).
_UNCONSTRAINED_FORMATS = frozenset({"binary", "password"})


# Defined by JSON Schema 2020-12 (section 7.3) but not built here: refused when formats are asserted.
_UNBUILT_SPEC_FORMATS: frozenset[str] = frozenset()


def is_annotation_format(name: object) -> bool:
    """Whether ``format: name`` is known and accepts every string."""
    return name in _UNCONSTRAINED_FORMATS


def is_defined_format(name: object) -> bool:
    """Whether JSON Schema or OpenAPI defines ``name`` as a string format (an unknown name checks nothing)."""
    return name in KNOWN_FORMATS or name in _UNCONSTRAINED_FORMATS or name in _UNBUILT_SPEC_FORMATS


def format_node(name: str) -> Node | None:
    """The decoded-text pattern for format ``name``, or None when the format is not supported."""
    build = _BUILDERS.get(name)
    return build() if build else None
