"""A sample client written as the raw exports of the agency's tools (``kpi sample DIR --as-exports``).

The client is generated as usual (same profile, seed and dates, so the same orders, spend and
posts as ``kpi sample``), then written the way each tool exports it, so that ``kpi import DIR/*
--into CLIENT`` rebuilds it and export -> import -> report runs end to end on sample data:

* orders: a Shopify orders export (``orders_export_1.csv``; the fashion shop) or a PrestaShop
  orders export in French (``order_<date>.csv``; the B2B shop). Each customer gets an invented
  identity (name, e-mail, address, phone: ``@exemple.fr`` addresses and numbers that reach nobody),
  which the import must pseudonymise or drop. Shopify orders are split into line items;
  ``paid`` / ``shipped`` / ``cancelled`` / ``refunded`` become Shopify's financial statuses
  (cancelled as voided with ``Cancelled at``) or PrestaShop's labels.
* ad spend of Google Ads campaigns: a campaign report by day in French, "CSV Excel" (UTF-16,
  tabs), with its title lines and total row; of Meta campaigns: a Meta Ads Manager report in
  French (Excel), with a Day breakdown. Bing, LinkedIn, Criteo, the comparison sites and the
  affiliates have no export format covered and are left out.
* posts: Meta Business Suite exports, Instagram in French and Facebook in English, one file up
  to 31 March 2025 (``Impressions``) and one from 1 April 2025 (``Views``), as downloaded before
  and after Instagram's change.

Sessions, carts and searches have no export here (web analytics exports are not covered).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .profiles import PROFILES

__all__ = ["generate_exports", "write_shopify_orders", "SHOPIFY_COLUMNS"]

#: The columns of Shopify's orders export, in its order.
SHOPIFY_COLUMNS: tuple[str, ...] = tuple((
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,"
    "Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,"
    "Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,"
    "Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,"
    "Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,"
    "Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,"
    "Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References").split(","))

FIRST = ("Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Alice", "Hugo", "Lucas",
         "Nathan", "Louis", "Jules", "Gabriel", "Arthur", "Paul", "Théo", "Raphaël")
LAST = ("Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon",
        "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet",
        "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André")
CITIES = (("Paris", "75011"), ("Lyon", "69003"), ("Marseille", "13006"), ("Lille", "59000"), ("Nantes", "44000"),
          ("Bordeaux", "33000"), ("Toulouse", "31000"), ("Rennes", "35000"))
STREETS = ("rue des Lilas", "avenue de la République", "boulevard Voltaire", "rue du Marché", "place de la Gare")
ITEMS = ("Robe lin", "Pull maille", "Chemise coton", "Jupe plissée", "Foulard soie", "Veste courte", "Pantalon large")
FR_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
NNBSP, NBSP = "\u202f", "\u00a0"
CHANGE = pd.Timestamp("2025-04-01")  # Instagram: Views instead of Impressions


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _people(customer_ids: pd.Series) -> pd.DataFrame:
    """An invented identity per customer id (deterministic): name, e-mail, street, city, zip, phone."""
    uniq = pd.Series(customer_ids.unique())
    n = uniq.map(lambda c: int(hashlib.sha256(str(c).encode()).hexdigest()[:8], 16)).to_numpy()
    first, last = np.array(FIRST)[n % len(FIRST)], np.array(LAST)[(n // 7) % len(LAST)]
    city = [CITIES[i % len(CITIES)] for i in n // 11]
    out = pd.DataFrame({
        "name": [f"{f} {la}" for f, la in zip(first, last)],
        "initial": [f"{f[0]}. {la}" for f, la in zip(first, last)],
        "email": [f"{_ascii(f).lower()}.{_ascii(la).lower()}.{i % 100000}@exemple.fr" for f, la, i in zip(first, last, n)],
        "street": [f"{i % 120 + 1} {STREETS[i % len(STREETS)]}" for i in n],
        "city": [c for c, _ in city], "zip": [f"'{z}" for _, z in city],
        "phone": [f"'+3361{i % 10**7:07d}" for i in n],
    }, index=uniq)
    return out.loc[customer_ids].reset_index(drop=True)


def _money(x: np.ndarray) -> list[str]:
    return [f"{v:.2f}" for v in x]


def _french(x, decimals: int = 2) -> list[str]:
    """Numbers as the French interfaces write them: 3 407,39 (U+202F between thousands)."""
    return [f"{v:,.{decimals}f}".replace(",", NNBSP).replace(".", ",") for v in x]


def _shop_time(ts: pd.Series, timezone: str) -> np.ndarray:
    """Instants as Shopify writes them: local time and offset, ``2025-03-31 20:31:10 +0200``."""
    utc = pd.to_datetime(ts, utc=True)
    wall = utc.dt.tz_convert(timezone).dt.tz_localize(None)
    text = pc.strftime(pa.array(wall.to_numpy().astype("datetime64[s]")), format="%Y-%m-%d %H:%M:%S")
    minutes = ((wall - utc.dt.tz_localize(None)).dt.total_seconds() // 60).astype(int).to_numpy()
    labels = {m: f" {'+' if m >= 0 else '-'}{abs(m) // 60:02d}{abs(m) % 60:02d}" for m in np.unique(minutes)}
    return np.char.add(np.asarray(text.to_pylist(), dtype=object).astype(str),
                       np.array([labels[m] for m in minutes], dtype=str)).astype(object)


def write_shopify_orders(orders: pd.DataFrame, path: Path, *, timezone: str, chunk: int = 100_000) -> int:
    """Write contract ``orders`` as Shopify's orders export (one row per line item); returns lines.

    Items are split into one to three line items whose prices add up to the order's subtotal to
    the cent (the last line has quantity 1); order-level fields are on each order's first line.
    Written ``chunk`` orders at a time (a million lines in bounded memory).
    """
    lines = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SHOPIFY_COLUMNS)
        for start in range(0, len(orders), chunk):
            cols = _shopify_lines(orders.iloc[start:start + chunk].reset_index(drop=True), timezone)
            writer.writerows(zip(*(cols[c] for c in SHOPIFY_COLUMNS)))
            lines += len(cols["Name"])
    return lines


def _shopify_lines(o: pd.DataFrame, timezone: str) -> dict[str, np.ndarray]:
    """The export's columns for the orders ``o``: one entry per line item."""
    items = o["items"].fillna(1).astype(int).clip(lower=1).to_numpy()
    h = o["order_id"].map(lambda s: int(hashlib.sha256(str(s).encode()).hexdigest()[:6], 16)).to_numpy()
    k = np.where(items == 1, 1, np.minimum(items, 2 + h % 2))
    row = np.repeat(np.arange(len(o)), k)
    j = np.arange(len(row)) - np.repeat(np.cumsum(k) - k, k)  # line number within its order
    first, last = j == 0, j == k[row] - 1
    others = np.maximum(k - 1, 1)[row]  # the lines before the last share items - 1
    share = (items[row] - 1) // others + (j < (items[row] - 1) % others)
    qty = np.where(k[row] == 1, items[row], np.where(last, 1, share))
    subtotal = np.rint((o["revenue"] - o["shipping"].fillna(0)).clip(lower=0).to_numpy() * 100).astype(np.int64)
    unit = (subtotal[row] * 6 // 10) // others // np.maximum(qty, 1)  # cents; 60 % of the subtotal at most
    before = pd.Series(np.where(last, 0, unit * qty)).groupby(row).transform("sum").to_numpy()
    unit = np.where(last, subtotal[row] - before, unit)  # the last line (quantity 1) takes the rest, to the cent
    created = _shop_time(o["ordered_at"], timezone)
    status = o["status"].to_numpy()
    financial = np.select([status == "cancelled", status == "refunded"], ["voided", "refunded"], "paid")
    who = _people(o["customer_id"])
    name = np.array(["#" + str(v) for v in o["order_id"]])
    cols = {c: np.full(len(row), "", dtype=object) for c in SHOPIFY_COLUMNS}
    every = {"Name": name[row], "Email": who["email"].to_numpy()[row], "Created at": created[row],
             "Lineitem quantity": qty.astype(str), "Lineitem name": np.array(ITEMS)[(h[row] + j) % len(ITEMS)],
             "Lineitem price": _money(unit / 100),
             "Lineitem requires shipping": np.full(len(row), "true"), "Lineitem taxable": np.full(len(row), "true"),
             "Vendor": np.full(len(row), "Maison Lune")}
    for c, v in every.items():
        cols[c] = np.asarray(v, dtype=object)
    f = np.flatnonzero(first)
    shipped = status == "shipped"
    order_level = {
        "Financial Status": financial, "Fulfillment Status": np.where(shipped, "fulfilled", "unfulfilled"),
        "Paid at": np.where(financial == "voided", "", created), "Accepts Marketing": np.full(len(o), "no"),
        "Currency": np.full(len(o), "EUR"), "Subtotal": _money(subtotal / 100), "Shipping": _money(o["shipping"]),
        "Taxes": _money(o["tax"]), "Total": _money(o["revenue"]), "Discount Amount": np.full(len(o), "0.00"),
        "Shipping Method": np.full(len(o), "Colissimo"),
        "Cancelled at": np.where(status == "cancelled",
                                 _shop_time(pd.to_datetime(o["ordered_at"]) + pd.Timedelta(hours=2), timezone), ""),
        "Refunded Amount": np.where(status == "refunded", _money(o["revenue"]), "0.00"),
        "Payment Method": np.full(len(o), "Shopify Payments"), "Id": (5_874_000_000 + np.arange(len(o))).astype(str),
        "Source": np.full(len(o), "web"), "Tax 1 Name": np.full(len(o), "TVA 20%"), "Tax 1 Value": _money(o["tax"]),
        "Billing Name": who["name"], "Billing Street": who["street"], "Billing Address1": who["street"],
        "Billing City": who["city"], "Billing Zip": who["zip"], "Billing Country": np.full(len(o), "FR"),
        "Billing Phone": who["phone"], "Shipping Name": who["name"], "Shipping Street": who["street"],
        "Shipping Address1": who["street"], "Shipping City": who["city"], "Shipping Zip": who["zip"],
        "Shipping Country": np.full(len(o), "FR"), "Shipping Phone": who["phone"],
    }
    for c, v in order_level.items():
        cols[c][f] = np.asarray(v, dtype=object)
    return cols


def _write_prestashop(orders: pd.DataFrame, path: Path, *, timezone: str) -> int:
    """The B2B shop's orders as PrestaShop's French export (``fputcsv``, ``;``, no BOM)."""
    o = orders.sort_values("ordered_at", kind="stable").reset_index(drop=True)
    who = _people(o["customer_id"])
    labels = {"paid": "Paiement accepté", "shipped": "Livré", "cancelled": "Annulé", "refunded": "Remboursé"}
    at = pd.to_datetime(o["ordered_at"], utc=True).dt.tz_convert(timezone).dt.strftime("%Y-%m-%d %H:%M:%S")
    refs = o["order_id"].map(lambda s: "".join(chr(65 + b % 26) for b in hashlib.sha256(str(s).encode()).digest()[:9]))
    rows = zip(o["order_id"].str.replace(r"\D", "", regex=True).astype(int), refs,
               (~o["customer_id"].duplicated()).astype(int), who["initial"],
               (t + NBSP + "€" for t in _french(o["revenue"])), o["status"].map(labels), at)
    buf = io.StringIO()
    buf.write('ID;Référence;"Nouveau client";Livraison;Client;Total;Paiement;État;Date\n')
    for oid, ref, new, customer, total, label, date in rows:
        buf.write(f'{oid};{ref};{new};France;"{customer}";{total};"Carte bancaire";"{label}";"{date}"\n')
    path.write_text(buf.getvalue(), encoding="utf-8")
    return len(o)


def _ad_platform(source: str, medium: str, campaign: str) -> tuple[str, str | None] | None:
    """(platform, campaign type) of a traffic row of the profiles, None for platforms not covered."""
    if source == "google" and medium == "cpc":
        return "google_ads", "Performance Max" if "pmax" in campaign.lower() else "Réseau de Recherche"
    if source == "google_shopping":
        return "google_ads", "Shopping"
    if source == "google" and medium == "display":
        return "google_ads", "Display"
    if source in ("instagram", "facebook") and medium == "paid_social":
        return "meta_ads", None
    return None


def _fr_day(d: dt.date) -> str:
    return f"{d.day} {FR_MONTHS[d.month - 1]} {d.year}"


def _write_google_ads(spend: pd.DataFrame, path: Path, start: dt.date, end: dt.date) -> int:
    """Google Ads campaign report by day, French interface, "CSV Excel" (UTF-16LE, tabs, CRLF)."""
    head = ["Jour", "Campagne", "État de la campagne", "Type de campagne", "Code de la devise", "Impr.", "Clics",
            "CTR", "CPC moy.", "Coût"]
    s = spend.sort_values(["date", "campaign"]).reset_index(drop=True)
    impr = s["impressions"].astype(float)
    clicks = s["clicks"].astype(float)
    lines = ["Rapport sur les campagnes", f"{_fr_day(start)} - {_fr_day(end)}", "\t".join(head)]
    ctr = [f"{c / i * 100:.2f}".replace(".", ",") + NBSP + "%" if i > 0 else "--" for c, i in zip(clicks, impr)]
    cpc = [f"{v / c:.2f}".replace(".", ",") if c > 0 else "--" for v, c in zip(s["spend"], clicks)]
    for r, i, c, t, p in zip(s.itertuples(), impr, clicks, ctr, cpc):
        lines.append("\t".join([str(r.date)[:10], r.campaign, "Activée", r.campaign_type, "EUR",
                                "--" if np.isnan(i) else _french([i], 0)[0], "--" if np.isnan(c) else _french([c], 0)[0],
                                t, p, _french([r.spend])[0]]))
    lines.append("\t".join(["Total : compte", "--", "--", "--", "EUR", _french([np.nansum(impr)], 0)[0],
                            _french([np.nansum(clicks)], 0)[0], "--", "--", _french([s["spend"].sum()])[0]]))
    path.write_bytes(codecs.BOM_UTF16_LE + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))
    return len(s)


