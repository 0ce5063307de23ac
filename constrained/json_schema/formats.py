"""``format`` values as regex ASTs over *decoded* string characters (the caller adds JSON escaping).

Every pattern accepts only strings that are valid for the format (sound); some are stricter than the RFCs:
no leap seconds, lowercase ``z`` is not accepted as UTC, hostnames have at most 4 labels of at most 62
characters (keeps the total under 253), e-mail addresses are dot-atoms at a hostname, URIs are absolute
``scheme://host[:port][/path][?query][#fragment]`` without user info or IP literals, IPv6 without an
embedded IPv4 tail or zone.
"""

from __future__ import annotations

from constrained.regex_ast import Node, alt, chars, charset, literal, optional, repeat, seq

from .digits import decimal_digit, fixed_range

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


def _uri() -> Node:
    pct = seq(chars("%"), _HEX, _HEX)
    unreserved = alt(_ALNUM, chars("-._~"))
    sub_delims = chars("!$&'()*+,;=")
    pchar = alt(unreserved, pct, sub_delims, chars(":@"))
    query = repeat(alt(pchar, chars("/?")), 0, None)
    scheme = seq(charset([(0x41, 0x5A), (0x61, 0x7A)]), repeat(alt(_ALNUM, chars("+.-")), 0, None))
    host = repeat(alt(unreserved, pct, sub_delims), 1, None)
    port = optional(seq(chars(":"), repeat(_D, 0, 5)))
    path = repeat(seq(chars("/"), repeat(pchar, 0, None)), 0, None)
    return seq(
        scheme, literal("://"), host, port, path,
        optional(seq(chars("?"), query)), optional(seq(chars("#"), query)),
    )  # fmt: skip


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
}

KNOWN_FORMATS = frozenset(_BUILDERS)


def format_node(name: str) -> Node | None:
    """The decoded-text pattern for format ``name``, or None when the format is not supported."""
    build = _BUILDERS.get(name)
    return build() if build else None
