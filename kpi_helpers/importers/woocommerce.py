"""WooCommerce Analytics orders report (Analytics > Orders > Download, CSV) -> orders.

Written from WooCommerce's source: the report table's columns
(``plugins/woocommerce/client/admin/client/analytics/report/orders/table.js``: Date, Order #,
Status, Customer, Customer type, Payment method, Product(s), Items sold, Coupon(s), Net sales,
Attribution; downloaded in the browser by ``packages/js/csv-export``: comma-separated, no BOM, raw
values) and the e-mailed export of large reports
(``src/Admin/API/Reports/Orders/Controller.php::get_export_columns``: the same columns, ``Net
Sales`` capitalised, plus ``N. Revenue (formatted)``). The French labels (``Commande n°``,
``État``, ``Client``, ``Type de client``, ``Articles vendus``, ``Ventes nettes``) come from
WooCommerce's French documentation and ``shared/spec/exports.md``; ``Commande n°`` is not
verified against the translation files, so ``Commande #`` and ``N° de commande`` are accepted too.

Input shape: one row per order, plus one row per refund: the same ``Order #``, a negative ``Net
sales``. ``Date`` is the shop's local time without offset (``2025-03-31T20:31:10``); ``Status``
is the raw slug (``completed``, ``processing``, ``on-hold``, ``pending``, ``cancelled``,
``refunded``, ``failed``); ``Customer`` is a display name only.

Output table and mapping
------------------------
orders (one row per ``Order #``)
    * ``order_id`` = ``Order #``; ``ordered_at`` = ``Date`` of the order's row, read in the
      client's timezone (client.yml).
    * ``revenue`` = the order's ``Net sales`` plus its refund rows (negative): NET SALES, i.e.
      WITHOUT tax and shipping, after coupons and refunds. The data contract's revenue includes
      tax and shipping; this report does not give them, so revenue, average order value and ROAS
      are lower than the shop's totals (stated in the provenance). A refund row whose order is
      not in the export (refund of an older order) is left out and counted in the provenance.
    * ``status``: ``cancelled`` and ``refunded`` as they are; ``failed`` (payment failed: no sale)
      -> ``cancelled``; the others (``completed``, ``processing``, ``on-hold``, ``pending``,
      custom statuses) kept as written and counted as orders.
    * ``customer_id`` = keyed hash of the customer's display name (case and spacing ignored): the
      report has no customer id or e-mail, so two customers with the same name are one buyer, and
      a customer who changes name is two. A guest order without a name counts as a buyer of its own.
    * ``items`` = ``Items sold`` of the order's row.
    * Not written: customer type (the kit computes new vs returning itself), payment method,
      products, coupons, attribution. The customer name is only read to be hashed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._raw import Col, ImportContext, Parsed, header_first, ids, norm_label, read_export

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "detect", "read"]

NAME = "woocommerce"
TITLE = "WooCommerce Analytics orders report"
TABLE = "orders"

COLUMNS = {
    "date": Col(("Date",), ("Date",)),
    "order": Col(("Order #", "Order Number"), ("Commande n°", "Commande #", "N° de commande", "Numéro de commande")),
    "status": Col(("Status",), ("État", "Statut")),
    "customer": Col(("Customer",), ("Client",)),
    "items": Col(("Items sold",), ("Articles vendus",)),
    "net": Col(("Net sales",), ("Ventes nettes",)),
}
REQUIRED = ("date", "order", "status", "net")
DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
EXCLUDED = {"cancelled": "cancelled", "refunded": "refunded", "failed": "cancelled"}


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a WooCommerce Analytics orders report (its header row first)."""
    return header_first(path, COLUMNS, REQUIRED)


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the report at ``path`` into the orders table (see the module docstring)."""
    x = read_export(path, COLUMNS, required=REQUIRED, what=TITLE)
    order = x.text("order").astype("object")
    x.bad("order", order == "", "are empty", "the order number on every row")
    net = x.numbers("net", decimal="," if x.separator == ";" else ".", required=True)
    refund = net < 0
    main = ~refund
    x.bad("order", main & order.where(main).duplicated(), "appear on two order rows",
          "one row per order (refunds are the rows with negative net sales)")
    known = order.isin(set(order[main]))
    orphan = refund & ~known
    at = x.datetimes("date", DATE_FORMATS, timezone=ctx.timezone, expected="a date such as 2025-03-31T20:31:10")
    slug = x.text("status").str.lower().str.removeprefix("wc-").astype("object")
    items = x.numbers("items", decimal=".")
    x.bad("items", main & (items < 0), "are below 0 on an order row", "items sold >= 0 (refund rows may be negative)")
    revenue = net[~orphan].groupby(order[~orphan]).sum()
    customer = x.text("customer").astype("object").map(norm_label)
    who = ids(customer, "name", "order:" + order)
    rows = main.to_numpy().nonzero()[0]
    orders = pd.DataFrame({
        "order_id": order.iloc[rows].to_numpy(),
        "customer_id": ctx.pseudonymise(pd.Series(who.iloc[rows].to_numpy())).to_numpy(),
        "ordered_at": at.iloc[rows].reset_index(drop=True),
        "status": slug.iloc[rows].replace(EXCLUDED).to_numpy(),
        "items": pd.array(items.iloc[rows].round().to_numpy(), dtype="Int64"),
    })
    orders.insert(3, "revenue", np.round(np.clip(revenue.reindex(orders["order_id"]).to_numpy(), 0, None), 2))

    counts = orders["status"].value_counts()
    notes = [
        "revenue = Net sales of the order plus its refund rows: WITHOUT tax and shipping (the report does not "
        "give them), after coupons and refunds. The contract's revenue includes tax and shipping, so revenue, "
        "average order value and ROAS of this source are below the shop's totals.",
        f"{int((refund & known).sum()):,} refund row(s) deducted from their order ({float(-net[refund & known].sum()):,.2f}).",
        "status: cancelled and refunded as they are, failed -> cancelled (left out of every KPI); the others kept "
        "and counted: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".",
        "customer_id = keyed hash of the customer's display name (the report has no customer id): namesakes are "
        "one buyer; guest orders without a name count as buyers of their own.",
        "ordered_at = Date read in the client's timezone (the report writes the shop's local time).",
    ]
    dropped = {}
    if orphan.any():
        dropped["refund rows of orders not in this export"] = int(orphan.sum())
        notes.append(f"{int(orphan.sum()):,} refund row(s) of orders outside the export left out "
                     f"({float(-net[orphan].sum()):,.2f} of net sales).")
    return Parsed(NAME, TITLE, NAME, TABLE, orders, rows_read=len(x.data), language=x.language, dropped=dropped,
                  notes=notes)
