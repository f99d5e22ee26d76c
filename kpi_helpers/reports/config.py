"""The batch configuration (``reports.yml``): which clients, which period, which notebooks.

```yaml
output: reports                 # folder of the reports, relative to this file
clients:
  - name: Maison Lune           # shown in the report (any text: it is escaped)
    folder: data/sample/maison-lune   # relative to this file, or absolute
    period: last-month          # or 2026-10, or {start: 2026-10-01, end: 2026-10-31}
    notebooks: all              # or [00-overview.ipynb, 08-site-search.ipynb]
    language: fr                # fr or en (default: client.yml's language, else fr); it also
                                # chooses the edition that runs: notebooks/fr/ or notebooks/en/
    margin_rate: 0.45           # optional: overrides client.yml
```

Optional keys: per client ``id`` (the folder name under ``output``; default: the client folder's
name), ``compare`` (``previous_period``, the default, ``previous_year`` or ``none``); at the top
``notebooks_dir`` (default: the kit's ``notebooks/``; a folder holding ``fr/`` and ``en/``
editions gives each client the edition in its language, any other folder is used as it is),
``timeout`` (seconds per notebook),
``workers`` and ``language`` (of the index page). Every problem is reported at once as a
:class:`~kpi_helpers.errors.KpiInputError` (exit status 2), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import KpiInputError, Problem, brief
from ..paths import NOTEBOOKS_DIR
from ..safeyaml import load_yaml

__all__ = ["ClientSpec", "ReportConfig", "load_config", "edition_dir", "slugify", "whole_number", "LAST_MONTH", "DEFAULT_TIMEOUT",
           "MIN_TIMEOUT", "MAX_TIMEOUT", "MAX_WORKERS"]

LAST_MONTH = "last-month"
DEFAULT_TIMEOUT = 300
MIN_TIMEOUT, MAX_TIMEOUT = 10, 86_400  # seconds per notebook: a kernel starts in a few seconds; a day at most
MAX_WORKERS = 64  # notebooks at once: each is a kernel process of a few hundred MB
TOP_KEYS = ("output", "clients", "notebooks_dir", "timeout", "workers", "language")
CLIENT_KEYS = ("name", "id", "folder", "period", "notebooks", "language", "margin_rate", "compare")
COMPARES = ("previous_period", "previous_year")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class ClientSpec:
    """One client of the batch, validated. ``period`` is ``"last-month"`` or ``(start, end)``."""

    id: str
    name: str
    folder: Path
    period: str | tuple[dt.date, dt.date]
    notebooks: tuple[Path, ...]
    language: str
    margin_rate: float | None
    compare: str | None


@dataclass(frozen=True)
class ReportConfig:
    path: Path
    output: Path
    clients: tuple[ClientSpec, ...]
    notebooks_dir: Path
    timeout: int
    workers: int | None
    language: str


def slugify(text: str) -> str:
    """``"Maison Lune"`` -> ``"maison-lune"``: ASCII letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or "client"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _month(text: str) -> tuple[dt.date, dt.date] | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    start = dt.date(int(m.group(1)), int(m.group(2)), 1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def _period(value: Any, where: str, problems: list[Problem], file: str) -> str | tuple[dt.date, dt.date]:
    expected = "'last-month', a month such as 2026-10, or {start: YYYY-MM-DD, end: YYYY-MM-DD}"
    if value is None or value == LAST_MONTH:
        return LAST_MONTH
    if isinstance(value, str) and _month(value):
        return _month(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - {"start", "end"})
        start, end = _date(value.get("start")), _date(value.get("end"))
        if unknown or start is None or end is None:
            problems.append(Problem(f"invalid period {brief(value)}", file=file, column=where, expected=expected))
            return LAST_MONTH
        if start > end:
            problems.append(Problem(f"period start {start} is after its end {end}", file=file, column=where))
            return LAST_MONTH
        return start, end
    problems.append(Problem(f"invalid period {brief(value)}", file=file, column=where, expected=expected))
    return LAST_MONTH


def _notebooks(value: Any, where: str, nb_dir: Path, problems: list[Problem], file: str) -> tuple[Path, ...]:
    available = sorted(nb_dir.glob("[0-9][0-9]-*.ipynb")) if nb_dir.is_dir() else []
    if value is None or value == "all":
        if not available:
            problems.append(Problem(f"no notebook (NN-theme.ipynb) in {nb_dir}", file=file, column=where))
        return tuple(available)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.append(Problem(f"invalid notebooks {brief(value)}", file=file, column=where,
                                expected="'all' or a non-empty list of notebook file names"))
        return ()
    by_name = {p.name: p for p in available} | {p.stem: p for p in available}
    chosen: dict[str, Path] = {}
    for item in value:
        path = by_name.get(str(item).strip()) if isinstance(item, str) else None
        if path is None:
            problems.append(Problem(f"unknown notebook {brief(item)}", file=file, column=where,
                                    expected="one of " + ", ".join(p.name for p in available)))
        elif path.name in chosen:
            problems.append(Problem(f"notebook {path.name} is listed twice", file=file, column=where))
        else:
            chosen[path.name] = path
    return tuple(sorted(chosen.values()))  # course order, whatever the order of the list


def edition_dir(nb_dir: Path, language: str) -> Path:
    """The folder of the notebooks a client in ``language`` gets: ``nb_dir/fr`` or ``nb_dir/en``
    when ``nb_dir`` holds editions (the kit's ``notebooks/`` does), else ``nb_dir`` itself."""
    return nb_dir / language if (nb_dir / language).is_dir() else nb_dir


def _client_yml_language(folder: Path) -> str | None:
    try:
        data = load_yaml(folder / "client.yml") if (folder / "client.yml").is_file() else None
    except KpiInputError:  # a broken client.yml is the run's problem, reported when it loads
        return None
    lang = data.get("language") if isinstance(data, dict) else None
    return lang if lang in ("fr", "en") else None


def whole_number(value: Any, low: int, high: int) -> int | None:
    """``value`` as an int when it is a whole number from ``low`` to ``high`` (``120`` or ``120.0``;
    not ``120.5``, ``.inf``, ``.nan``, ``true`` or a text), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value) if low <= value <= high else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def load_config(path: str | Path) -> ReportConfig:
    """Read and validate a batch configuration; raise :class:`KpiInputError` listing every problem."""
    path = Path(path).expanduser().resolve()
    file = str(path)
    if not path.is_file():
        raise KpiInputError(Problem(f"configuration file not found: {path}", expected="a YAML file such as reports.yml"))
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise KpiInputError(Problem("the configuration must be a mapping with 'output' and 'clients'", file=file))
    base = path.parent
    problems: list[Problem] = []
    for key in sorted(set(map(str, raw)) - set(TOP_KEYS)):
        problems.append(Problem(f"unknown key {brief(key)}", file=file, column=key, expected="one of " + ", ".join(TOP_KEYS)))
    output = raw.get("output", "reports")
    if not isinstance(output, str) or not output.strip():
        problems.append(Problem(f"invalid output {brief(output)}", file=file, column="output", expected="a folder path"))
        output = "reports"
    nb_dir_raw = raw.get("notebooks_dir")
    nb_dir = NOTEBOOKS_DIR
    if nb_dir_raw is not None:
        if not isinstance(nb_dir_raw, str) or not (base / nb_dir_raw).is_dir():
            problems.append(Problem(f"notebooks_dir {brief(nb_dir_raw)} is not a folder", file=file, column="notebooks_dir"))
        else:
            nb_dir = (base / nb_dir_raw).resolve()
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if whole_number(timeout, MIN_TIMEOUT, MAX_TIMEOUT) is None:
        problems.append(Problem(f"invalid timeout {brief(timeout)}", file=file, column="timeout",
                                expected=f"a whole number of seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT:,}"))
        timeout = DEFAULT_TIMEOUT
    workers = raw.get("workers")
    if workers is not None and whole_number(workers, 1, MAX_WORKERS) is None:
        problems.append(Problem(f"invalid workers {brief(workers)}", file=file, column="workers",
                                expected=f"a whole number from 1 to {MAX_WORKERS}"))
        workers = None
    index_language = raw.get("language", "fr")
    if index_language not in ("fr", "en"):
        problems.append(Problem(f"invalid language {brief(index_language)}", file=file, column="language", expected="fr or en"))
        index_language = "fr"
    clients_raw = raw.get("clients")
    if not isinstance(clients_raw, list) or not clients_raw:
        problems.append(Problem("'clients' must be a non-empty list", file=file, column="clients"))
        clients_raw = []
    clients: list[ClientSpec] = []
    for i, item in enumerate(clients_raw):
        where = f"clients[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(f"{where} must be a mapping with name and folder", file=file, column=where))
            continue
        for key in sorted(set(map(str, item)) - set(CLIENT_KEYS)):
            problems.append(Problem(f"unknown key {brief(key)}", file=file, column=f"{where}.{key}",
                                    expected="one of " + ", ".join(CLIENT_KEYS)))
        name, folder = item.get("name"), item.get("folder")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem("missing client name", file=file, column=f"{where}.name", expected="a non-empty text"))
            name = f"client {i + 1}"
        if not isinstance(folder, str) or not folder.strip():
            problems.append(Problem("missing client folder", file=file, column=f"{where}.folder", expected="a folder path"))
            folder = "."
        folder_path = (base / Path(folder).expanduser()).resolve()
        cid = item.get("id")
        if cid is None:
            cid = slugify(folder_path.name)
        elif not isinstance(cid, str) or not ID_RE.match(cid):
            problems.append(Problem(f"invalid id {brief(cid)}", file=file, column=f"{where}.id",
                                    expected="lower-case letters, digits, '.', '_' or '-' (a folder name)"))
            cid = slugify(str(cid))
        period = _period(item.get("period", LAST_MONTH), f"{where}.period", problems, file)
        language = item.get("language") or _client_yml_language(folder_path) or "fr"
        if language not in ("fr", "en"):
            problems.append(Problem(f"invalid language {brief(language)}", file=file, column=f"{where}.language", expected="fr or en"))
            language = "fr"
        notebooks = _notebooks(item.get("notebooks", "all"), f"{where}.notebooks", edition_dir(nb_dir, language),
                               problems, file)
        margin = item.get("margin_rate")
        if margin is not None and (_number(margin) is None or not 0 <= margin <= 1):
            problems.append(Problem(f"invalid margin_rate {brief(margin)}", file=file, column=f"{where}.margin_rate",
                                    expected="a fraction between 0 and 1, such as 0.35"))
            margin = None
        compare = item.get("compare", "previous_period")
        if compare in (None, "none", False):
            compare = None
        elif compare not in COMPARES:
            problems.append(Problem(f"invalid compare {brief(compare)}", file=file, column=f"{where}.compare",
                                    expected="previous_period, previous_year or none"))
            compare = "previous_period"
        clients.append(ClientSpec(cid, name.strip(), folder_path, period, notebooks, language,
                                  None if margin is None else float(margin), compare))
    seen: dict[str, int] = {}
    for i, c in enumerate(clients):
        if c.id in seen:
            problems.append(Problem(f"clients {seen[c.id]} and {i} share the id {c.id!r}", file=file,
                                    column=f"clients[{i}].id", expected="a distinct 'id' for each client"))
        seen.setdefault(c.id, i)
    if problems:
        raise KpiInputError(problems, header=f"{file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
    return ReportConfig(path, (base / output).resolve(), tuple(clients), nb_dir, int(timeout), workers, index_language)
