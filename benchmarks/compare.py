"""Compare scorecards (kit, pandas, SQL): every headline KPI and every breakdown entry.

Numbers agree when ``|a - b| <= 1e-9 * max(|a|, |b|)``. The kit's ``scorecard()`` rounds floats
to 10 decimals (``round(v, 10)``), so a comparison that involves the kit also accepts an absolute
difference up to ``1e-10`` (half a unit of the 10th decimal plus float noise); without that, a
small rate such as 0.0207959919... would "disagree" at the 1e-9 relative level on rounding alone.

    python benchmarks/compare.py A.json B.json [C.json ...]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

REL = 1e-9
ROUNDING = 1e-10


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same(a: Any, b: Any, rounded: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if _num(a) and _num(b):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        diff = abs(a - b)
        return diff <= REL * max(abs(a), abs(b)) or (rounded and diff <= ROUNDING)
    return a == b


def _flatten(card: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in card["kpis"].items():
        out[f"kpis.{k}"] = v
    for k, v in card["breakdowns"].items():
        if isinstance(v, dict):
            for g, x in v.items():
                out[f"{k}[{g}]"] = x
        elif isinstance(v, list):
            for i, pair in enumerate(v):
                out[f"{k}[{i}]"] = tuple(pair)
            out[f"{k}.length"] = len(v)
        else:
            out[k] = v
    return out


def disagreements(cards: dict[str, dict], rounded: set[str] = frozenset({"kit"})) -> list[dict]:
    """Every item on which two of the named cards differ: [{item, values: {name: value}}]."""
    flat = {name: _flatten(card) for name, card in cards.items()}
    items = sorted(set().union(*[f.keys() for f in flat.values()]))
    out = []
    periods = {name: (c["period"]["start"], c["period"]["end"]) for name, c in cards.items()}
    if len(set(periods.values())) > 1:
        out.append({"item": "period", "values": {n: f"{s}..{e}" for n, (s, e) in periods.items()}})
    names = list(cards)
    for item in items:
        values = {n: flat[n].get(item, "<missing>") for n in names}
        ok = True
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if not same(values[a], values[b], rounded=a in rounded or b in rounded):
                    ok = False
        if not ok:
            out.append({"item": item, "values": values})
    return out


def main(argv: list[str]) -> int:
    cards = {Path(p).stem: json.loads(Path(p).read_text()) for p in argv}
    bad = disagreements(cards, rounded={n for n in cards if "kit" in n})
    for d in bad:
        print(d["item"], "  ".join(f"{n}={v!r}" for n, v in d["values"].items()))
    print(f"{len(bad)} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
