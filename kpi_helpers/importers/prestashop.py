"""PrestaShop orders export (1.7.7+ and 8: Orders > Orders > Export) -> orders.

Written from PrestaShop's source: ``OrderController::exportAction`` (the columns ID, Reference, New
client, Delivery, Customer, Total, Payment, Status, Date, and Company when B2B is on),
``CsvResponse`` (``fputcsv`` with ``;``, UTF-8 without BOM; fields with spaces are quoted),
``OrderGridDataFactory`` (Total = ``total_paid_tax_incl`` formatted for the back office's locale:
``1 194,90 €`` in French, with U+202F / U+00A0) and the order grid query (Customer = first
initial and last name, ``H. Morel``; Date = ``date_add``, ``Y-m-d H:i:s`` in the shop's
timezone); status labels from the install data (``install-dev/langs/{en,fr}/data/order_state.xml``).
The French column labels (``Référence``, ``Nouveau client``, ``Livraison``, ``Client``,
``Paiement``, ``État``) are PrestaShop's French catalogue as given in ``shared/spec/exports.md``.

Output table and mapping
------------------------
orders (one row per ``ID``)
    * ``order_id`` = ``ID`` (unique; a reference can be shared by the orders of one split cart).
    * ``ordered_at`` = ``Date``, read in the client's timezone (client.yml).
    * ``revenue`` = ``Total`` (tax and shipping included, as the contract's revenue); the
      currency comes from its symbol or code and must be the same on every row.
    * ``status`` from the status label, French or English, by its words: cancelled (Annulé,
      Canceled) -> ``cancelled``; refunded (Remboursé, Remboursement, Refunded) -> ``refunded``;
      payment error (Erreur de paiement) -> ``cancelled`` (no sale); partial refund ->
      ``partially_refunded``; awaiting payment (En attente de paiement par chèque / de virement
      bancaire / du paiement à la livraison, On backorder (not paid)...) -> ``pending``; paid
      (Paiement accepté, Paiement à distance accepté, backorder (paid)) -> ``paid``; in
      preparation -> ``processing``; Expédié -> ``shipped``; Livré -> ``delivered``. Shops add
      their own statuses: a label matching none of these is kept as written, counted as an
      order, and listed in the provenance.
    * ``customer_id`` = keyed hash of ``Customer`` as written (``H. Morel``, case and spacing
      ignored): the export has no customer id or e-mail, so namesakes with the same initial are
      one buyer (a caveat for buyers and repeat purchases).
    * Not written: New client (the kit computes new vs returning itself), Delivery (country),
      Payment, Company. ``Customer`` and ``Company`` are personal data: the first is only read to
      be hashed, the second is not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._raw import Col, ImportContext, Parsed, currency_of, header_first, ids, norm_label, read_export

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "STATUS_RULES", "detect", "read", "status_of"]

NAME = "prestashop"
TITLE = "PrestaShop orders export"
TABLE = "orders"

COLUMNS = {
    "id": Col(("ID",), ("ID",)),
    "reference": Col(("Reference",), ("Référence",)),
    "customer": Col(("Customer",), ("Client",)),
    "total": Col(("Total",), ("Total",)),
    "status": Col(("Status",), ("État", "Statut")),
    "date": Col(("Date",), ("Date",)),
}
REQUIRED = ("id", "reference", "customer", "total", "status", "date")

#: (status, pattern searched in the lower-cased label): the first match wins.
STATUS_RULES: tuple[tuple[str, str], ...] = (
    ("cancelled", r"annul|cancel"),
    ("partially_refunded", r"rembours\w* partiel|partial\w* refund"),
    ("refunded", r"rembours|refund"),
    ("cancelled", r"erreur de paiement|payment error"),
    ("paid", r"\((pay[ée]|paid)\)"),
    ("pending", r"en attente|awaiting|non pay|not paid"),
    ("paid", r"paiement .*accept|payment accepted|remote payment accepted"),
    ("processing", r"pr[ée]paration|processing"),
    ("shipped", r"exp[ée]di|shipped"),
    ("delivered", r"livr[ée]|delivered"),
)
SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "CHF": "CHF"}


def status_of(label: str) -> str | None:
    """The contract status of a PrestaShop status label (None when no rule knows it)."""
    text = norm_label(label)
    return next((status for status, pattern in STATUS_RULES if re.search(pattern, text)), None)


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a PrestaShop orders export (its header row first)."""
    return header_first(path, COLUMNS, REQUIRED)


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the export at ``path`` into the orders table (see the module docstring)."""
    x = read_export(path, COLUMNS, required=REQUIRED, what=TITLE)
    order = x.text("id").astype("object")
    x.bad("id", order == "", "are empty", "the order ID on every row")
    x.bad("id", order.duplicated(), "appear twice", "one row per order ID")
    total_text = x.text("total")
    revenue = x.numbers("total", decimal="," if x.language == "fr" else ".", min=0, required=True)
    signs = total_text.str.extract(r"(€|£|\$|\b[A-Z]{3}\b)", expand=False).fillna("").astype("object")
    currency = currency_of(x.path, signs.map(lambda s: SYMBOLS.get(s, s)), what="the Total column")
    at = x.datetimes("date", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"], timezone=ctx.timezone,
                     expected="PrestaShop's date, e.g. 2025-03-31 20:31:10")
    labels = x.text("status").astype("object")
    known = {label: status_of(label) for label in labels.unique()}
    if "" in known:
        x.bad("status", labels == "", "are empty", "the order's status label")
    status = labels.map(lambda label: known[label] or label)
    customer = x.text("customer").astype("object").map(norm_label)
    orders = pd.DataFrame({
        "order_id": order.to_numpy(),
        "customer_id": ctx.pseudonymise(ids(customer, "name", "order:" + order)).to_numpy(),
        "ordered_at": at,
        "revenue": revenue.round(2).to_numpy(),
        "status": status.to_numpy(),
    })
    unknown = sorted(label for label, s in known.items() if s is None)
    counts = orders["status"].value_counts()
    notes = [
        "revenue = Total (tax and shipping included).",
        "status from the label: " + "; ".join(f"{label!r} -> {s}" for label, s in sorted(known.items()) if s)
        + ". cancelled and refunded are left out of every KPI; counts: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".",
        "customer_id = keyed hash of Customer as the export writes it (first initial and last name): namesakes "
        "with the same initial are one buyer.",
        "ordered_at = Date read in the client's timezone (the shop's local time).",
    ]
    if unknown:
        notes.append("status labels no rule knows, kept as written and counted as orders: "
                     + ", ".join(repr(u) for u in unknown) + ".")
    return Parsed(NAME, TITLE, NAME, TABLE, orders, rows_read=len(x.data), language=x.language,
                  currency=currency, notes=notes)