def _write_meta_ads(spend: pd.DataFrame, path: Path, start: dt.date, end: dt.date) -> int:
    """Meta Ads Manager report, French, Excel, broken down by day."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Raw Data Report"
    ws.append(["Nom de la campagne", "Jour", "Début des rapports", "Fin des rapports", "Impressions",
               "Montant dépensé (EUR)", "Clics sur un lien"])
    for r in spend.sort_values(["date", "campaign"]).itertuples():
        ws.append([r.campaign, str(r.date)[:10], start.isoformat(), end.isoformat(),
                   None if pd.isna(r.impressions) else int(r.impressions), float(r.spend),
                   None if pd.isna(r.clicks) else int(r.clicks)])
    wb.properties.created = dt.datetime(2026, 11, 1)  # a fixed date: the same seed writes the same file
    wb.save(path)
    return len(spend)


def _write_posts(posts: pd.DataFrame, path: Path, *, platform: str, account: str, timezone: str, views: bool) -> int:
    """Meta Business Suite posts export: Instagram in French (DD/MM), Facebook in English (MM/DD)."""
    p = posts.sort_values("published_at").reset_index(drop=True)
    wall = pd.to_datetime(p["published_at"], utc=True).dt.tz_convert(timezone)
    metric = "views" if views else "impressions"
    count = {c: ["" if pd.isna(v) else int(v) for v in p[c]] for c in ("likes", "comments", "reach", "shares",
                                                                        "saves", metric)}
    slug = _ascii(account).lower().replace(" ", ".")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if platform == "instagram":
        def fr(v: object) -> str:
            return _french([v], 0)[0] if v != "" else ""

        w.writerow(["Identifiant de la publication", "Identifiant du compte", "Nom d’utilisateur du compte",
                    "Nom du compte", "Description", "Durée (s)", "Heure de publication", "Permalien",
                    "Type de publication", "Commentaire sur les données", "Date", "Vues" if views else "Impressions",
                    "Couverture", "J’aime", "Partages", "Suivis", "Commentaires", "Enregistrements"])
        kinds = {"reel": "IG reel", "image": "IG image", "carousel": "IG carousel"}
        for i, r in enumerate(p.itertuples()):
            w.writerow([r.post_id, "17841400000000001", slug, account, f"Publication du {wall[i]:%d/%m/%Y}", "0",
                        f"{wall[i]:%d/%m/%Y %H:%M}", f"https://www.instagram.com/p/{r.post_id[-11:]}/",
                        kinds.get(r.format, r.format), "", "Total", fr(count[metric][i]),
                        fr(count["reach"][i]), fr(count["likes"][i]), count["shares"][i], "",
                        count["comments"][i], count["saves"][i]])
    else:
        def en(v: object) -> str:
            return f"{v:,}" if v != "" else ""

        w.writerow(["Post ID", "Page ID", "Page name", "Title", "Description", "Duration (sec)", "Publish time",
                    "Permalink", "Post type", "Data comment", "Date", "Views" if views else "Impressions", "Reach",
                    "Reactions, Comments and Shares", "Reactions", "Comments", "Shares"])
        kinds = {"image": "Photos", "video": "Videos", "link": "Links", "carousel": "Albums"}
        for i, r in enumerate(p.itertuples()):
            total = sum(v for v in (count["likes"][i], count["comments"][i], count["shares"][i]) if v != "")
            w.writerow([r.post_id, "104512345678901", account, "", f"Post of {wall[i]:%m/%d/%Y}", "0",
                        f"{wall[i]:%m/%d/%Y %H:%M}", f"https://www.facebook.com/104512345678901/posts/{r.post_id[-8:]}",
                        kinds.get(r.format, r.format), "", "Lifetime", en(count[metric][i]), en(count["reach"][i]),
                        total, count["likes"][i], count["comments"][i], count["shares"][i]])
    path.write_bytes(codecs.BOM_UTF8 + buf.getvalue().encode("utf-8"))
    return len(p)


def generate_exports(out_dir: Path | str, *, profile: str = "fashion", sessions: int | None = None,
                     seed: int | None = None, start: str = "2025-01-01", end: str = "2026-10-31") -> dict[str, int]:
    """Write the sample client of ``profile`` as raw exports into ``out_dir`` (empty or new).

    Returns rows written per file name. The client is the one :func:`~kpi_helpers.sample.generate_client`
    writes with the same arguments; see the module docstring for each export.
    """
    from . import generate_client

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} is not an empty folder; choose a new or empty output folder")
    p = PROFILES[profile] if profile in PROFILES else None
    with tempfile.TemporaryDirectory(prefix="kpi-sample-") as tmp:
        generate_client(tmp, profile=profile, sessions=sessions, seed=seed, fmt="parquet", start=start, end=end)
        tables = {f.name.split(".")[0]: pd.read_parquet(f) for f in Path(tmp).glob("*.parquet")}
    tz, d0, d1 = p["timezone"], dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    if "orders" in tables:
        if p["site"] == "fashion":
            written["orders_export_1.csv"] = write_shopify_orders(tables["orders"], out / "orders_export_1.csv",
                                                                  timezone=tz)
        else:
            name = f"order_{d1:%Y-%m-%d}_235959.csv"
            written[name] = _write_prestashop(tables["orders"], out / name, timezone=tz)
    if "ad_spend" in tables:
        platform = {(r[0], r[3]): _ad_platform(r[1], r[2], r[3]) for r in p["traffic"]}
        spend = tables["ad_spend"]
        found = [platform.get((c, k)) for c, k in zip(spend["channel"], spend["campaign"])]
        spend = spend.assign(platform=[f[0] if f else None for f in found],
                             campaign_type=[f[1] if f else None for f in found])
        google, meta = spend[spend["platform"] == "google_ads"], spend[spend["platform"] == "meta_ads"]
        if len(google):
            written["Rapport_campagnes_Google_Ads.csv"] = _write_google_ads(google, out / "Rapport_campagnes_Google_Ads.csv",
                                                                            d0, d1)
        if len(meta):
            written["Meta_Ads_rapport_campagnes.xlsx"] = _write_meta_ads(meta, out / "Meta_Ads_rapport_campagnes.xlsx",
                                                                         d0, d1)
    if "social_posts" in tables:
        posts = tables["social_posts"]
        wall = pd.to_datetime(posts["published_at"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
        for platform in ("instagram", "facebook"):
            for later in (False, True):
                part = posts[(posts["platform"] == platform) & ((wall >= CHANGE) == later)]
                if len(part):
                    span = (f"{max(d0, CHANGE.date()):%Y-%m-%d}_{d1:%Y-%m-%d}" if later else
                            f"{d0:%Y-%m-%d}_{min(d1, (CHANGE - pd.Timedelta(days=1)).date()):%Y-%m-%d}")
                    name = f"{platform}_{'publications' if platform == 'instagram' else 'posts'}_{span}.csv"
                    written[name] = _write_posts(part, out / name, platform=platform, account=p["client_name"],
                                                 timezone=tz, views=later)
    return written
