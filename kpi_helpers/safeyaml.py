"""YAML a user writes (``client.yml``, ``reports.yml``): read within bounds, or one clear error.

PyYAML's safe loader still expands aliases (ten lines of ``&a [*a, *a, ...]`` grow to gigabytes
before a MemoryError), recurses into nesting (a deeply nested list overflows the stack), turns
``2026-02-30`` into a date and fails with a ValueError, and builds integers of any length. The
settings the kit reads need none of this, so :func:`load_yaml` refuses anchors and aliases,
nesting deeper than :data:`MAX_DEPTH`, scalars longer than :data:`MAX_SCALAR` characters and
files larger than :data:`MAX_BYTES`, and keeps dates as text (the caller parses them and says
what it expected). Every refusal is a :class:`~kpi_helpers.errors.KpiInputError` naming the file
and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import KpiInputError, Problem

__all__ = ["load_yaml", "MAX_BYTES", "MAX_DEPTH", "MAX_SCALAR"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 16
MAX_SCALAR = 4096


class _Loader(yaml.SafeLoader):
    """The safe loader without implicit timestamps: ``2026-10-01`` stays the text ``'2026-10-01'``."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}" if mark is not None else "?"


def load_yaml(path: Path, *, label: str | None = None) -> Any:
    """The document of the YAML file ``path`` (None when empty), read within the bounds above.

    ``label`` names the file in messages (default: the path as given).
    """
    file = label or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise KpiInputError(Problem(f"is {size:,} bytes long", file=file,
                                        expected=f"a settings file of at most {MAX_BYTES:,} bytes"))
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KpiInputError(Problem(f"is not UTF-8 text (byte {exc.start})", file=file,
                                    expected="a YAML file saved as UTF-8")) from None
    except OSError as exc:
        raise KpiInputError(Problem(f"cannot be read ({exc.strerror})", file=file)) from None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise KpiInputError(Problem(f"{_line(event.start_mark)}: anchors and aliases (&name, *name) are "
                                            "not accepted", file=file, expected="each value written out"))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise KpiInputError(Problem(f"{_line(event.start_mark)}: nested more than {MAX_DEPTH} levels deep",
                                                file=file, expected="settings a few levels deep"))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR:
                raise KpiInputError(Problem(f"{_line(event.start_mark)}: a value of {len(event.value):,} characters",
                                            file=file, expected=f"values of at most {MAX_SCALAR:,} characters"))
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except KpiInputError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KpiInputError(Problem(f"{_line(mark)}: not valid YAML ({what})", file=file)) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a number YAML cannot build
        raise KpiInputError(Problem(f"a value cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
                                    file=file)) from None
