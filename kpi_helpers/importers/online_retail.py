"""UCI Online Retail (invoice lines) -> client folder: orders only.

Source: ``online_retail_uci/online_retail_customers_mod3.csv.gz``: 143,600 invoice lines of a UK
online gift retailer (mostly wholesale buyers), 2010-12-01 to 2011-12-09, for every customer with
``CustomerID % 3 == 0`` (so each kept customer's history and each kept invoice is complete).

Input shape: one row per invoice line: ``InvoiceNo``, ``StockCode``, ``Description``,
``Quantity``, ``InvoiceDate`` (local time, no offset), ``UnitPrice`` (GBP), ``CustomerID``,
``Country``.

Output table and mapping
------------------------
orders (one row per invoice, 7,635: 6,369 sales + 1,266 cancellations)
    * ``order_id`` = ``InvoiceNo`` (text, e.g. ``536365`` or ``C536379``).
    * ``customer_id`` = ``CustomerID`` as text without a decimal part (``17850``, never
      ``17850.0``). Every line of an invoice has the same customer (checked).
    * ``ordered_at`` = earliest ``InvoiceDate`` of the invoice's lines (11 invoices have lines
      one minute apart), read as Europe/London wall-clock time and written with its offset
      (``+00:00`` in winter, ``+01:00`` in summer time).
    * ``revenue`` = sum of ``Quantity * UnitPrice`` over the invoice's lines, rounded to the
      penny, GBP. It includes whatever lines the invoice holds: postage (``POST``), manual
      adjustments (``M``), carriage, bank charges, exactly as billed. One sale invoice sums to 0.
    * ``items`` = sum of ``Quantity`` (units, including postage/adjustment lines, as billed).
    * ``status``: invoices whose number starts with ``C`` are cancellations (credit notes; all
      their quantities are negative). They are written with ``status = cancelled`` and the
      ABSOLUTE value of their revenue and items, because the contract forbids negative revenue.
      The kit excludes cancelled orders from every KPI, so they only serve cancellation-rate
      analyses. Caveat: a credit note is not linked to the invoice it cancels, so the original
      sale stays a normal order: revenue KPIs are gross of cancellations (the cancellations
      total is in PROVENANCE.md). The largest case: sale 581483 (168,469.60 GBP, 80,995 units,
      2011-12-09 09:15) is cancelled in full by C581484 twelve minutes later, yet stays in revenue.
      Sale invoices have an empty status.
    * ``shipping``/``tax`` are not written: the data has no tax, and postage lines are not
      reliably identifiable as shipping.

There are no sessions, carts, traffic sources or devices: conversion and channel KPIs are null
for this client, by design.

client.yml: timezone ``Europe/London``, currency ``GBP``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_online_retail"]

FILES = ("online_retail_customers_mod3.csv.gz",)
COLUMNS = ["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]

DATASET = dict(
    dataset="UCI Online Retail (customer sample: CustomerID % 3 == 0)",
    publisher=("UCI Machine Learning Repository, \"Online Retail\" dataset, donated by Dr Daqing "
               "Chen (London South Bank University), 2015. Original paper: Chen, Sain & Guo "
               "(2012), *Journal of Database Marketing and Customer Strategy Management* 19(3)."),
    license=("CC BY 4.0 on the UCI repository page. The GitHub mirror it was taken from is "
             "Apache-2.0 for its own content."),
    origin=("GitHub `databricks/Spark-The-Definitive-Guide`, commit "
            "`4ba5601eb9b9aed1d01ab79775e3af228216ff6f`, files `data/retail-data/by-day/*.csv`."),
)


def import_online_retail(src_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Convert the UCI Online Retail folder ``src_dir`` into a client folder ``out_dir``.

    Returns rows written per table, e.g. ``{"orders": 7635}``. See the module docstring for the
    mapping, in particular how cancellations are written.
    """
    (lines_path,) = require_files("online_retail", src_dir, FILES)
    df = read_source_csv(lines_path, COLUMNS,
                         dtype={"InvoiceNo": "str", "CustomerID": "str"})
    if df["CustomerID"].isna().any():
        raise SourceDataError(f"{lines_path}: column CustomerID is empty on "
                              f"{int(df['CustomerID'].isna().sum())} line(s)")
    # "17850.0" (float-formatted exports) -> "17850"; anything else non-integer is an error
    cust = df["CustomerID"].str.strip().str.replace(r"\.0+$", "", regex=True)
    if not cust.str.fullmatch(r"\d+").all():
        bad = cust[~cust.str.fullmatch(r"\d+")].iloc[0]
        raise SourceDataError(f"{lines_path}: column CustomerID has {bad!r}; expected an integer")
    df["CustomerID"] = cust
    df["at"] = pd.to_datetime(df["InvoiceDate"], format="%Y-%m-%d %H:%M:%S").dt.tz_localize(
        "Europe/London", ambiguous="raise", nonexistent="raise")
    df["amount"] = df["Quantity"] * df["UnitPrice"]

    g = df.groupby("InvoiceNo", sort=False)
    if (g["CustomerID"].nunique() > 1).any():
        raise SourceDataError(f"{lines_path}: an InvoiceNo has lines of several customers")
    orders = pd.DataFrame({
        "customer_id": g["CustomerID"].first(),
        "ordered_at": g["at"].min(),
        "revenue": g["amount"].sum().round(2),
        "items": g["Quantity"].sum(),
    }).rename_axis("order_id").reset_index()
    cancelled = orders["order_id"].str.startswith("C")
    wrong_sign = (cancelled & (orders["revenue"] > 0)) | (~cancelled & (orders["revenue"] < 0))
    if wrong_sign.any():
        raise SourceDataError(f"{lines_path}: invoice {orders.loc[wrong_sign, 'order_id'].iloc[0]}"
                              " has a revenue sign that does not match its C prefix")
    cancelled_total = -orders.loc[cancelled, "revenue"].sum()
    orders["revenue"] = orders["revenue"].abs()
    orders["items"] = orders["items"].abs().astype("Int64")
    orders["status"] = pd.Series(pd.NA, index=orders.index, dtype="str").mask(
        cancelled, "cancelled")
    orders = orders.sort_values(["ordered_at", "order_id"])

    out = prepare_out_dir(out_dir)
    rows = {"orders": write_table(orders, out, "orders")}
    write_client_yml(out, name="UK online gift retailer (UCI Online Retail, 1/3 of customers)",
                     timezone="Europe/London", currency="GBP")
    notes = [
        "Orders only (no sessions, carts or channels). Revenue = sum of Quantity x UnitPrice per "
        "invoice, GBP, postage and adjustment lines included as billed.",
        f"{int(cancelled.sum()):,} cancellation invoices (C prefix) are written with status "
        f"'cancelled' and the absolute value of their revenue (total {cancelled_total:,.2f} GBP) "
        "and items; they are not linked to the sales they cancel, so revenue KPIs are gross "
        "(e.g. sale 581483, 168,469.60 GBP on 2011-12-09, is cancelled in full by C581484 but "
        "stays a normal order).",
        "customer_id = CustomerID as text; ordered_at = first line's InvoiceDate in "
        "Europe/London.",
        "Sample: all customers with CustomerID % 3 == 0 (complete histories); guest lines "
        "without CustomerID are not in the source.",
    ]
    write_provenance(out, folder=Path(src_dir).name,
                     importer="kpi_helpers.importers.online_retail", notes=notes, rows=rows,
                     **DATASET)
    return rows
