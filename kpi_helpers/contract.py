"""The data contract as code: the tables of a client folder, their columns and types.

This mirrors ``shared/spec/data-contract.md`` (the reference); ``tests/test_contract.py`` checks
that every column named there is declared here. Types:

``id``
    identifier, always a string: leading zeros survive, ``0123.456`` stays text.
``str``
    free text.
``timestamp``
    ISO 8601; with an offset it is converted, without one it is read in the client's timezone.
``date``
    a calendar day (ISO 8601 ``YYYY-MM-DD``).
``float`` / ``int``
    numbers; ``min`` gives the smallest value allowed.
``bool``
    true/false, 1/0, yes/no, oui/non, vrai/faux.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "TableSpec", "TABLES", "TABLE_NAMES", "EXTENSIONS", "DEFAULT_SETTINGS", "LOCAL_DATE",
           "BACKENDS"]

#: The column every loaded table gets beside its contract columns: the local date (in the client's
#: timezone) of its time column, computed once by the loader so that no KPI converts a timezone
#: (a backend such as Spark or BigQuery would convert it in UTC, or not at all).
LOCAL_DATE = "local_date"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    min: float | None = None
    default: str | None = None  # value used for a missing optional text column or a null cell


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    time_column: str  # the column that places a row in a period
    doc: str

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name: str, time_column: str, doc: str, *columns: Column) -> TableSpec:
    return TableSpec(name, tuple(columns), time_column, doc)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        _t(
            "sessions", "started_at", "one row per visit (web analytics)",
            Column("session_id", "id", required=True, unique=True),
            Column("visitor_id", "id", required=True),
            Column("started_at", "timestamp", required=True),
            Column("channel", "str", default="unknown"),
            Column("device", "str", default="unknown"),
            Column("landing_page", "str"),
            Column("pageviews", "int", min=1),
            Column("platform", "str"),
            Column("landing_page_title", "str"),
            Column("bounced", "bool"),
            Column("source", "str"),
            Column("medium", "str"),
            Column("campaign", "str"),
            Column("customer_id", "id"),
            Column("channel_group", "str"),
        ),
        _t(
            "orders", "ordered_at", "one row per order (shop back office)",
            Column("order_id", "id", required=True, unique=True),
            Column("customer_id", "id", required=True),
            Column("ordered_at", "timestamp", required=True),
            Column("revenue", "float", required=True, min=0),
            Column("session_id", "id"),
            Column("visitor_id", "id"),
            Column("shipping", "float", min=0),
            Column("tax", "float", min=0),
            Column("status", "str"),
            Column("items", "int", min=0),
        ),
        _t(
            "carts", "created_at", "one row per cart created",
            Column("cart_id", "id", required=True, unique=True),
            Column("created_at", "timestamp", required=True),
            Column("visitor_id", "id", required=True),
            Column("session_id", "id"),
            Column("value", "float", min=0),
            Column("shipping_fee", "float", min=0),
            Column("order_id", "id"),
        ),
        _t(
            "ad_spend", "date", "one row per day x channel (x campaign)",
            Column("date", "date", required=True),
            Column("channel", "str", required=True),
            Column("spend", "float", required=True, min=0),
            Column("campaign", "str"),
            Column("clicks", "int", min=0),
            Column("impressions", "int", min=0),
            Column("currency", "str"),
        ),
        _t(
            "social_posts", "published_at", "one row per social media post",
            Column("post_id", "id", required=True, unique=True),
            Column("platform", "str", required=True),
            Column("published_at", "timestamp", required=True),
            Column("likes", "int", required=True, min=0),
            Column("comments", "int", required=True, min=0),
            Column("impressions", "int", min=0),
            Column("reach", "int", min=0),
            Column("views", "int", min=0),
            Column("shares", "int", min=0),
            Column("saves", "int", min=0),
            Column("followers", "int", min=0),
            Column("format", "str"),
        ),
        _t(
            "searches", "searched_at", "one row per internal site search",
            Column("searched_at", "timestamp", required=True),
            Column("session_id", "id", required=True),
            Column("query", "str", required=True),
            Column("results_count", "int", min=0),
        ),
        _t(
            "traffic", "date", "one row per day or period x segment (aggregated web analytics)",
            Column("date", "date", required=True),
            Column("sessions", "int", required=True, min=0),
            Column("end_date", "date"),
            Column("channel", "str"),
            Column("device", "str"),
            Column("landing_page", "str"),
            Column("engaged_sessions", "int", min=0),
            Column("users", "int", min=0),
            Column("transactions", "int", min=0),
            Column("key_events", "float", min=0),
            Column("revenue", "float", min=0),
        ),
        _t(
            "search_terms", "date", "one row per day or period x search keyword (aggregated site search)",
            Column("date", "date", required=True),
            Column("query", "str", required=True),
            Column("searches", "int", required=True, min=0),
            Column("end_date", "date"),
            Column("no_results", "bool"),
        ),
    ]
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# Longest first, so "csv.gz" wins over "csv" when matching a file name.
EXTENSIONS: tuple[str, ...] = ("csv.gz", "parquet", "xlsx", "csv")

DEFAULT_SETTINGS: dict[str, object] = {
    "name": None,  # the folder name when absent
    "timezone": "Europe/Paris",
    "currency": "EUR",
    "margin_rate": None,
    "product_page_pattern": None,
    "product_title_pattern": None,
    "language": "fr",
    "backend": "duckdb",  # where the KPIs run: duckdb (embedded), pyspark, or bigquery (with warehouse)
    "warehouse": None,  # tables already in a warehouse: {project, dataset, database, tables: {table: ref}}
}

#: The backends the KPIs run on. A folder of files is validated by DuckDB first (then handed to
#: Spark for pyspark); tables named under ``warehouse`` are checked where they are.
BACKENDS = ("duckdb", "pyspark", "bigquery")
