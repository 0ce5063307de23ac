"""Built-in grammars shipped as package data: ``names()`` lists them, ``load(name)`` returns the text."""

from __future__ import annotations

from importlib import resources

SUFFIXES = (".lark", ".gbnf")


def names() -> list[str]:
    """File names of the built-in grammars, e.g. ``["json.lark"]``."""
    return sorted(p.name for p in resources.files(__name__).iterdir() if p.name.endswith(SUFFIXES))


def load(name: str) -> str:
    """The text of built-in grammar ``name`` (with or without its extension)."""
    candidates = [name] if name.endswith(SUFFIXES) else [name + s for s in SUFFIXES]
    for candidate in candidates:
        path = resources.files(__name__) / candidate
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise KeyError(f"no built-in grammar {name!r}; available: {', '.join(names()) or 'none'}")
