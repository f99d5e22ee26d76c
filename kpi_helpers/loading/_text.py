"""SQL text of the loader: quoting names and literals, and counting words for messages."""

from __future__ import annotations

__all__ = ["q", "lit", "plural"]


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def plural(n: int, word: str) -> str:
    """``1 value``, ``1,234 values``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
