"""Shopify orders export (Admin > Orders > Export, "CSV for Excel, Numbers..." or plain CSV) -> orders.

Written from the Shopify Help Center page "Exporting orders" (the export's columns and what each
holds) and ``shared/spec/exports.md``. Headers are in English whatever the admin's language.

Input shape: one row per line item, comma-separated UTF-8, 79 columns (``Name, Email, Financial
Status, Paid at, Fulfillment Status, ..., Created at, Lineitem quantity, Lineitem name, ...,
Cancelled at, ..., Refunded Amount, ..., Phone, ...``). Order-level fields (``Financial Status``,
``Subtotal``, ``Shipping``, ``Taxes``, ``Total``, ``Cancelled at``, ``Refunded Amount``...) are on
the order's first row only; the rows that follow repeat ``Name``, ``Email``, ``Created at`` and
the ``Lineitem *`` columns. Timestamps carry the shop's offset: ``2025-03-31 20:31:10 +0200``.

Output table and mapping
------------------------
orders (one row per ``Name``)
    * ``order_id`` = ``Name`` as the shop shows it (``#1001``).
    * ``customer_id`` = keyed hash of the e-mail (trimmed, lower-cased); an order without e-mail
      (point of sale, some draft orders) uses its phone (digits only, the ``'`` Excel guard
      dropped), and one with neither counts as a buyer of its own (hash of the order number).
    * ``ordered_at`` = ``Created at``, offset kept (converted to the client's timezone).
    * ``revenue`` = ``Total`` (tax and shipping included, discounts already deducted), minus
      ``Refunded Amount`` for an order that is not fully refunded or cancelled: a partially
      refunded order is KEPT and counts for what the shop kept. A refunded or cancelled order
      keeps its ``Total`` (it is left out of every KPI anyway).
    * ``shipping`` = ``Shipping``, ``tax`` = ``Taxes``, ``items`` = sum of ``Lineitem quantity``
      over the order's rows.
    * ``status``: ``Cancelled at`` set -> ``cancelled``; ``Financial Status`` ``voided`` (the
      payment authorisation was cancelled: no sale) -> ``cancelled``; ``refunded`` ->
      ``refunded``; ``partially_refunded``, ``paid``, ``pending``, ``authorized``,
      ``partially_paid`` and any other value are written as they are, and count as orders (as in
      Shopify's own order list).
    * Personal data: the e-mail and phone are only read to be hashed; names, addresses, notes,
      note attributes and the employee are not read at all.
    * ``Discount Amount``, ``Lineitem price``, ``Payment Method``, tags and the rest have no
      contract column and are not written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._raw import Col, ImportContext, Parsed, currency_of, header_first, ids, read_export

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "detect", "read"]

NAME = "shopify"
TITLE = "Shopify orders export"
TABLE = "orders"

COLUMNS = {
    "name": Col(("Name",)),
    "email": Col(("Email",)),
    "financial_status": Col(("Financial Status",)),
    "currency": Col(("Currency",)),
    "shipping": Col(("Shipping",)),
    "taxes": Col(("Taxes",)),
    "total": Col(("Total",)),
    "created_at": Col(("Created at",)),
    "quantity": Col(("Lineitem quantity",)),
    "cancelled_at": Col(("Cancelled at",)),
    "refunded": Col(("Refunded Amount",)),
    "phone": Col(("Phone",)),
    "billing_phone": Col(("Billing Phone",)),
}
REQUIRED = ("name", "email", "financial_status", "total", "created_at", "quantity")
TIMESTAMP = "%Y-%m-%d %H:%M:%S %z"


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Shopify orders export (its first line holds Shopify's order headers)."""
    return header_first(path, COLUMNS, REQUIRED)


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the export at ``path`` into the orders table (see the module docstring)."""
    x = read_export(path, COLUMNS, required=REQUIRED, what=TITLE)
    name = x.text("name")
    x.bad("name", name == "", "are empty", "the order number (Name) on every row")
    qty = x.numbers("quantity", decimal=".", min=0, required=True)
    codes, uniques = pd.factorize(name)
    items = np.bincount(codes, weights=qty.to_numpy(), minlength=len(uniques))
    o = x.keep(~name.duplicated())  # each order's first row: its order-level fields, in file order
    status = o.text("financial_status").str.lower().astype("object")
    o.bad("financial_status", status == "", "are empty on an order's first row",
          "the order's Financial Status on its first row")
    at = o.datetimes("created_at", [TIMESTAMP], expected="Shopify's timestamp, e.g. 2025-03-31 20:31:10 +0200")
    total = o.numbers("total", decimal=".", min=0, required=True)
    refunded = o.numbers("refunded", decimal=".", min=0, none=0.0)
    status = status.where(o.text("cancelled_at") == "", "cancelled").replace({"voided": "cancelled"})
    excluded = status.isin(["cancelled", "refunded"])
    net = total - refunded.where(~excluded, 0.0)
    over = net < 0
    email = o.text("email").str.lower()
    phone = o.text("phone").where(o.text("phone") != "", o.text("billing_phone")).str.replace(r"\D", "", regex=True)
    who = ids(email, "email", ids(phone, "phone", "order:" + o.text("name")))
    orders = pd.DataFrame({
        "order_id": o.text("name").astype("object"),
        "customer_id": ctx.pseudonymise(who),
        "ordered_at": at.dt.tz_convert(ctx.timezone),
        "revenue": net.clip(lower=0).round(2),
        "shipping": o.numbers("shipping", decimal=".", min=0),
        "tax": o.numbers("taxes", decimal=".", min=0),
        "status": status,
        "items": pd.array(np.rint(items).astype(np.int64), dtype="Int64"),
    })

    partial = status == "partially_refunded"
    counts = orders["status"].value_counts()
    notes = [
        f"{len(x.data):,} line-item rows grouped into {len(orders):,} orders by Name.",
        "revenue = Total (tax and shipping included, discounts deducted) minus Refunded Amount; "
        f"{int(partial.sum()):,} partially refunded order(s) kept for what the shop kept "
        f"({float(refunded[partial].sum()):,.2f} refunded on them).",
        "status: Cancelled at or voided -> cancelled, refunded -> refunded (both left out of every KPI); "
        "other Financial Status values kept as written and counted: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".",
        f"customer_id = keyed hash of the e-mail; {int((email == '').sum()):,} order(s) without "
        "e-mail hashed on their phone or, without one, on their own number.",
        "Not read: names, addresses, notes, employee (personal data); the e-mail and phone are read only "
        "to be hashed.",
    ]
    if over.any():
        notes.append(f"{int(over.sum()):,} order(s) with a Refunded Amount above their Total written with revenue 0.")
    return Parsed(NAME, TITLE, NAME, TABLE, orders, rows_read=len(x.data), language="en",
                  currency=currency_of(x.path, o.text("currency"), what="the Currency column"),
                  notes=notes)
