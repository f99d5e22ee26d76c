"""Writing the sample: generator codes to Arrow tables (ids, timestamps, labels), then files.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .behaviour import _WebGenerator
from .calendar import _Calendar, _epoch, _utc_to_wall
from .profiles import CHANNELS, DEVICES, STATUSES
from .site import _Site

__all__ = ["FORMATS", "_Formatter", "_TableWriter", "_Sink", "_client_yml"]

#: File formats a client folder can be written in (one file per table: ``<table>.<format>``).
FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet", "xlsx")
_XLSX_MAX_ROWS = 1_048_575


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64, used to turn counters into opaque ids."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)


def _hex16(x: np.ndarray) -> pa.Array:
    """16 lower-case hex digits per uint64 (unique when the inputs are)."""
    nib = ((x.astype(np.uint64)[:, None] >> _SHIFTS) & np.uint64(15)).astype(np.intp)
    chars = np.ascontiguousarray(_HEX[nib])
    return pa.array(chars.view("S16").ravel()).cast(pa.string())


def _int_str(x: np.ndarray, width: int = 0, prefix: str = "", null: np.ndarray | None = None) -> pa.Array:
    """Integers as strings, zero-padded to ``width``, with a prefix; ``null`` marks missing ones."""
    s = pc.cast(pa.array(x.astype(np.int64), mask=null), pa.string())
    if width:
        s = pc.utf8_lpad(s, width=width, padding="0")
    if prefix:
        s = pc.binary_join_element_wise(prefix, s, "")
    return s


def _take(strings: list[str], codes: np.ndarray) -> pa.Array:
    """Strings by code; negative codes give nulls."""
    codes = np.asarray(codes)
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.array(strings, pa.string()).take(idx)


# ----------------------------------------------------------------------------------------------
# Turning day buffers into Arrow tables and files


class _Formatter:
    """Builds the output Arrow tables (ids, timestamps, labels) from the generator's codes."""

    def __init__(self, profile: dict, fmt: str, site: _Site | None, gen: _WebGenerator | None, cal: _Calendar):
        self.p, self.fmt, self.site, self.gen, self.cal = profile, fmt, site, gen, cal
        self.tz = profile["timezone"]
        self.style = profile["timestamp_style"]

    def ts(self, utc: np.ndarray) -> pa.Array:
        """Timestamps in the folder's style: Parquet UTC instants, naive local or offset strings."""
        utc = np.asarray(utc, np.int64)
        if self.fmt == "parquet":
            return pa.array(utc * 1_000_000, pa.timestamp("us", tz="UTC"))
        wall = _utc_to_wall(utc, self.tz)
        if self.style == "naive":
            if self.fmt == "xlsx":
                return pa.array(wall.astype("datetime64[s]"), pa.timestamp("s"))
            return pc.strftime(pa.array(wall, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
        text = pc.strftime(pa.array(wall, pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
        off = (wall - utc) // 60
        uniq, inv = np.unique(off, return_inverse=True)
        labels = [f"{'+' if o >= 0 else '-'}{abs(o) // 60:02d}:{abs(o) % 60:02d}" for o in uniq]
        return pc.binary_join_element_wise(text, _take(labels, inv), "")

    # ids ----------------------------------------------------------------------------------------
    def session_id(self, x: np.ndarray) -> pa.Array:
        """Session ids: '1234' (fashion, Matomo-like) or '0000001234' (b2b)."""
        if self.p["ids"] == "fashion":
            return _int_str(x + 1, null=x < 0)
        return _int_str(x + 1, width=10, null=x < 0)

    def visitor_id(self, x: np.ndarray) -> pa.Array:
        """Visitor ids: 16 hex digits (fashion) or GA client ids 'random.first_seen' (b2b)."""
        null = x < 0
        xs = np.where(null, 0, x)
        if self.p["ids"] == "fashion":
            h = _hex16(_mix64(xs.astype(np.uint64) ^ np.uint64(0x5A17)))
            return pc.if_else(pa.array(null), pa.scalar(None, pa.string()), h)
        rand = (xs.astype(np.int64) * 1103515245 + 914_235_617) % (2**31)  # a bijection: GA-like random part
        first = self.gen.v_first[xs]
        s = pc.binary_join_element_wise(_int_str(rand), _int_str(first), ".")
        return pc.if_else(pa.array(null), pa.scalar(None, pa.string()), s)

    def customer_id(self, x: np.ndarray) -> pa.Array:
        """Customer ids: '0000123' (fashion, leading zeros) or 'C000123' (b2b)."""
        if self.p["ids"] == "fashion":
            return _int_str(x + 1, width=7, null=x < 0)
        return _int_str(x + 1, width=6, prefix="C", null=x < 0)

    def order_id(self, x: np.ndarray) -> pa.Array:
        """Order ids: '100123' (fashion) or 'CMD-0000123' (b2b)."""
        if self.p["ids"] == "fashion":
            return _int_str(x + 100_001, null=x < 0)
        return _int_str(x + 1, width=7, prefix="CMD-", null=x < 0)

    def cart_id(self, x: np.ndarray) -> pa.Array:
        """Cart ids: 16 hex digits (fashion) or '500123' (b2b)."""
        if self.p["ids"] == "fashion":
            return _hex16(_mix64(x.astype(np.uint64) ^ np.uint64(0xCA57)))
        return _int_str(x + 500_001)

    # tables -------------------------------------------------------------------------------------
    def sessions(self, b: dict) -> pa.Table:
        """The sessions table of a chunk."""
        site, cols = self.site, self.p["columns"]
        out = {"session_id": self.session_id(b["sid"]), "visitor_id": self.visitor_id(b["vis"]),
               "started_at": self.ts(b["utc"])}
        if cols["channel"]:
            out["channel"] = _take(list(CHANNELS), b["chan"])
        out["device"] = _take(list(DEVICES), b["device"])
        if cols["platform"]:
            out["platform"] = _take(["web", "app"], b["app"].astype(np.int64))
        out["landing_page"] = _take(site.paths, b["page"])
        out["landing_page_title"] = _take(site.titles, b["page"])
        out["pageviews"] = pa.array(b["pv"], pa.int64())
        if cols["bounced"]:
            out["bounced"] = pa.array(b["bounced"], pa.bool_())
        out["source"] = _take(site.sources, site.row_source[b["trow"]])
        out["medium"] = _take(site.mediums, site.row_medium[b["trow"]])
        out["campaign"] = _take(site.campaigns, b["campaign"])
        out["customer_id"] = self.customer_id(b["cust"])
        return pa.table(out)

    def orders(self, b: dict) -> pa.Table:
        """The orders table of a chunk."""
        return pa.table({
            "order_id": self.order_id(b["oid"]), "customer_id": self.customer_id(b["cust"]),
            "ordered_at": self.ts(b["utc"]), "revenue": pa.array(b["revenue"], pa.float64()),
            "session_id": self.session_id(b["sid"]), "visitor_id": self.visitor_id(b["vis"]),
            "shipping": pa.array(b["shipping"], pa.float64()), "tax": pa.array(b["tax"], pa.float64()),
            "status": _take(list(STATUSES), b["status"]), "items": pa.array(b["items"], pa.int64()),
        })

    def carts(self, b: dict) -> pa.Table:
        """The carts table of a chunk."""
        return pa.table({
            "cart_id": self.cart_id(b["cid"]), "created_at": self.ts(b["utc"]),
            "visitor_id": self.visitor_id(b["vis"]), "session_id": self.session_id(b["sid"]),
            "value": pa.array(b["value"], pa.float64()), "shipping_fee": pa.array(b["fee"], pa.float64()),
            "order_id": self.order_id(b["oid"]),
        })

    def searches(self, b: dict) -> pa.Table:
        """The searches table of a chunk (unknown results counts are nulls)."""
        return pa.table({
            "searched_at": self.ts(b["utc"]), "session_id": self.session_id(b["sid"]),
            "query": _take(self.site.q_text, b["query"]),
            "results_count": pa.array(b["results"], pa.int64(), mask=b["results"] < 0),
        })

    def ad_spend(self, b: dict) -> pa.Table:
        """The ad_spend table of a chunk (impressions null where the platform does not report them)."""
        days = np.array([_epoch(self.cal.dates[i]) // 86400 for i in b["day"]], np.int32)
        return pa.table({
            "date": pa.array(days, pa.date32()), "channel": _take(list(CHANNELS), b["chan"]),
            "campaign": _take(self.site.campaigns, b["campaign"]), "spend": pa.array(b["spend"], pa.float64()),
            "clicks": pa.array(b["clicks"], pa.int64()),
            "impressions": pa.array(b["impr"], pa.int64(), mask=b["impr"] < 0),
            "currency": pa.array(np.full(len(b["day"]), "EUR"), pa.string()),
        })

    def social_posts(self, b: dict) -> pa.Table:
        """The social_posts table (post ids are text: Instagram ids have 17-18 digits)."""

        def opt(a: np.ndarray) -> pa.Array:
            """Integers with -1 as null."""
            return pa.array(a, pa.int64(), mask=a < 0)

        return pa.table({
            "post_id": pa.array([f"{p}" if pl == "instagram" else f"104512345678901_{p}"
                                 for p, pl in zip(b["pid"], b["platform"])], pa.string()),
            "platform": pa.array(b["platform"], pa.string()), "published_at": self.ts(b["utc"]),
            "likes": pa.array(b["likes"], pa.int64()), "comments": pa.array(b["comments"], pa.int64()),
            "impressions": opt(b["impressions"]), "reach": opt(b["reach"]), "views": opt(b["views"]),
            "shares": opt(b["shares"]), "saves": opt(b["saves"]), "followers": opt(b["followers"]),
            "format": pa.array(b["format"], pa.string()),
        })


class _TableWriter:
    """Writes one table to ``<table>.<fmt>``, chunk by chunk (xlsx is written at close)."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt, self.rows = path, fmt, 0
        self._writer: Any = None
        self._file: Any = None
        self._parts: list[pa.Table] = []

    @property
    def opened(self) -> bool:
        """Whether anything (even an empty chunk) was written."""
        return self._writer is not None or self._file is not None or bool(self._parts)

    def write(self, table: pa.Table) -> None:
        """Append a chunk (Parquet row group, CSV rows; xlsx keeps it for close)."""
        if self.fmt == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._writer.write_table(table.cast(self._writer.schema))
        elif self.fmt in ("csv", "csv.gz"):
            first = self._file is None
            if first:
                self._raw = open(self.path, "wb")
                self._file = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
                              if self.fmt == "csv.gz" else self._raw)
            pacsv.write_csv(table, self._file, pacsv.WriteOptions(include_header=first))
        else:
            self._parts.append(table)
        self.rows += table.num_rows

    def close(self) -> int:
        """Finish the file and return its number of rows."""
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()
            if self._raw is not self._file:
                self._raw.close()
        if self.fmt == "xlsx":
            table = pa.concat_tables(self._parts) if self._parts else None
            if table is not None:
                if table.num_rows > _XLSX_MAX_ROWS:
                    raise ValueError(f"{self.path.name}: {table.num_rows:,} rows do not fit in an Excel sheet "
                                     f"(at most {_XLSX_MAX_ROWS:,}); use csv, csv.gz or parquet")
                frame = table.to_pandas()
                frame.to_excel(self.path, index=False, engine="openpyxl", sheet_name=self.path.name.split(".")[0])
        return self.rows


class _Sink:
    """Buffers the day records of every table and flushes them as chunks to the writers."""

    def __init__(self, out_dir: Path, fmt: str, formatter: _Formatter, tables: tuple[str, ...], chunk: int):
        self.fmt, self.formatter, self.chunk = fmt, formatter, chunk
        self.writers = {t: _TableWriter(out_dir / f"{t}.{fmt}", fmt) for t in tables}
        self.buf: dict[str, list[dict]] = {t: [] for t in tables}
        self.pending = 0

    def add(self, day: dict[str, dict[str, np.ndarray]]) -> None:
        """Buffer one day; flush when a chunk of sessions is full."""
        for t, rec in day.items():
            self.buf[t].append(rec)
        self.pending += len(day["sessions"]["sid"])
        if self.pending >= self.chunk:
            self.flush()

    def flush(self, final: bool = False) -> None:
        """Write the buffered days of every table (an empty table at the end if none was written)."""
        for t, recs in self.buf.items():
            if recs:
                merged = {k: np.concatenate([r[k] for r in recs]) for k in recs[0]}
            elif final and not self.writers[t].opened:
                merged = _EMPTY[t]()
            else:
                continue
            self.writers[t].write(getattr(self.formatter, t)(merged))
            self.buf[t] = []
        self.pending = 0

    def close(self) -> dict[str, int]:
        """Flush and close every file; rows written per table."""
        self.flush(final=True)
        return {t: w.close() for t, w in self.writers.items()}


def _empty(**kinds: str):
    """A factory of empty day records (i = int64, f = float, b = bool)."""

    def make() -> dict[str, np.ndarray]:
        """An empty day record."""
        return {k: np.zeros(0, {"i": np.int64, "f": float, "b": bool}[v]) for k, v in kinds.items()}
    return make


_EMPTY = {
    "sessions": _empty(sid="i", vis="i", utc="i", chan="i", device="i", app="b", page="i", pv="i", bounced="b",
                       trow="i", campaign="i", cust="i"),
    "orders": _empty(oid="i", cust="i", utc="i", revenue="f", sid="i", vis="i", shipping="f", tax="f", status="i",
                     items="i"),
    "carts": _empty(cid="i", utc="i", vis="i", sid="i", value="f", fee="f", oid="i"),
    "searches": _empty(utc="i", sid="i", query="i", results="i"),
    "ad_spend": _empty(day="i", chan="i", campaign="i", spend="f", clicks="i", impr="i"),
}


def _client_yml(profile: dict) -> str:
    """The client.yml text (deterministic, hand-written YAML)."""
    lines = [f"name: {profile['client_name']}", f"timezone: {profile['timezone']}", "currency: EUR"]
    extra = profile.get("client_yml", {})
    if "margin_rate" in extra:
        lines.append(f"margin_rate: {extra['margin_rate']}")
    lines.append("language: fr")
    if extra.get("product_page_pattern"):
        lines.append(f"product_page_pattern: '{extra['product_page_pattern']}'")
    return "\n".join(lines) + "\n"
