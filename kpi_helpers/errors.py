"""Problems found in a user's input, and the error that carries them.

A user's mistake (a missing column, an unparseable date, a folder that is not there) is never a
traceback: it is a :class:`KpiInputError` listing :class:`Problem` objects, each naming the file,
the column, the first offending rows and what was expected. The command line prints it and exits
with status 2.

Offending values are shown only when they cannot be personal data: a message may reach a report,
the batch index, ``run.json`` or a log, and a value in the wrong column may be an e-mail, a name
or a customer id. :func:`shown_value` shows dates, short numbers and a few keywords as they are
and describes any other text by its length; ``render(reveal=True)`` (``kpi validate
--show-values``, for the analyst at a terminal) shows every value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = ["Problem", "KpiInputError", "format_problems", "shown_value", "brief", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2
MAX_EXAMPLES = 5

_DATE_LIKE = re.compile(r"\d{1,5}[-/.]\d{1,2}[-/.]\d{1,5}([ T]\d{1,2}(:\d{1,2}){0,2}([.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?")
_NUMBER_LIKE = re.compile(r"[-+−]?[\d\s\u00a0\u202f.,']*\d[\d\s\u00a0\u202f.,']*([eE][-+]?\d+)?\s*[%€$£]?")
_KEYWORDS = frozenset({"true", "false", "t", "f", "yes", "no", "y", "n", "oui", "non", "vrai", "faux", "nan", "inf",
                       "-inf", "+inf", "infinity", "-infinity", "+infinity", "null", "none", "n/a", "na", "nat", "-",
                       "--", "?"})
_MAX_DIGITS = 8  # a longer run of digits may be a phone number or an account number


def brief(value: object, limit: int = 60) -> str:
    """A setting's value as a message quotes it: its repr, cut to ``limit`` characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<a number of about {int(value.bit_length() * 0.30103) + 1:,} digits>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_value(value: object, *, reveal: bool = False, limit: int = 60) -> str:
    """How a message shows an offending value: as it is when it cannot be personal data (a date,
    a number of at most 8 digits, a keyword such as ``true`` or ``NaN``), else by its length."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) and not math.isfinite(value) else str(value)
        safe = not math.isfinite(value) if isinstance(value, float) else False
        safe = safe or sum(ch.isdigit() for ch in text.split("e")[0]) <= _MAX_DIGITS
    else:
        text = str(value)
        stripped = text.strip()
        digits = sum(ch.isdigit() for ch in stripped)
        safe = (len(stripped) <= 40 and (
            stripped.lower() in _KEYWORDS or _DATE_LIKE.fullmatch(stripped) is not None
            or (_NUMBER_LIKE.fullmatch(stripped) is not None and digits <= _MAX_DIGITS)))
        text = repr(text)
    if not (safe or reveal):
        n = len(str(value))
        return f"<a value of {n} character{'s' if n != 1 else ''}{', with an @' if '@' in str(value) else ''}: not shown>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a client's input.

    ``examples`` are ``(row label, offending value)`` pairs (or ``(row label,)`` where the value is
    not to be shown at all, such as an id), first offending rows first;
    ``count`` is the total number of offending rows when it is known.
    """

    message: str
    file: str | None = None
    column: str | None = None
    examples: tuple[tuple[str, object] | tuple[str], ...] = field(default_factory=tuple)
    count: int | None = None
    expected: str | None = None

    def __str__(self) -> str:
        return self.render()

    def render(self, *, reveal: bool = False) -> str:
        """The problem in one line; offending values as :func:`shown_value` shows them."""
        where = []
        if self.file:
            where.append(self.file)
        if self.column:
            where.append(f"column {self.column!r}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.expected:
            text += f"; expected {self.expected}"
        if self.examples:
            shown = "; ".join(f"{ex[0]}: {shown_value(ex[1], reveal=reveal)}" if len(ex) > 1 else ex[0]
                              for ex in self.examples[:MAX_EXAMPLES])
            more = ""
            if self.count is not None and self.count > len(self.examples[:MAX_EXAMPLES]):
                more = f" (and {self.count - len(self.examples[:MAX_EXAMPLES])} more)"
            text += f". First offending rows: {shown}{more}"
        return text


def format_problems(problems: list[Problem], *, header: str | None = None, reveal: bool = False) -> str:
    """Problems as a readable block: an optional header line, then one ``- `` line each."""
    lines = [header] if header else []
    lines += [f"  - {p.render(reveal=reveal)}" for p in problems]
    return "\n".join(lines)


class KpiInputError(ValueError):
    """Bad input from a user: carries every :class:`Problem` found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str, *, header: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.header = header
        super().__init__(self.render())

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: a user's mistake is a message, not a crash."""
        return ["KpiInputError: " + line if i == 0 else line for i, line in enumerate(self.render().splitlines())]

    def render(self, *, reveal: bool = False) -> str:
        if len(self.problems) == 1 and not self.header:
            return self.problems[0].render(reveal=reveal)
        header = self.header or f"{len(self.problems)} problems found"
        return format_problems(self.problems, header=header, reveal=reveal)
