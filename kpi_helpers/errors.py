"""Problems found in a user's input, and the error that carries them.

A user's mistake (a missing column, an unparseable date, a folder that is not there) is never a
traceback: it is a :class:`KpiInputError` listing :class:`Problem` objects, each naming the file,
the column, the first offending rows and what was expected. The command line prints it and exits
with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Problem", "KpiInputError", "format_problems", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2
MAX_EXAMPLES = 5


def _short(value: object, limit: int = 60) -> str:
    if value is None:
        return "(empty)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a client's input.

    ``examples`` are ``(row label, offending value)`` pairs, first offending rows first;
    ``count`` is the total number of offending rows when it is known.
    """

    message: str
    file: str | None = None
    column: str | None = None
    examples: tuple[tuple[str, object], ...] = field(default_factory=tuple)
    count: int | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.column:
            where.append(f"column {self.column!r}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.expected:
            text += f"; expected {self.expected}"
        if self.examples:
            shown = "; ".join(f"{label}: {_short(value)}" for label, value in self.examples[:MAX_EXAMPLES])
            more = ""
            if self.count is not None and self.count > len(self.examples[:MAX_EXAMPLES]):
                more = f" (and {self.count - len(self.examples[:MAX_EXAMPLES])} more)"
            text += f". First offending rows: {shown}{more}"
        return text


def format_problems(problems: list[Problem], *, header: str | None = None) -> str:
    """Problems as a readable block: an optional header line, then one ``- `` line each."""
    lines = [header] if header else []
    lines += [f"  - {p}" for p in problems]
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

    def render(self) -> str:
        if len(self.problems) == 1 and not self.header:
            return str(self.problems[0])
        header = self.header or f"{len(self.problems)} problems found"
        return format_problems(self.problems, header=header)
