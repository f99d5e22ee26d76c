"""Synthetic sample clients: a seeded generator of client folders that follow the data contract.

``generate_client(out_dir, profile="fashion")`` writes one client folder (``client.yml`` plus one
file per table) that a demanding analyst should find believable. The committed samples in
``data/sample/`` come from it (their commands are in ``data/sample/README.md``).

The model
---------
Everything is drawn from one ``numpy`` generator seeded by ``seed``, day by day in the client's
local calendar, so a folder is reproducible from (profile, sessions, seed, start, end) and does not
depend on the chunk size used to write it.

*Calendar.* A daily traffic weight is the product of a growth trend, a yearly curve (monthly anchors
interpolated daily), a weekday profile, French public holidays, the French sales (soldes: second
Wednesday of January and last Wednesday of June, four weeks each), Black Friday week, Christmas,
Mother's day, the back-to-school weeks (rentree), random press days and a little noise. Outage
days weigh 0. The requested number of sessions is spread over the days with a multinomial draw.

*Visitors and customers.* Each session is either a new visitor (a new cookie, whose device is drawn
from the profile's device mix) or a returning one, chosen by recency (visitors first seen in the last
week or two months) or among loyal long-term visitors. A share of returning sessions are customers
coming back (through the cookie of one of their devices). When a visitor without an account orders,
they become a new customer, or (with a profile probability) an existing customer on a second
device, so some customers have two visitor ids. Sessions carry ``customer_id`` when the visitor is
logged in. Per-visitor and per-customer state lives in small numpy arrays, so visitors and
customers stay consistent across output chunks.

*Time of day.* Hours follow per-device weekday/weekend curves (evening mobile for fashion, office
hours for B2B). Local wall-clock times are converted to instants with the client's timezone: times
in the spring-forward gap are moved one hour later; times in the repeated autumn hour get a random
fold (so naive local timestamps in that hour are ambiguous, as in real exports).

*Acquisition.* The channel is drawn from the profile's mix, modulated by device, by new vs
returning visitor and by the day (newsletter send days, paid budgets during sales and Black Friday,
press days). Within a channel a traffic row gives the raw ``source``/``medium``/``campaign``
(``google/organic``, ``google/cpc``, ``idealo/comparateur``, ``(direct)/(none)``,
``instagram/social``, ``newsletter/email``...), with campaigns active only in their season.

*Landing page and pageviews.* The landing page type depends on the channel (comparators land on
product pages, direct traffic on the home page...), the product on popularity times a seasonal
curve. A session is single-page with a probability that depends on channel, landing type and device
(paid and social traffic landing on a product page bounces most).

*Carts and orders.* A cart is created with a probability that depends on device, channel, campaign,
returning/customer status and the day. Its value is the sum of its items (catalogue prices, minus
the day's discount); the shipping fee follows the profile's thresholds (free above a value). The
cart becomes an order with probability ``1 - abandonment``, where abandonment rises with the fee
and is higher on mobile. Orders are placed a few minutes after the session starts; revenue is cart
value plus shipping, VAT 20 % included. Status depends on the order's age at export (``paid`` then
``shipped``) with some ``cancelled`` and ``refunded``. Some orders have no session (phone orders,
showroom). The display channel never leads to an order.

*Searches, ad spend, social posts.* Internal searches come from a French vocabulary with
capitalisation, spacing, accent and typo variants, zero-result queries and unknown result counts.
Ad spend is computed per day x channel x campaign from the paid sessions of that campaign (clicks
are sessions divided by a cookie-consent rate, spend is clicks x CPC, impressions x CPM for display,
or a commission on revenue for affiliates). Social posts follow a posting schedule with follower
growth, format-dependent reach and engagement; Instagram stopped reporting impressions (replaced by
views) on 2025-04-01.

Profiles
--------
:data:`PROFILES` maps a profile name to its parameters (a plain dict, documented in
:data:`PROFILE_KEYS`): ``fashion`` (Maison Lune, a French fashion e-shop), ``b2b_office`` (Bureau
Direct, B2B office supplies) and ``social_only`` (Atelier Brume, Instagram and Facebook posts only).

Scale
-----
The generator is vectorised per day and writes Parquet in chunks of ``chunk_sessions`` sessions
with :class:`pyarrow.parquet.ParquetWriter` (CSV is appended chunk by chunk), so 10M sessions fit
in bounded memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import math
import os
import sys
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["PROFILES", "PROFILE_KEYS", "FORMATS", "generate_client", "main"]

#: File formats a client folder can be written in (one file per table: ``<table>.<format>``).
FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet", "xlsx")

CHANNELS = ("organic_search", "paid_search", "direct", "referral", "price_comparator",
            "organic_social", "paid_social", "email", "affiliate", "display")
DEVICES = ("desktop", "mobile", "tablet")
LANDING_TYPES = ("home", "product", "category", "blog", "search", "promo", "account")
STATUSES = ("paid", "shipped", "cancelled", "refunded")
_CH = {c: i for i, c in enumerate(CHANNELS)}
_XLSX_MAX_ROWS = 1_048_575
_VAT = 0.20

# ----------------------------------------------------------------------------------------------
# Catalogues (fixed per profile: the same site whatever the seed)

# fashion product types: slug, label, category slug, base price, season, allowed materials, popularity
_FASHION_TYPES = [
    ("robe", "Robe", "femme/robes", 55, "ete", "lin coton viscose soie coton-bio", 3.0),
    ("chemise", "Chemise", "femme/chemises-blouses", 42, "all", "lin coton soie coton-bio", 1.5),
    ("blouse", "Blouse", "femme/chemises-blouses", 39, "all", "viscose soie coton", 1.5),
    ("pantalon", "Pantalon", "femme/pantalons", 49, "all", "lin velours laine coton", 1.8),
    ("jean", "Jean", "femme/jeans", 59, "all", "denim", 1.6),
    ("jupe", "Jupe", "femme/jupes", 42, "ete", "lin velours viscose denim", 1.3),
    ("pull", "Pull", "femme/pulls-gilets", 49, "hiver", "laine cachemire maille coton-bio", 2.2),
    ("gilet", "Gilet", "femme/pulls-gilets", 49, "hiver", "laine cachemire maille", 1.2),
    ("t-shirt", "T-shirt", "femme/t-shirts-tops", 22, "ete", "coton coton-bio lin", 2.6),
    ("top", "Top", "femme/t-shirts-tops", 25, "ete", "viscose lin soie", 1.8),
    ("manteau", "Manteau", "femme/manteaux-vestes", 129, "hiver", "laine cachemire", 0.9),
    ("veste", "Veste", "femme/manteaux-vestes", 85, "mi", "lin velours denim laine", 0.9),
    ("trench", "Trench", "femme/manteaux-vestes", 109, "mi", "coton", 0.6),
    ("short", "Short", "femme/shorts", 32, "ete", "lin coton denim", 1.0),
    ("combinaison", "Combinaison", "femme/combinaisons", 59, "ete", "lin viscose", 0.7),
    ("echarpe", "Écharpe", "accessoires/echarpes-foulards", 29, "hiver", "laine cachemire", 1.2),
    ("foulard", "Foulard", "accessoires/echarpes-foulards", 22, "all", "soie viscose", 0.9),
    ("bonnet", "Bonnet", "accessoires/bonnets", 22, "hiver", "laine cachemire maille", 0.9),
    ("sac", "Sac", "accessoires/sacs", 69, "all", "cuir coton", 0.8),
    ("ceinture", "Ceinture", "accessoires/ceintures", 25, "all", "cuir", 0.6),
    ("bottines", "Bottines", "chaussures/bottines", 99, "hiver", "cuir", 0.6),
    ("sandales", "Sandales", "chaussures/sandales", 55, "ete", "cuir", 0.6),
    ("baskets", "Baskets", "chaussures/baskets", 75, "all", "cuir coton", 0.7),
]
_FASHION_MATERIALS = {
    "lin": ("en lin", 1.1), "coton": ("en coton", 0.95), "coton-bio": ("en coton bio", 1.05),
    "laine": ("en laine", 1.15), "cachemire": ("en cachemire", 1.9), "soie": ("en soie", 1.45),
    "velours": ("en velours", 1.05), "denim": ("en denim", 1.0), "maille": ("en maille", 1.0),
    "cuir": ("en cuir", 1.25), "viscose": ("en viscose", 0.9),
}
_FASHION_COLORS = [
    ("ecru", "écru"), ("noir", "noir"), ("blanc", "blanc"), ("bleu-marine", "bleu marine"),
    ("camel", "camel"), ("kaki", "kaki"), ("rose-poudre", "rose poudré"), ("bordeaux", "bordeaux"),
    ("vert-sauge", "vert sauge"), ("terracotta", "terracotta"), ("gris-chine", "gris chiné"),
    ("rouille", "rouille"),
]
_FASHION_CATEGORIES = {
    "femme/robes": "Robes femme", "femme/chemises-blouses": "Chemises et blouses",
    "femme/pantalons": "Pantalons femme", "femme/jeans": "Jeans femme", "femme/jupes": "Jupes",
    "femme/pulls-gilets": "Pulls et gilets", "femme/t-shirts-tops": "T-shirts et tops",
    "femme/manteaux-vestes": "Manteaux et vestes", "femme/shorts": "Shorts",
    "femme/combinaisons": "Combinaisons", "accessoires/echarpes-foulards": "Écharpes et foulards",
    "accessoires/bonnets": "Bonnets", "accessoires/sacs": "Sacs", "accessoires/ceintures": "Ceintures",
    "chaussures/bottines": "Bottines", "chaussures/sandales": "Sandales", "chaussures/baskets": "Baskets",
}
_FASHION_BLOG = [
    ("/blog/comment-entretenir-le-lin", "Comment entretenir le lin ? Nos conseils"),
    ("/blog/laver-un-pull-en-cachemire", "Laver un pull en cachemire sans l'abîmer"),
    ("/blog/capsule-garde-robe-automne", "Notre capsule garde-robe pour l'automne"),
    ("/blog/tendances-printemps-ete", "Les tendances printemps-été à adopter"),
    ("/blog/guide-des-tailles", "Guide des tailles : trouver la bonne coupe"),
    ("/blog/idees-cadeaux-noel", "Idées cadeaux de Noël pour elle"),
    ("/blog/mode-ethique-nos-engagements", "Mode éthique : nos engagements"),
    ("/blog/bien-choisir-son-jean", "Bien choisir son jean selon sa morphologie"),
    ("/blog/look-de-mariage-invitee", "Quel look pour une invitée de mariage ?"),
    ("/blog/couleurs-de-la-saison", "Les couleurs de la saison"),
]

# B2B products: slug, title, category, price incl. VAT, quantity profile, popularity
_B2B_PRODUCTS = [
    ("ramette-papier-a4-80g", "Ramette papier A4 80 g – 500 feuilles", "papier", 5.39, "paper", 30),
    ("ramette-papier-a4-90g", "Ramette papier A4 90 g – 500 feuilles", "papier", 7.49, "paper", 6),
    ("ramette-papier-a3-80g", "Ramette papier A3 80 g – 500 feuilles", "papier", 11.90, "pack", 3),
    ("papier-recycle-a4-80g", "Papier recyclé A4 80 g – 500 feuilles", "papier", 6.29, "paper", 8),
    ("carton-5-ramettes-a4-80g", "Carton de 5 ramettes A4 80 g", "papier", 24.90, "bulk", 14),
    ("papier-couleur-a4-assortiment", "Papier couleur A4 assortiment pastel", "papier", 9.90, "pack", 2),
    ("cartouche-hp-302-noir", "Cartouche HP 302 noir", "encre-toner", 16.90, "pack", 12),
    ("cartouche-hp-302-couleur", "Cartouche HP 302 trois couleurs", "encre-toner", 21.90, "pack", 8),
    ("cartouche-hp-302xl-noir", "Cartouche HP 302XL noir grande capacité", "encre-toner", 39.90, "pack", 7),
    ("cartouche-hp-305-noir", "Cartouche HP 305 noir", "encre-toner", 14.90, "pack", 6),
    ("cartouche-hp-305xl-couleur", "Cartouche HP 305XL couleur", "encre-toner", 32.90, "pack", 4),
    ("cartouche-canon-pg-540", "Cartouche Canon PG-540 noir", "encre-toner", 22.90, "pack", 4),
    ("cartouche-epson-603xl", "Cartouche Epson 603XL noir", "encre-toner", 19.90, "pack", 4),
    ("toner-brother-tn-2420", "Toner Brother TN-2420 noir", "encre-toner", 89.90, "single", 6),
    ("toner-brother-tn-2410", "Toner Brother TN-2410 noir", "encre-toner", 59.90, "single", 3),
    ("toner-hp-59a", "Toner HP 59A noir (CF259A)", "encre-toner", 119.90, "single", 3),
    ("toner-hp-26x", "Toner HP 26X noir haute capacité", "encre-toner", 189.90, "single", 2),
    ("stylo-bille-bic-cristal-bleu-boite-50", "Stylo bille BIC Cristal bleu – boîte de 50", "ecriture", 14.90, "pack", 8),
    ("stylo-bille-bic-cristal-noir-boite-50", "Stylo bille BIC Cristal noir – boîte de 50", "ecriture", 14.90, "pack", 4),
    ("stylo-gel-pilot-g2-noir-x12", "Stylo gel Pilot G2 noir – lot de 12", "ecriture", 19.90, "pack", 4),
    ("surligneur-stabilo-boss-x4", "Surligneurs Stabilo Boss – pochette de 4", "ecriture", 6.90, "bulk", 6),
    ("feutres-tableau-blanc-x4", "Feutres pour tableau blanc – assortiment de 4", "ecriture", 7.90, "bulk", 4),
    ("crayons-papier-hb-x12", "Crayons à papier HB – boîte de 12", "ecriture", 4.90, "bulk", 3),
    ("classeur-a-levier-dos-80-mm", "Classeur à levier dos 80 mm", "classement", 3.49, "bulk", 9),
    ("classeurs-a-levier-lot-10", "Classeurs à levier dos 80 mm – lot de 10", "classement", 29.90, "pack", 4),
    ("pochettes-perforees-x100", "Pochettes perforées A4 – paquet de 100", "classement", 4.90, "bulk", 7),
    ("intercalaires-a4-12-positions", "Intercalaires A4 12 positions", "classement", 2.90, "bulk", 3),
    ("boites-archives-dos-10-cm-x10", "Boîtes archives dos 10 cm – lot de 10", "classement", 19.90, "pack", 4),
    ("chemises-cartonnees-x100", "Chemises cartonnées – paquet de 100", "classement", 17.90, "pack", 3),
    ("agrafeuse-electrique-rapid-5050e", "Agrafeuse électrique Rapid 5050e", "petit-materiel", 189.00, "single", 2),
    ("agrafeuse-de-bureau", "Agrafeuse de bureau 25 feuilles", "petit-materiel", 12.90, "pack", 4),
    ("agrafes-24-6-x5000", "Agrafes 24/6 – boîte de 5000", "petit-materiel", 3.90, "bulk", 5),
    ("perforatrice-2-trous", "Perforatrice 2 trous 30 feuilles", "petit-materiel", 14.90, "pack", 2),
    ("ciseaux-21-cm", "Ciseaux de bureau 21 cm", "petit-materiel", 4.90, "pack", 2),
    ("ruban-adhesif-x8", "Ruban adhésif transparent – lot de 8", "petit-materiel", 7.90, "bulk", 4),
    ("post-it-76x76-jaune-x12", "Notes Post-it 76 x 76 jaunes – 12 blocs", "petit-materiel", 18.90, "pack", 7),
    ("trombones-x1000", "Trombones 32 mm – boîte de 1000", "petit-materiel", 4.50, "bulk", 2),
    ("calculatrice-de-bureau-casio", "Calculatrice de bureau Casio 12 chiffres", "petit-materiel", 24.90, "pack", 2),
    ("etiquettes-dymo-12mm", "Ruban d'étiquettes Dymo D1 12 mm", "petit-materiel", 17.90, "pack", 3),
    ("plastifieuse-a4", "Plastifieuse A4", "petit-materiel", 69.90, "single", 1),
    ("destructeur-de-documents", "Destructeur de documents coupe croisée", "petit-materiel", 149.00, "single", 1),
    ("enveloppes-c5-blanches-x500", "Enveloppes C5 blanches – boîte de 500", "papier", 34.90, "pack", 4),
    ("enveloppes-dl-fenetre-x500", "Enveloppes DL à fenêtre – boîte de 500", "papier", 27.90, "pack", 4),
    ("cahier-a4-96-pages", "Cahier A4 96 pages grands carreaux", "papier", 2.90, "bulk", 3),
    ("chaise-de-bureau-ergonomique", "Chaise de bureau ergonomique", "mobilier", 249.00, "furniture", 3),
    ("fauteuil-de-direction-cuir", "Fauteuil de direction en cuir", "mobilier", 399.00, "furniture", 1),
    ("bureau-droit-160-cm", "Bureau droit 160 cm", "mobilier", 329.00, "furniture", 1),
    ("caisson-3-tiroirs", "Caisson mobile 3 tiroirs", "mobilier", 179.00, "furniture", 1),
    ("lampe-de-bureau-led", "Lampe de bureau LED", "mobilier", 39.90, "pack", 2),
    ("tableau-blanc-90x120", "Tableau blanc magnétique 90 x 120 cm", "mobilier", 119.00, "single", 1),
    ("gel-hydroalcoolique-500ml", "Gel hydroalcoolique 500 ml", "hygiene-pause", 5.90, "bulk", 2),
    ("essuie-mains-x20", "Essuie-mains en rouleau – colis de 20", "hygiene-pause", 39.90, "pack", 2),
    ("gobelets-carton-x50", "Gobelets en carton 20 cl – lot de 50", "hygiene-pause", 4.90, "bulk", 2),
    ("cafe-en-grains-1kg", "Café en grains 1 kg", "hygiene-pause", 18.90, "pack", 3),
]
_B2B_CATEGORIES = {
    "papier": "Papier, ramettes et enveloppes", "encre-toner": "Cartouches d'encre et toners",
    "ecriture": "Stylos et écriture", "classement": "Classement et archivage",
    "petit-materiel": "Petit matériel de bureau", "mobilier": "Mobilier de bureau",
    "hygiene-pause": "Hygiène et pause café",
}
_B2B_BLOG = [
    ("/conseils/choisir-sa-cartouche-d-encre", "Comment choisir sa cartouche d'encre"),
    ("/conseils/grammage-papier", "Grammage du papier : 80 g ou 90 g ?"),
    ("/conseils/fauteuil-ergonomique-comment-choisir", "Fauteuil ergonomique : comment bien choisir"),
    ("/conseils/archivage-duree-conservation", "Archivage : durées de conservation des documents"),
    ("/conseils/reduire-ses-couts-d-impression", "Réduire ses coûts d'impression au bureau"),
]
_QTY_PROFILES = {  # items per order line: values, probabilities
    "single": ((1, 2), (0.9, 0.1)),
    "pack": ((1, 2, 3, 5, 10), (0.45, 0.25, 0.12, 0.12, 0.06)),
    "bulk": ((1, 2, 5, 10, 20), (0.25, 0.2, 0.3, 0.18, 0.07)),
    "paper": ((1, 2, 5, 10, 20, 50), (0.2, 0.15, 0.3, 0.2, 0.1, 0.05)),
    "furniture": ((1, 2, 4, 6), (0.8, 0.12, 0.05, 0.03)),
}

# Search vocabularies: canonical query, results count (0 = not sold / no synonym), popularity
_FASHION_QUERIES = [
    ("robe", 148, 40), ("robe lin", 23, 22), ("robe longue", 31, 12), ("robe noire", 27, 9),
    ("robe de soirée", 12, 6), ("pull", 64, 20), ("pull cachemire", 9, 9), ("pull col roulé", 14, 7),
    ("gilet", 22, 8), ("cardigan", 18, 5), ("jean", 25, 12), ("jean taille haute", 8, 5),
    ("pantalon", 41, 12), ("pantalon velours", 11, 6), ("pantalon lin", 9, 6), ("jupe", 28, 9),
    ("jupe midi", 12, 5), ("chemise", 33, 9), ("chemise lin", 8, 5), ("blouse", 19, 6),
    ("t-shirt", 37, 9), ("tee shirt", 0, 3), ("manteau", 21, 12), ("manteau laine", 7, 6),
    ("trench", 5, 5), ("doudoune", 0, 5), ("veste", 24, 8), ("blazer", 9, 5), ("écharpe", 14, 10),
    ("bonnet", 11, 6), ("sac", 19, 8), ("sac cuir", 6, 5), ("ceinture", 8, 4), ("bottines", 10, 7),
    ("baskets", 12, 6), ("sandales", 9, 6), ("maillot de bain", 0, 6), ("costume homme", 0, 2),
    ("robe de mariée", 0, 2), ("soldes", 0, 4), ("carte cadeau", 1, 3), ("lin", 46, 5),
    ("cachemire", 12, 4), ("combinaison", 7, 4), ("short", 10, 5), ("débardeur", 0, 3),
    ("grande taille", 0, 3), ("foulard soie", 5, 3), ("velours côtelé", 6, 2),
]
_B2B_QUERIES = [
    ("ramette papier a4", 24, 25), ("papier a4", 31, 20), ("ramette a4 80g", 12, 10),
    ("cartouche hp 302", 6, 22), ("cartouche hp 305", 5, 10), ("302xl", 2, 5),
    ("cartouche canon pg-540", 3, 5), ("toner brother tn-2420", 4, 8), ("tn2420", 0, 3),
    ("toner", 112, 10), ("agrafeuse", 15, 8), ("agrafeuse électrique", 4, 5), ("agrafes 24/6", 7, 5),
    ("stylo bille", 38, 10), ("stylo bic", 14, 8), ("surligneur", 16, 7), ("post-it", 21, 9),
    ("classeur", 45, 12), ("classeur levier", 12, 6), ("pochette plastique", 9, 5),
    ("enveloppe", 33, 8), ("enveloppes c5", 6, 4), ("chaise de bureau", 17, 8),
    ("fauteuil ergonomique", 6, 5), ("lampe de bureau", 8, 3), ("calculatrice", 11, 4),
    ("étiquettes", 26, 6), ("étiquettes dymo", 7, 4), ("cahier", 19, 4), ("trombones", 6, 3),
    ("ciseaux", 9, 3), ("scotch", 0, 5), ("ruban adhésif", 12, 3), ("imprimante", 0, 6),
    ("cafetière", 0, 3), ("masque ffp2", 0, 3), ("gel hydroalcoolique", 3, 2),
    ("tableau blanc", 8, 3), ("marqueur tableau blanc", 11, 3), ("destructeur de documents", 5, 2),
    ("plastifieuse", 4, 2), ("papier toilette", 0, 2), ("café", 4, 3), ("boîte archive", 6, 3),
]

# ----------------------------------------------------------------------------------------------
# Traffic rows: channel, source, medium, campaign, weight in channel, activity, conversion factor,
# cost model (None for unpaid rows). "{newsletter}" is replaced by the day's newsletter campaign.


def _cpc(cpc: float, ctr: float, impressions: bool = True) -> dict:
    """A cost-per-click model: spend = clicks x cpc; impressions = clicks / ctr (if reported)."""
    return {"model": "cpc", "cpc": cpc, "ctr": ctr, "impressions": impressions}


_FASHION_TRAFFIC = [
    ("organic_search", "google", "organic", "(organic)", 90, "always", 1.0, None),
    ("organic_search", "bing", "organic", "(organic)", 6, "always", 1.0, None),
    ("organic_search", "qwant", "organic", "(organic)", 2, "always", 1.0, None),
    ("organic_search", "ecosia", "organic", "(organic)", 1, "always", 1.0, None),
    ("organic_search", "duckduckgo", "organic", "(organic)", 1, "always", 1.0, None),
    ("paid_search", "google", "cpc", "FR_Search_Marque", 25, "always", 2.4, _cpc(0.18, 0.22)),
    ("paid_search", "google", "cpc", "FR_Search_Generique_Robes", 16, "not_winter", 0.75, _cpc(0.62, 0.035)),
    ("paid_search", "google", "cpc", "FR_Search_Generique_Mailles", 16, "winter", 0.75, _cpc(0.58, 0.035)),
    ("paid_search", "google", "cpc", "FR_PMax_Catalogue", 30, "always", 1.1, _cpc(0.42, 0.012)),
    ("paid_search", "google", "cpc", "FR_Search_Soldes", 40, "soldes", 1.3, _cpc(0.51, 0.05)),
    ("paid_search", "google", "cpc", "FR_Search_BlackFriday", 60, "black_friday_week", 1.4, _cpc(0.74, 0.06)),
    ("paid_search", "bing", "cpc", "FR_Bing_Marque", 4, "always", 2.0, _cpc(0.15, 0.2)),
    ("paid_search", "bing", "cpc", "FR_Bing_Generique", 3, "always", 0.7, _cpc(0.35, 0.03)),
    ("direct", "(direct)", "(none)", "(direct)", 1, "always", 1.0, None),
    ("referral", "elle.fr", "referral", "(referral)", 25, "always", 0.8, None),
    ("referral", "madmoizelle.com", "referral", "(referral)", 20, "always", 0.8, None),
    ("referral", "wedressfair.fr", "referral", "(referral)", 20, "always", 1.1, None),
    ("referral", "lyst.fr", "referral", "(referral)", 15, "always", 0.9, None),
    ("referral", "vogue.fr", "referral", "(referral)", 10, "always", 0.6, None),
    ("referral", "marieclaire.fr", "referral", "(referral)", 10, "always", 0.6, None),
    ("price_comparator", "google_shopping", "comparateur", "flux_google_shopping", 60, "always", 1.0, _cpc(0.30, 0.015)),
    ("price_comparator", "idealo", "comparateur", "flux_idealo", 15, "always", 1.0, _cpc(0.35, 0.02, False)),
    ("price_comparator", "kelkoo", "comparateur", "flux_kelkoo", 10, "always", 0.8, _cpc(0.32, 0.02, False)),
    ("price_comparator", "leguide", "comparateur", "flux_leguide", 10, "always", 0.8, _cpc(0.30, 0.02, False)),
    ("price_comparator", "ledenicheur", "comparateur", "flux_ledenicheur", 5, "always", 0.9, _cpc(0.33, 0.02, False)),
    ("organic_social", "instagram", "social", "lien_bio", 35, "always", 1.0, None),
    ("organic_social", "instagram", "social", "(not set)", 25, "always", 1.0, None),
    ("organic_social", "facebook", "social", "(not set)", 18, "always", 1.0, None),
    ("organic_social", "pinterest", "social", "(not set)", 17, "always", 1.0, None),
    ("organic_social", "tiktok", "social", "(not set)", 5, "always", 0.6, None),
    ("paid_social", "instagram", "paid_social", "FR_Meta_Prospection", 26, "always", 0.5, _cpc(0.55, 0.011)),
    ("paid_social", "facebook", "paid_social", "FR_Meta_Prospection", 14, "always", 0.5, _cpc(0.55, 0.011)),
    ("paid_social", "instagram", "paid_social", "FR_Meta_Retargeting_DPA", 20, "always", 1.8, _cpc(0.35, 0.018)),
    ("paid_social", "facebook", "paid_social", "FR_Meta_Retargeting_DPA", 12, "always", 1.8, _cpc(0.35, 0.018)),
    ("paid_social", "instagram", "paid_social", "FR_Meta_Soldes", 40, "soldes", 1.0, _cpc(0.48, 0.014)),
    ("paid_social", "instagram", "paid_social", "FR_Meta_BlackFriday", 60, "black_friday_week", 1.1, _cpc(0.66, 0.015)),
    ("paid_social", "instagram", "paid_social", "FR_Meta_Fete_des_meres", 30, "fete_des_meres", 0.9, _cpc(0.52, 0.013)),
    ("email", "newsletter", "email", "{newsletter}", 75, "always", 1.0, None),
    ("email", "brevo", "email", "relance_panier", 12, "always", 2.8, None),
    ("email", "brevo", "email", "bienvenue", 8, "always", 1.2, None),
    ("email", "brevo", "email", "anniversaire", 5, "always", 1.5, None),
    ("affiliate", "awin", "affiliate", "igraal", 35, "always", 1.0, {"model": "commission", "rate": 0.08}),
    ("affiliate", "awin", "affiliate", "poulpeo", 20, "always", 1.0, {"model": "commission", "rate": 0.08}),
    ("affiliate", "awin", "affiliate", "ma-reduc", 25, "always", 1.0, {"model": "commission", "rate": 0.08}),
    ("affiliate", "awin", "affiliate", "widilo", 20, "always", 1.0, {"model": "commission", "rate": 0.08}),
    ("display", "criteo", "display", "retargeting_visiteurs", 60, "always", 1.0, {"model": "cpm", "cpm": 2.0, "ctr": 0.003}),
    ("display", "google", "display", "GDN_Prospection", 40, "always", 1.0, {"model": "cpm", "cpm": 1.2, "ctr": 0.0015}),
]

_B2B_TRAFFIC = [
    ("organic_search", "google", "organic", "(organic)", 88, "always", 1.0, None),
    ("organic_search", "bing", "organic", "(organic)", 9, "always", 1.0, None),
    ("organic_search", "qwant", "organic", "(organic)", 2, "always", 1.0, None),
    ("organic_search", "ecosia", "organic", "(organic)", 1, "always", 1.0, None),
    ("paid_search", "google", "cpc", "Search_Marque", 20, "always", 2.2, _cpc(0.25, 0.2)),
    ("paid_search", "google", "cpc", "Search_Consommables_Encre", 25, "always", 1.2, _cpc(0.55, 0.045)),
    ("paid_search", "google", "cpc", "Search_Papier", 15, "always", 1.0, _cpc(0.48, 0.04)),
    ("paid_search", "google", "cpc", "Search_Mobilier", 10, "always", 0.6, _cpc(1.10, 0.03)),
    ("paid_search", "google", "cpc", "PMax_Catalogue", 25, "always", 1.0, _cpc(0.38, 0.012)),
    ("paid_search", "google", "cpc", "Search_Rentree", 30, "rentree", 1.1, _cpc(0.52, 0.04)),
    ("paid_search", "bing", "cpc", "Bing_Marque", 6, "always", 2.0, _cpc(0.20, 0.18)),
    ("paid_search", "bing", "cpc", "Bing_Generique", 6, "always", 0.9, _cpc(0.40, 0.03)),
    ("direct", "(direct)", "(none)", "(direct)", 1, "always", 1.0, None),
    ("referral", "pagesjaunes.fr", "referral", "(referral)", 30, "always", 1.0, None),
    ("referral", "societe.com", "referral", "(referral)", 15, "always", 0.7, None),
    ("referral", "manageo.fr", "referral", "(referral)", 10, "always", 0.7, None),
    ("referral", "cci.fr", "referral", "(referral)", 15, "always", 0.8, None),
    ("referral", "lesechos.fr", "referral", "(referral)", 10, "always", 0.5, None),
    ("referral", "capterra.fr", "referral", "(referral)", 20, "always", 0.6, None),
    ("price_comparator", "idealo", "comparateur", "flux_idealo", 30, "always", 1.0, _cpc(0.32, 0.02, False)),
    ("price_comparator", "ledenicheur", "comparateur", "flux_ledenicheur", 20, "always", 1.0, _cpc(0.30, 0.02, False)),
    ("price_comparator", "kelkoo", "comparateur", "flux_kelkoo", 15, "always", 0.9, _cpc(0.28, 0.02, False)),
    ("price_comparator", "leguide", "comparateur", "flux_leguide", 10, "always", 0.8, _cpc(0.27, 0.02, False)),
    ("price_comparator", "google_shopping", "comparateur", "flux_google_shopping", 25, "always", 1.1, _cpc(0.35, 0.014)),
    ("organic_social", "linkedin", "social", "(not set)", 70, "always", 1.0, None),
    ("organic_social", "facebook", "social", "(not set)", 30, "always", 1.0, None),
    ("paid_social", "linkedin", "cpc", "LinkedIn_Decideurs_Achats", 60, "always", 0.6, _cpc(2.80, 0.006)),
    ("paid_social", "facebook", "paid_social", "Meta_Retargeting", 40, "always", 1.3, _cpc(0.60, 0.012)),
    ("email", "newsletter", "email", "{newsletter}", 60, "always", 1.0, None),
    ("email", "crm", "email", "reassort_consommables", 25, "always", 2.5, None),
    ("email", "crm", "email", "relance_devis", 15, "always", 1.5, None),
    ("affiliate", "effinity", "affiliate", "bons-plans-pro", 100, "always", 1.0, {"model": "commission", "rate": 0.05}),
    ("display", "criteo", "display", "retargeting_pro", 100, "always", 1.0, {"model": "cpm", "cpm": 2.4, "ctr": 0.0025}),
]

# ----------------------------------------------------------------------------------------------
# Profiles

#: What each key of a profile means. Social profiles use only the keys marked (all).
PROFILE_KEYS: dict[str, str] = {
    "description": "(all) one line describing the client",
    "kind": "(all) 'web' (sessions, orders, carts, searches, ad_spend, maybe social_posts) or 'social'",
    "client_name": "(all) the name written to client.yml and used in page titles",
    "default_sessions": "(all) sessions when generate_client gets sessions=None (None for social)",
    "default_seed": "(all) seed when generate_client gets seed=None (the committed sample's)",
    "default_format": "(all) file format when generate_client gets fmt=None",
    "timestamp_style": "(all) in text formats, 'naive' local times ('2025-03-30 03:45:00') or 'offset' "
                       "ISO 8601 with the UTC offset ('2025-03-30T03:45:00+02:00'); Parquet always "
                       "stores UTC instants, xlsx stores naive local times as date cells",
    "timezone": "(all) the client's IANA timezone (client.yml and local calendar)",
    "client_yml": "(all) extra client.yml settings: margin_rate, product_page_pattern",
    "social": "(all) per platform: followers at start, yearly growth, posts per weekday, format mix, "
              "reel_growth (yearly growth of the reel share); None for no social_posts table",
    "site": "which catalogue, pages, search vocabulary and id formats: 'fashion' or 'b2b'",
    "ids": "id formats: 'fashion' (numeric session ids, hex visitor ids, 7-digit zero-padded "
           "customer ids) or 'b2b' (10-digit session ids, GA-style visitor ids, C000123, CMD-0000123)",
    "columns": "optional session columns written: channel, platform, bounced (True/False each)",
    "growth_per_year": "traffic trend (0.25 = +25 % a year)",
    "month_factors": "traffic per month, January..December (anchors at mid-month, interpolated daily)",
    "weekday_factors": "traffic Monday..Sunday",
    "events": "traffic multipliers for holiday, bridge, soldes_open (first 3 days), soldes_week1, soldes, "
              "black_friday_day, black_friday_week, cyber_monday, christmas (Dec 1-20), christmas_eve, "
              "christmas_day, new_year, fete_des_meres, rentree, year_end_break; press_days (number of "
              "random days with a press mention), noise (sd of the daily lognormal noise)",
    "hours": "per device, (weekday, weekend) weights of the hour of the session start, 24 each",
    "device_mix": "(weekday, weekend) desktop, mobile, tablet shares of new visitors",
    "app_share": "share of new mobile/tablet visitors using the app (platform 'app')",
    "returning_share": "share of sessions from returning visitors (reached after a 45-day ramp-up)",
    "customer_return_share": "share of returning sessions that are existing customers coming back",
    "second_device_share": "share of first orders on a new cookie that belong to an existing customer",
    "channel_mix": "base channel weights",
    "channel_device": "per device, channel weight multipliers",
    "channel_returning": "channel weight multipliers for returning visitors",
    "newsletter": "send weekdays (0 = Monday), campaign name template and rotating themes",
    "traffic": "rows (channel, source, medium, campaign, weight in channel, activity flag, conversion "
               "factor, cost model): cost models are cpc (cpc, ctr), cpm (cpm, ctr) and commission (rate)",
    "landing": "per channel, the shares of landing page types home, product, category, blog, search, "
               "promo, account",
    "single_page": "per channel, probability of a one-page visit landing on a product page (other page "
                   "types scale it)",
    "pageviews_mean": "per device, mean pageviews of multi-page visits",
    "cart_rate": "base probability that a session creates a cart",
    "cart_device": "per device, multiplier of cart_rate",
    "cart_channel": "per channel, multiplier of cart_rate (times the traffic row's conversion factor)",
    "cart_returning": "multiplier of cart_rate for returning visitors",
    "cart_customer": "multiplier of cart_rate for customers coming back",
    "cart_app": "multiplier of cart_rate in the app",
    "abandon_base": "cart abandonment probability with free shipping",
    "abandon_per_eur": "added abandonment probability per euro of shipping fee",
    "abandon_device": "per device, multiplier of the abandonment probability",
    "order_channel": "per channel, multiplier of the cart-to-order probability (display: 0)",
    "shipping": "(cart value threshold, fee) pairs: a cart pays the fee of the largest threshold below its value",
    "shipping_alt": "(fee, share) of paying carts that chose home delivery, or None",
    "free_shipping_nudge": "(window, probability): carts this close below the free-shipping threshold "
                           "get one more cheap item with this probability, or None",
    "basket": "per device, mean extra lines per cart (lines = 1 + Poisson)",
    "discounts": "average discount on item prices per calendar flag (soldes, black_friday_week...)",
    "free_shipping_days": "calendar flags with free shipping for every cart",
    "status": "shares of cancelled and refunded orders (refunds only after 12 days); the others are "
              "'paid' until shipped 1 to 3.5 days later (0.4 % of back-orders stay 'paid'), then 'shipped'",
    "offline_share": "share of orders placed without a session (phone, showroom)",
    "offline_days": "weekdays with offline orders (0 = Monday)",
    "offline_hours": "local opening hours of the offline channel (from, to)",
    "offline_existing": "share of offline orders from existing customers",
    "login": "probability that the session carries customer_id: 'order' (sessions with an order), "
             "'visit' (other sessions of known customers)",
    "search_rate": "share of sessions with an internal search (x1.6 for sessions with a cart)",
    "queries": "(canonical query, results count, popularity): variants are derived from each",
    "results_unknown_before": "local date before which results_count was not tracked, or None",
    "results_unknown_rate": "share of searches whose results_count is unknown (logging failures)",
    "consent_rate": "share of ad clicks that appear as sessions (cookie consent)",
    "outages": "local dates with no traffic at all (site down)",
}

_HOURS_FASHION = {
    "desktop": ([8, 4, 2, 1, 1, 2, 6, 14, 30, 45, 52, 55, 55, 58, 52, 50, 48, 45, 46, 52, 58, 55, 38, 20],
                [10, 5, 3, 1, 1, 1, 3, 6, 12, 22, 32, 38, 40, 40, 38, 38, 38, 40, 42, 46, 50, 46, 34, 18]),
    "mobile": ([22, 12, 6, 3, 2, 3, 8, 20, 30, 34, 38, 42, 55, 58, 45, 40, 42, 48, 58, 72, 88, 100, 80, 45],
               [30, 18, 9, 4, 2, 2, 4, 9, 18, 30, 42, 50, 56, 56, 52, 50, 50, 54, 60, 74, 90, 98, 78, 48]),
    "tablet": ([10, 5, 2, 1, 1, 2, 4, 10, 18, 24, 28, 30, 34, 34, 30, 30, 32, 36, 44, 58, 72, 74, 52, 25],
               [12, 6, 3, 1, 1, 1, 3, 8, 20, 34, 40, 40, 38, 36, 34, 34, 36, 40, 48, 60, 72, 70, 50, 26]),
}
_HOURS_B2B = {
    "desktop": ([1, .5, .3, .3, .3, 1, 4, 14, 45, 80, 90, 85, 55, 50, 78, 85, 80, 62, 35, 18, 12, 9, 6, 3],
                [3, 1, 1, 1, 1, 1, 2, 5, 12, 20, 24, 24, 18, 16, 18, 20, 18, 16, 14, 14, 14, 12, 8, 4]),
    "mobile": ([3, 1, 1, 1, 1, 2, 10, 25, 40, 45, 45, 42, 40, 38, 40, 42, 40, 36, 30, 26, 24, 20, 12, 6],
               [4, 2, 1, 1, 1, 1, 3, 8, 16, 24, 28, 28, 26, 24, 24, 26, 26, 24, 24, 24, 22, 18, 12, 6]),
    "tablet": ([2, 1, 1, 1, 1, 1, 4, 12, 30, 40, 42, 40, 34, 32, 38, 40, 36, 30, 24, 20, 18, 14, 8, 4],
               [3, 1, 1, 1, 1, 1, 2, 6, 14, 20, 24, 24, 20, 18, 20, 20, 20, 20, 20, 20, 18, 14, 8, 4]),
}

# Landing type shares per channel, in LANDING_TYPES order: home, product, category, blog, search, promo, account
_LANDING_FASHION = {
    "organic_search": [.16, .34, .30, .17, .01, .01, .01], "paid_search": [.30, .45, .20, 0, 0, .05, 0],
    "direct": [.66, .12, .08, .01, 0, .05, .08], "referral": [.35, .30, .10, .25, 0, 0, 0],
    "price_comparator": [0, 1, 0, 0, 0, 0, 0], "organic_social": [.22, .45, .15, .12, 0, .06, 0],
    "paid_social": [.05, .70, .15, 0, 0, .10, 0], "email": [.18, .30, .22, .05, 0, .20, .05],
    "affiliate": [.45, .25, .15, 0, 0, .15, 0], "display": [.25, .55, .15, 0, 0, .05, 0],
}
_LANDING_B2B = {
    "organic_search": [.12, .42, .30, .14, .01, .01, 0], "paid_search": [.25, .50, .23, 0, 0, .02, 0],
    "direct": [.55, .10, .08, 0, 0, .04, .23], "referral": [.60, .15, .15, .10, 0, 0, 0],
    "price_comparator": [0, 1, 0, 0, 0, 0, 0], "organic_social": [.30, .20, .10, .40, 0, 0, 0],
    "paid_social": [.35, .35, .30, 0, 0, 0, 0], "email": [.20, .30, .15, .05, 0, .20, .10],
    "affiliate": [.50, .30, .20, 0, 0, 0, 0], "display": [.40, .40, .20, 0, 0, 0, 0],
}
# one-page probability for a session landing on a product page, per channel
_SINGLE_FASHION = {"organic_search": .48, "paid_search": .52, "direct": .30, "referral": .55,
                   "price_comparator": .55, "organic_social": .68, "paid_social": .72, "email": .38,
                   "affiliate": .40, "display": .80}
_SINGLE_B2B = {"organic_search": .40, "paid_search": .42, "direct": .22, "referral": .45,
               "price_comparator": .50, "organic_social": .60, "paid_social": .65, "email": .30,
               "affiliate": .40, "display": .75}

PROFILES: dict[str, dict[str, Any]] = {
    "fashion": {
        "description": "French fashion e-shop: mobile heavy, Instagram, soldes and Black Friday, AOV ~70 EUR",
        "kind": "web", "client_name": "Maison Lune", "site": "fashion",
        "default_sessions": 50_000, "default_seed": 47, "default_format": "csv.gz",
        "timestamp_style": "naive", "timezone": "Europe/Paris",
        "client_yml": {"margin_rate": 0.45},
        "columns": {"channel": True, "platform": True, "bounced": False},
        "ids": "fashion",
        "growth_per_year": 0.25,
        "month_factors": [1.05, 0.82, 0.92, 0.98, 1.02, 0.95, 0.98, 0.80, 0.95, 1.00, 1.12, 1.20],
        "weekday_factors": [1.04, 1.00, 0.99, 0.97, 0.93, 0.92, 1.15],
        "events": {"holiday": 0.9, "soldes_open": 1.9, "soldes_week1": 1.45, "soldes": 1.15,
                   "black_friday_day": 2.8, "black_friday_week": 1.5, "cyber_monday": 1.8,
                   "christmas": 1.15, "christmas_eve": 0.7, "christmas_day": 0.6, "new_year": 0.75,
                   "fete_des_meres": 1.12, "rentree": 1.0, "year_end_break": 1.0, "bridge": 1.0,
                   "press_days": 3, "noise": 0.08},
        "hours": _HOURS_FASHION,
        "device_mix": ([0.26, 0.68, 0.06], [0.20, 0.74, 0.06]),
        "app_share": 0.06,
        "returning_share": 0.36, "customer_return_share": 0.12, "second_device_share": 0.10,
        "channel_mix": {"organic_search": .26, "paid_search": .14, "direct": .15, "referral": .03,
                        "price_comparator": .03, "organic_social": .12, "paid_social": .11,
                        "email": .09, "affiliate": .03, "display": .04},
        "channel_device": {"desktop": {"price_comparator": 1.6, "paid_search": 1.15, "organic_social": .45,
                                       "paid_social": .5, "email": 1.1},
                           "mobile": {"organic_social": 1.3, "paid_social": 1.25, "price_comparator": .7,
                                      "display": .85},
                           "tablet": {}},
        "channel_returning": {"direct": 1.9, "email": 2.6, "organic_search": .85, "paid_search": .8,
                              "price_comparator": .6, "organic_social": .8, "paid_social": .55,
                              "affiliate": 1.1, "referral": .7, "display": 1.3},
        "newsletter": {"weekdays": (1, 4), "name": "nl_{date:%Y%m%d}_{theme}",
                       "themes": ("nouveautes", "selection", "edito", "conseils")},
        "traffic": _FASHION_TRAFFIC,
        "landing": _LANDING_FASHION, "single_page": _SINGLE_FASHION,
        "pageviews_mean": {"desktop": 5.2, "mobile": 3.8, "tablet": 4.6},
        "cart_rate": 0.05, "cart_device": {"desktop": 1.25, "mobile": 0.85, "tablet": 1.0},
        "cart_channel": {"organic_search": 1.0, "paid_search": 1.1, "direct": 1.35, "referral": .8,
                         "price_comparator": 1.2, "organic_social": .5, "paid_social": .6,
                         "email": 1.6, "affiliate": 1.5, "display": .25},
        "cart_returning": 1.25, "cart_customer": 1.7, "cart_app": 1.6,
        "abandon_base": 0.64, "abandon_per_eur": 0.025,
        "abandon_device": {"desktop": 0.9, "mobile": 1.08, "tablet": 1.0},
        "order_channel": {"display": 0.0},
        "shipping": [(0.0, 4.90), (60.0, 0.0)], "shipping_alt": (6.90, 0.35),
        "free_shipping_nudge": (15.0, 0.3),
        "basket": {"desktop": 0.38, "mobile": 0.2, "tablet": 0.3},
        "discounts": {"soldes": 0.30, "soldes_late": 0.40, "black_friday_week": 0.25},
        "free_shipping_days": ("black_friday_week",),
        "status": {"cancelled": 0.025, "refunded": 0.06},
        "offline_share": 0.012, "offline_days": (3, 4, 5), "offline_hours": (11, 19),
        "offline_existing": 0.4,
        "login": {"order": 0.72, "visit": 0.35},
        "search_rate": 0.085, "queries": _FASHION_QUERIES,
        "results_unknown_before": "2025-02-15", "results_unknown_rate": 0.012,
        "consent_rate": 0.68,
        "outages": ("2025-06-12",),
        "social": {"instagram": {"followers": 42_000, "growth": 0.30, "rate": (.8, .7, .9, .7, .8, .5, .4),
                                 "formats": {"image": .32, "carousel": .36, "reel": .32},
                                 "reel_growth": 0.25},
                   "facebook": {"followers": 12_500, "growth": 0.02, "rate": (.5, .4, .5, .4, .5, .2, .1),
                                "formats": {"image": .45, "link": .25, "video": .18, "carousel": .12}}},
    },
    "b2b_office": {
        "description": "B2B office supplies: desktop, weekdays, August dip, AOV ~250 EUR, loyal customers",
        "kind": "web", "client_name": "Bureau Direct", "site": "b2b",
        "default_sessions": 25_000, "default_seed": 12, "default_format": "parquet",
        "timestamp_style": "offset", "timezone": "Europe/Paris",
        "client_yml": {"margin_rate": 0.30, "product_page_pattern": "^/p/"},
        "columns": {"channel": False, "platform": False, "bounced": True},
        "ids": "b2b",
        "growth_per_year": 0.08,
        "month_factors": [1.10, 1.05, 1.05, 0.98, 0.95, 0.98, 0.85, 0.50, 1.15, 1.05, 1.05, 0.88],
        "weekday_factors": [1.18, 1.20, 1.15, 1.12, 0.92, 0.22, 0.17],
        "events": {"holiday": 0.3, "soldes_open": 1.0, "soldes_week1": 1.0, "soldes": 1.0,
                   "black_friday_day": 1.3, "black_friday_week": 1.1, "cyber_monday": 1.1,
                   "christmas": 1.0, "christmas_eve": 0.35, "christmas_day": 0.3, "new_year": 0.4,
                   "fete_des_meres": 1.0, "rentree": 1.3, "year_end_break": 0.45, "bridge": 0.6,
                   "press_days": 0, "noise": 0.07},
        "hours": _HOURS_B2B,
        "device_mix": ([0.72, 0.24, 0.04], [0.45, 0.49, 0.06]),
        "app_share": 0.0,
        "returning_share": 0.52, "customer_return_share": 0.35, "second_device_share": 0.15,
        "channel_mix": {"organic_search": .29, "paid_search": .22, "direct": .19, "referral": .04,
                        "price_comparator": .10, "organic_social": .01, "paid_social": .02,
                        "email": .08, "affiliate": .01, "display": .04},
        "channel_device": {"desktop": {"price_comparator": 1.1},
                           "mobile": {"organic_social": 2.0, "paid_social": 1.6, "price_comparator": .6},
                           "tablet": {}},
        "channel_returning": {"direct": 1.8, "email": 2.2, "organic_search": .85, "paid_search": .8,
                              "price_comparator": .7, "organic_social": .8, "paid_social": .6,
                              "affiliate": 1.0, "referral": .6, "display": 1.3},
        "newsletter": {"weekdays": (1,), "name": "NL-{date:%Y-%m-%d}-{theme}",
                       "themes": ("promos-du-mois", "nouveautes", "conseils", "destockage")},
        "traffic": _B2B_TRAFFIC,
        "landing": _LANDING_B2B, "single_page": _SINGLE_B2B,
        "pageviews_mean": {"desktop": 6.5, "mobile": 4.2, "tablet": 5.0},
        "cart_rate": 0.055, "cart_device": {"desktop": 1.15, "mobile": 0.6, "tablet": 0.8},
        "cart_channel": {"organic_search": 1.0, "paid_search": 1.15, "direct": 1.4, "referral": .7,
                         "price_comparator": 1.0, "organic_social": .4, "paid_social": .5,
                         "email": 1.6, "affiliate": 1.1, "display": .3},
        "cart_returning": 1.2, "cart_customer": 1.8, "cart_app": 1.0,
        "abandon_base": 0.56, "abandon_per_eur": 0.016,
        "abandon_device": {"desktop": 0.92, "mobile": 1.15, "tablet": 1.05},
        "order_channel": {"display": 0.0},
        "shipping": [(0.0, 12.90), (90.0, 6.90), (180.0, 0.0)], "shipping_alt": None,
        "free_shipping_nudge": None,
        "basket": {"desktop": 2.3, "mobile": 1.3, "tablet": 1.6},
        "discounts": {"black_friday_week": 0.10},
        "free_shipping_days": (),
        "status": {"cancelled": 0.015, "refunded": 0.02},
        "offline_share": 0.05, "offline_days": (0, 1, 2, 3, 4), "offline_hours": (8.5, 18),
        "offline_existing": 0.85,
        "login": {"order": 0.97, "visit": 0.75},
        "search_rate": 0.21, "queries": _B2B_QUERIES,
        "results_unknown_before": None, "results_unknown_rate": 0.02,
        "consent_rate": 0.74,
        "outages": ("2025-11-05",),
        "social": None,
    },
    "social_only": {
        "description": "A ceramics and candles brand with only Instagram and Facebook posts",
        "kind": "social", "client_name": "Atelier Brume",
        "default_sessions": None, "default_seed": 3, "default_format": "xlsx",
        "timestamp_style": "offset", "timezone": "Europe/Paris",
        "client_yml": {"margin_rate": 0.6},
        "social": {"instagram": {"followers": 8_600, "growth": 0.45, "rate": (.6, .5, .7, .5, .7, .35, .25),
                                 "formats": {"image": .38, "carousel": .34, "reel": .28},
                                 "reel_growth": 0.3},
                   "facebook": {"followers": 2_100, "growth": 0.05, "rate": (.25, .2, .3, .2, .3, .1, .05),
                                "formats": {"image": .55, "link": .15, "video": .15, "carousel": .15}}},
    },
}

_TABLE_ORDER = ("sessions", "orders", "carts", "searches", "ad_spend", "social_posts")

# ----------------------------------------------------------------------------------------------
# Small vectorised helpers


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``weights`` (n x k, rows need not be normalised)."""
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cdf[:, -1]
    return np.minimum((u[:, None] >= cdf).sum(axis=1), weights.shape[1] - 1)


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


def _nb(rng: np.random.Generator, mean: np.ndarray | float, size: int, shape: float = 1.3) -> np.ndarray:
    """Negative binomial counts with the given mean (overdispersed, for pageviews)."""
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    return rng.negative_binomial(shape, shape / (shape + mean), size=size)


def _wall_to_utc(wall: np.ndarray, fold: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds (as if UTC) to UTC seconds; gap times move one hour later."""
    if len(wall) == 0:
        return wall.astype(np.int64)
    idx = pd.DatetimeIndex(wall.astype("datetime64[s]"))
    loc = idx.tz_localize(tz, ambiguous=~fold.astype(bool), nonexistent=pd.Timedelta(hours=1))
    return loc.as_unit("s").asi8


def _utc_to_wall(utc: np.ndarray, tz: str) -> np.ndarray:
    """UTC seconds to local wall-clock seconds."""
    if len(utc) == 0:
        return utc.astype(np.int64)
    idx = pd.DatetimeIndex(utc.astype("datetime64[s]")).tz_localize("UTC").tz_convert(tz)
    return idx.tz_localize(None).as_unit("s").asi8


def _strip_accents(text: str) -> str:
    """``text`` without its combining marks (accents)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# ----------------------------------------------------------------------------------------------
# Calendar


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """n-th (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _french_calendar(year: int) -> dict[str, Any]:
    """Key dates of a French commercial year."""
    easter = _easter(year)
    holidays = {dt.date(year, m, d) for m, d in ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))}
    holidays |= {easter + dt.timedelta(days=n) for n in (1, 39, 50)}
    mothers = _nth_weekday(year, 5, 6, -1)
    if mothers == easter + dt.timedelta(days=49):
        mothers += dt.timedelta(days=7)
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    # Code de commerce: second Wednesday of January (the first if the second is after the 12th),
    # last Wednesday of June (the one before if the last is after the 28th); four weeks each.
    winter = _nth_weekday(year, 1, 2, 2)
    if winter.day > 12:
        winter -= dt.timedelta(days=7)
    summer = _nth_weekday(year, 6, 2, -1)
    if summer.day > 28:
        summer -= dt.timedelta(days=7)
    return {
        "holidays": holidays,
        "bridges": {easter + dt.timedelta(days=40)},  # Friday after Ascension
        "soldes_winter": winter,
        "soldes_summer": summer,
        "black_friday": thanksgiving + dt.timedelta(days=1),
        "mothers_day": mothers,
    }


class _Calendar:
    """Per-day arrays of a profile over [start, end]: traffic weights, flags, multipliers."""

    def __init__(self, profile: dict, start: dt.date, end: dt.date, rng: np.random.Generator):
        n = (end - start).days + 1
        self.start, self.end, self.n = start, end, n
        self.dates = [start + dt.timedelta(days=i) for i in range(n)]
        self.dow = np.array([d.weekday() for d in self.dates])
        self.month = np.array([d.month for d in self.dates])
        years = range(start.year - 1, end.year + 2)
        cal = {y: _french_calendar(y) for y in years}
        f = {k: np.zeros(n, bool) for k in (
            "holiday", "bridge", "soldes", "soldes_open", "soldes_week1", "soldes_late", "black_friday_day",
            "black_friday_week", "cyber_monday", "christmas", "christmas_eve", "christmas_day", "new_year",
            "fete_des_meres", "rentree", "year_end_break", "winter", "outage")}
        for i, d in enumerate(self.dates):
            c = cal[d.year]
            f["holiday"][i] = d in c["holidays"]
            f["bridge"][i] = d in c["bridges"]
            for s in (c["soldes_winter"], c["soldes_summer"]):
                k = (d - s).days
                if 0 <= k < 28:
                    f["soldes"][i] = True
                    f["soldes_open"][i] = k < 3
                    f["soldes_week1"][i] = 3 <= k < 7
                    f["soldes_late"][i] = k >= 14
            k = (d - c["black_friday"]).days
            f["black_friday_day"][i] = k == 0
            f["cyber_monday"][i] = k == 3
            f["black_friday_week"][i] = -4 <= k <= 3
            f["christmas"][i] = d.month == 12 and 1 <= d.day <= 20 and not -4 <= k <= 3
            f["christmas_eve"][i] = (d.month, d.day) in ((12, 24), (12, 31))
            f["christmas_day"][i] = (d.month, d.day) == (12, 25)
            f["new_year"][i] = (d.month, d.day) == (1, 1)
            f["fete_des_meres"][i] = 0 < (c["mothers_day"] - d).days <= 10
            f["rentree"][i] = (d.month == 8 and d.day >= 21) or (d.month == 9 and d.day <= 15)
            f["year_end_break"][i] = (d.month == 12 and d.day >= 22) or (d.month == 1 and d.day <= 2)
            f["winter"][i] = d.month in (10, 11, 12, 1, 2)
        for o in profile.get("outages", ()):
            od = dt.date.fromisoformat(o)
            if start <= od <= end:
                f["outage"][(od - start).days] = True
        f["not_winter"] = ~f["winter"]
        f["always"] = np.ones(n, bool)
        self.flags = f
        if profile["kind"] == "web":
            self._traffic(profile, rng)

    def _traffic(self, p: dict, rng: np.random.Generator) -> None:
        """Daily traffic weights, channel multipliers, cart multipliers, discounts, newsletters, forced cases."""
        n, f, ev = self.n, self.flags, p["events"]
        doy = np.array([d.timetuple().tm_yday for d in self.dates], float)
        anchors_x = np.array([dt.date(2001, m, 15).timetuple().tm_yday for m in range(1, 13)], float)
        ax = np.concatenate([anchors_x - 365, anchors_x, anchors_x + 365])
        ay = np.tile(np.array(p["month_factors"], float), 3)
        w = np.interp(doy, ax, ay)
        years = np.arange(n) / 365.25
        w *= (1 + p["growth_per_year"]) ** years
        w *= np.array(p["weekday_factors"])[self.dow]
        for key in ("holiday", "bridge", "soldes_open", "soldes_week1", "black_friday_week", "christmas",
                    "christmas_eve", "christmas_day", "new_year", "fete_des_meres", "rentree", "year_end_break"):
            w[f[key]] *= ev[key]
        w[f["soldes"] & ~f["soldes_open"] & ~f["soldes_week1"]] *= ev["soldes"]
        w[f["black_friday_day"]] *= ev["black_friday_day"] / ev["black_friday_week"]
        w[f["cyber_monday"]] *= ev["cyber_monday"] / ev["black_friday_week"]
        w *= rng.lognormal(0.0, ev["noise"], n)
        self.press = np.zeros(n, bool)
        if ev["press_days"]:
            self.press[rng.choice(n, size=min(ev["press_days"], n), replace=False)] = True
            w[self.press] *= 1.35
        w[f["outage"]] = 0.0
        self.weights = w
        # channel multipliers per day
        cm = np.ones((n, len(CHANNELS)))
        send = np.isin(self.dow, p["newsletter"]["weekdays"]) | f["soldes_open"] | f["black_friday_day"]
        since = np.full(n, 99)
        last = -99
        for i in range(n):
            if send[i]:
                last = i
            since[i] = i - last
        cm[:, _CH["email"]] = np.select([since == 0, since == 1, since == 2], [2.6, 1.35, 0.9], 0.5)
        promo = f["soldes"] | f["black_friday_week"]
        cm[promo, _CH["paid_search"]] *= 1.4
        cm[f["black_friday_week"], _CH["paid_search"]] *= 1.3
        cm[promo | f["christmas"] | f["fete_des_meres"], _CH["paid_social"]] *= 1.5
        cm[promo, _CH["affiliate"]] *= 1.8
        cm[promo, _CH["display"]] *= 1.4
        cm[f["christmas"], _CH["price_comparator"]] *= 1.2
        cm[f["rentree"], _CH["paid_search"]] *= 1.3
        cm[:, _CH["organic_social"]] *= 1 + 0.3 * years
        cm[self.press, _CH["referral"]] *= 10
        self.channel_mult = cm
        self.cart_mult = np.ones(n)
        self.cart_mult[f["soldes_open"] | f["soldes_week1"]] = 1.35 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["soldes"] & ~(f["soldes_open"] | f["soldes_week1"])] = 1.15 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["black_friday_week"]] = 1.3 if p["site"] == "fashion" else 1.15
        self.cart_mult[f["black_friday_day"]] = 1.7 if p["site"] == "fashion" else 1.25
        self.cart_mult[f["christmas"]] *= 1.15 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["rentree"]] *= 1.15 if p["site"] == "b2b" else 1.0
        disc = np.zeros(n)
        for key, rate in p["discounts"].items():
            disc[f[key]] = rate
        self.discount = disc
        self.free_shipping = np.zeros(n, bool)
        for key in p["free_shipping_days"]:
            self.free_shipping |= f[key]
        # newsletter campaign of each day: the last send on or before it
        nl = p["newsletter"]
        names = []
        last_send = None
        for i, d in enumerate(self.dates):
            if send[i] or last_send is None:
                s = d
                if not send[i]:
                    while s.weekday() not in nl["weekdays"]:
                        s -= dt.timedelta(days=1)
                j = (s - self.start).days
                flag = (lambda k: 0 <= j < n and f[k][j])
                theme = ("soldes" if flag("soldes") else "black-friday" if flag("black_friday_week") else
                         "noel" if flag("christmas") else "rentree" if flag("rentree") else
                         "fete-des-meres" if p["site"] == "fashion" and flag("fete_des_meres") else
                         nl["themes"][s.isocalendar()[1] % len(nl["themes"])])
                if p["site"] == "fashion" and theme == "black-friday":
                    theme = "black_friday"
                last_send = nl["name"].format(date=s, theme=theme)
            names.append(last_send)
        self.newsletter = names
        # deliberate timezone cases: (wall seconds of day, fold, force an order, order delay range in s)
        self.forced: dict[int, list[tuple[int, int, bool, tuple[int, int]]]] = {}
        for i, d in enumerate(self.dates):
            cases = []
            if (d + dt.timedelta(days=1)).day == 1 and i + 1 < n and not f["outage"][i + 1]:
                before = 23 * 3600 + 25 * 60 + int(rng.integers(0, 600))  # ordered before midnight
                cases.append((before, 0, True, (300, 86400 - before - 60)))
                across = 23 * 3600 + 50 * 60 + int(rng.integers(0, 420))  # ordered after midnight
                cases.append((across, 0, True, (86400 - across + 60, 86400 - across + 900)))
            if d.day == 1 and i > 0:
                cases.append((int(rng.integers(60, 1500)), 0, True, (300, 1200)))
            tz_dst = _dst_change(d, p["timezone"])
            if tz_dst == "spring":
                cases += [(1 * 3600 + 50 * 60 + int(rng.integers(0, 540)), 0, True, (600, 1200)),
                          (3 * 3600 + int(rng.integers(0, 1800)), 0, False, (0, 0)),
                          (1 * 3600 + int(rng.integers(0, 1800)), 0, False, (0, 0))]
            elif tz_dst == "autumn":
                cases += [(2 * 3600 + int(rng.integers(0, 1800)), 0, True, (900, 1800)),
                          (2 * 3600 + 1800 + int(rng.integers(0, 1700)), 1, True, (600, 1200)),
                          (1 * 3600 + 50 * 60 + int(rng.integers(0, 540)), 0, False, (0, 0))]
            if cases and not f["outage"][i]:
                self.forced[i] = cases


def _dst_change(day: dt.date, tz: str) -> str | None:
    """'spring' or 'autumn' when the UTC offset changes during ``day`` in ``tz``."""
    import zoneinfo

    z = zoneinfo.ZoneInfo(tz)
    a = dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=z).utcoffset()
    b = dt.datetime(day.year, day.month, day.day, 23, 30, tzinfo=z).utcoffset()
    if a == b:
        return None
    return "spring" if b > a else "autumn"


# ----------------------------------------------------------------------------------------------
# Site: pages, products, queries, traffic rows


class _Site:
    """The fixed catalogue of a profile: pages, products, search vocabulary, traffic rows."""

    def __init__(self, profile: dict):
        crng = np.random.default_rng(20250101 if profile["site"] == "fashion" else 20250202)
        brand = profile["client_name"]
        paths: list[str] = []
        titles: list[str] = []

        def add(path: str, title: str) -> int:
            """Register a page; returns its code."""
            paths.append(path)
            titles.append(f"{title} | {brand}")
            return len(paths) - 1

        if profile["site"] == "fashion":
            self.home = add("/", "Mode femme intemporelle et responsable")
            products = []
            seen = set()
            while len(products) < 420:
                t = _FASHION_TYPES[int(crng.integers(len(_FASHION_TYPES)))]  # (uniform over types)
                mats = t[5].split()
                m = mats[int(crng.integers(len(mats)))]
                c = _FASHION_COLORS[int(crng.integers(len(_FASHION_COLORS)))]
                if (t[0], m, c[0]) in seen:
                    continue
                seen.add((t[0], m, c[0]))
                num = 101 + len(products) * 2 + int(crng.integers(0, 2))
                price = t[3] * _FASHION_MATERIALS[m][1] * crng.uniform(0.78, 1.08)
                price = (round(price / 5) * 5 - 0.1) if price < 45 else (round(price / 10) * 10 - 1)
                products.append((f"/produits/{t[0]}-{m}-{c[0]}-{num}",
                                 f"{t[1]} {_FASHION_MATERIALS[m][0]} {c[1]}", t[2], price, "single",
                                 t[6] * float(crng.lognormal(0, 1.0)), t[4]))
            cats = _FASHION_CATEGORIES
            blog = _FASHION_BLOG
            self.search = add("/recherche", "Résultats de recherche")
            self.account = [add("/mon-compte", "Mon compte"), add("/mon-compte/commandes", "Mes commandes")]
            self.promo = {"default": add("/nouveautes", "Nouveautés"),
                          "soldes": add("/soldes", "Soldes : jusqu'à -50 %"),
                          "black_friday_week": add("/black-friday", "Black Friday : -25 % sur tout le site"),
                          "fete_des_meres": add("/idees-cadeaux-fete-des-meres", "Idées cadeaux fête des mères")}
            cat_prefix = "/"
            queries = _FASHION_QUERIES
        else:
            self.home = add("/", "Fournitures de bureau pour les professionnels")
            products = [(f"/p/{slug}", title, cat, price, qty, float(pop) * float(crng.lognormal(0, 0.3)), "all")
                        for slug, title, cat, price, qty, pop in _B2B_PRODUCTS]
            cats = _B2B_CATEGORIES
            blog = _B2B_BLOG
            self.search = add("/recherche", "Recherche")
            self.account = [add("/mon-compte", "Mon compte"), add("/mon-compte/commandes", "Mes commandes – recommander")]
            self.promo = {"default": add("/promotions", "Promotions du mois"),
                          "rentree": add("/rentree", "Rentrée : les fournitures à prix pros"),
                          "black_friday_week": add("/black-friday", "Black Friday pro : -10 % sur les consommables")}
            cat_prefix = "/c/"
            queries = _B2B_QUERIES
        self.cat_keys = list(cats)
        self.cat_pages = np.array([add(cat_prefix + k, v) for k, v in cats.items()])
        self.blog_pages = np.array([add(pth, ttl) for pth, ttl in blog])
        self.blog_w = 1.0 / np.arange(1, len(blog) + 1) ** 0.8
        self.product_pages = np.array([add(pp[0], pp[1]) for pp in products])
        self.price = np.array([pp[3] for pp in products], float)
        self.qty_profile = np.array([list(_QTY_PROFILES).index(pp[4]) for pp in products])
        self.product_cat = np.array([self.cat_keys.index(pp[2]) for pp in products])
        pop = np.array([pp[5] for pp in products], float)
        season = {"all": [1] * 12, "ete": [.5, .6, .9, 1.2, 1.5, 1.7, 1.6, 1.3, .8, .5, .4, .45],
                  "hiver": [1.6, 1.4, 1.0, .6, .4, .3, .3, .4, .9, 1.4, 1.7, 1.8],
                  "mi": [.7, .8, 1.3, 1.5, 1.2, .8, .6, .7, 1.3, 1.5, 1.0, .7]}
        self.product_month_w = np.array([[pop[i] * season[pp[6]][m] for m in range(12)]
                                         for i, pp in enumerate(products)]).T  # (12, n_products)
        self.cheap = np.flatnonzero(self.price < 40)
        self.paths, self.titles = paths, titles
        self._queries(queries)
        self._traffic(profile["traffic"])

    def _queries(self, queries: list) -> None:
        """Variants of each canonical query with their results count and share."""
        texts, results, weights = [], [], []
        for q, res, pop in queries:
            words = q.split()
            variants = [
                (q, res, 0.50),
                (q[:1].upper() + q[1:], res, 0.13),
                (q.upper(), res, 0.02),
                ("  ".join(w.capitalize() for w in words) + " ", res, 0.05),
                (" " + q, res, 0.02),
                (q + " ", res, 0.04),
            ]
            plain = _strip_accents(q)
            if plain != q:
                variants.append((plain, res, 0.14))
            typos = _typos(q)
            for t in typos:
                variants.append((t, 0, 0.06 / len(typos)))
            total = sum(v[2] for v in variants)
            for text, r, share in variants:
                texts.append(text)
                results.append(r)
                weights.append(pop * share / total)
        # "pantalon velour" / "robe lni" style typos are included by _typos
        self.q_text, self.q_results = texts, np.array(results)
        w = np.array(weights)
        self.q_w = w / w.sum()

    def _traffic(self, rows: list) -> None:
        """Index the traffic rows: channel, source, medium, campaign codes and paid campaign keys."""
        self.rows = rows
        self.row_channel = np.array([_CH[r[0]] for r in rows])
        self.row_weight = np.array([r[4] for r in rows], float)
        self.row_active = [r[5] for r in rows]
        self.row_cr = np.array([r[6] for r in rows], float)
        self.sources = sorted({r[1] for r in rows})
        self.mediums = sorted({r[2] for r in rows})
        self.row_source = np.array([self.sources.index(r[1]) for r in rows])
        self.row_medium = np.array([self.mediums.index(r[2]) for r in rows])
        self.row_is_newsletter = np.array([r[3] == "{newsletter}" for r in rows])
        self.campaigns: list[str] = []
        self.campaign_code: dict[str, int] = {}
        self.row_campaign = np.array([self.code(r[3]) if r[3] != "{newsletter}" else -1 for r in rows])
        keys: list[tuple[int, int]] = []
        self.row_key = np.full(len(rows), -1)
        self.key_cost: list[dict] = []
        for i, r in enumerate(rows):
            if r[7] is None:
                continue
            k = (_CH[r[0]], int(self.row_campaign[i]))
            if k not in keys:
                keys.append(k)
                self.key_cost.append(r[7])
            self.row_key[i] = keys.index(k)
        self.keys = keys

    def code(self, campaign: str) -> int:
        """Code of a campaign name (added on first use)."""
        if campaign not in self.campaign_code:
            self.campaign_code[campaign] = len(self.campaigns)
            self.campaigns.append(campaign)
        return self.campaign_code[campaign]


_KNOWN_TYPOS = {
    "pantalon velours": ["pantalon velour"], "robe lin": ["robe lni", "robbe lin"],
    "pull cachemire": ["pull cachmire", "pull cashmere"], "écharpe": ["echarppe"],
    "cartouche hp 302": ["cartouche hp302", "catrouche hp 302"], "chaise de bureau": ["chaise de bureaux"],
    "agrafeuse électrique": ["agraffeuse electrique"], "post-it": ["postit", "post it"],
}


def _typos(q: str) -> list[str]:
    """Misspellings of a query: known ones, else a dropped final letter, a swap, a doubled letter."""
    if q in _KNOWN_TYPOS:
        return list(_KNOWN_TYPOS[q])
    out = []
    words = q.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    if len(w) >= 5:
        for t in (w[:-1], w[:2] + w[3] + w[2] + w[4:], w[:3] + w[3] + w[3:]):
            cand = " ".join(words[:longest] + [t] + words[longest + 1:])
            if cand != q and cand not in out:
                out.append(cand)
    return out


# ----------------------------------------------------------------------------------------------
# The day-by-day generator of web profiles


class _Growable:
    """A numpy array that doubles its capacity when needed."""

    def __init__(self, dtype: Any, fill: Any, capacity: int = 1024):
        self.a = np.full(capacity, fill, dtype=dtype)
        self.fill = fill

    def ensure(self, size: int) -> np.ndarray:
        """The array, grown to hold at least ``size`` items."""
        if size > len(self.a):
            new = np.full(max(size, 2 * len(self.a)), self.fill, dtype=self.a.dtype)
            new[: len(self.a)] = self.a
            self.a = new
        return self.a


class _WebGenerator:
    """State and per-day draws of a web profile (sessions, carts, orders, searches, ad spend)."""

    def __init__(self, profile: dict, cal: _Calendar, site: _Site, sessions: int, rng: np.random.Generator):
        self.p, self.cal, self.site, self.rng = profile, cal, site, rng
        self.tz = profile["timezone"]
        w = cal.weights
        self.counts = rng.multinomial(sessions, w / w.sum()) if w.sum() > 0 else np.zeros(cal.n, int)
        cap = sessions + 16
        self.v_device = np.zeros(cap, np.int8)
        self.v_app = np.zeros(cap, bool)
        self.v_customer = np.full(cap, -1, np.int32)
        self.v_first = np.zeros(cap, np.int64)
        self.n_vis = 0
        self.c_primary = _Growable(np.int64, -1)
        self.c_secondary = _Growable(np.int64, -1)
        self.n_cust = 0
        self.vis_cum = np.zeros(cal.n + 1, np.int64)  # visitors created before day i
        self.cust_cum = np.zeros(cal.n + 1, np.int64)
        self.n_sessions = self.n_orders = self.n_carts = 0
        self.end_utc = int(_wall_to_utc(np.array([_epoch(cal.end + dt.timedelta(days=1))]), np.zeros(1), self.tz)[0])
        # channel probability tables per (device, returning)
        mix = np.array([profile["channel_mix"][c] for c in CHANNELS])
        tables = np.empty((3, 2, len(CHANNELS)))
        for di, dname in enumerate(DEVICES):
            dm = np.array([profile["channel_device"][dname].get(c, 1.0) for c in CHANNELS])
            rm = np.array([profile["channel_returning"].get(c, 1.0) for c in CHANNELS])
            tables[di, 0] = mix * dm
            tables[di, 1] = mix * dm * rm
        self.chan_tables = tables
        self.landing = np.array([profile["landing"][c] for c in CHANNELS])
        self.single = np.array([profile["single_page"][c] for c in CHANNELS])
        self.cart_chan = np.array([profile["cart_channel"][c] for c in CHANNELS])
        self.order_chan = np.array([profile["order_channel"].get(c, 1.0) for c in CHANNELS])
        self.cart_dev = np.array([profile["cart_device"][d] for d in DEVICES])
        self.ab_dev = np.array([profile["abandon_device"][d] for d in DEVICES])
        self.pv_mean = np.array([profile["pageviews_mean"][d] for d in DEVICES])
        self.basket = np.array([profile["basket"][d] for d in DEVICES])
        self.hours = {d: [np.array(h, float) / np.sum(h) for h in profile["hours"][d]] for d in DEVICES}
        self.ship_thr = np.array([t for t, _ in profile["shipping"]])
        self.ship_fee = np.array([f for _, f in profile["shipping"]])
        qp = list(_QTY_PROFILES.values())
        self.qty_vals = [np.array(v) for v, _ in qp]
        self.qty_p = [np.array(pr) for _, pr in qp]
        unk = profile["results_unknown_before"]
        self.results_unknown_until = (int(_wall_to_utc(np.array([_epoch(dt.date.fromisoformat(unk))]), np.zeros(1),
                                                       self.tz)[0]) if unk else None)
        self.blocked_days = {i for i in range(cal.n) if cal.flags["outage"][i]}
        self.day_wall0 = np.array([_epoch(d) for d in cal.dates], np.int64)

    # -- visitors --------------------------------------------------------------------------------

    def _returning_visitors(self, d: int, size: int) -> np.ndarray:
        """Visitors seen before day ``d``: mostly recent ones, some loyal long-lived cookies."""
        rng, v0 = self.rng, self.vis_cum[d]
        week = max(v0 - self.vis_cum[max(d - 7, 0)], 1)
        months = max(v0 - self.vis_cum[max(d - 60, 0)], 1)
        u = rng.random(size)
        dist = np.where(u < 0.45, rng.exponential(week, size), rng.exponential(months, size))
        j = v0 - 1 - dist.astype(np.int64)
        loyal = u >= 0.8
        j[loyal] = rng.integers(0, v0, loyal.sum())
        j[loyal] -= j[loyal] % 7  # every 7th visitor is a loyal, long-lived cookie
        bad = j < 0
        j[bad] = rng.integers(0, v0, bad.sum())
        return j

    def _returning_customers(self, d: int, size: int) -> np.ndarray:
        """Visitor ids of customers coming back (one of their devices); -1 for offline-only customers."""
        rng, c0 = self.rng, self.cust_cum[d]
        recent = max(c0 - self.cust_cum[max(d - 90, 0)], 1)
        c = c0 - 1 - rng.exponential(recent, size).astype(np.int64)
        uni = rng.random(size) < 0.5
        c[uni] = rng.integers(0, c0, uni.sum())
        c[c < 0] = rng.integers(0, c0, (c < 0).sum())
        prim, sec = self.c_primary.a[c], self.c_secondary.a[c]
        use_sec = (sec >= 0) & (rng.random(size) < 0.35)
        return np.where(use_sec, sec, prim)

    # -- one day ----------------------------------------------------------------------------------

    def day(self, d: int) -> dict[str, dict[str, np.ndarray]] | None:
        """Draw the sessions of day ``d`` and everything that happens in them."""
        p, cal, site, rng = self.p, self.cal, self.site, self.rng
        n = int(self.counts[d])
        self.vis_cum[d + 1] = self.vis_cum[d] = self.n_vis
        self.cust_cum[d + 1] = self.cust_cum[d] = self.n_cust
        if n == 0:
            return None
        weekend = cal.dow[d] >= 5
        v0, c0 = self.n_vis, self.n_cust
        # visitors: new or returning
        ramp = 1 - math.exp(-(d + 1) / 45)
        ret = rng.random(n) < p["returning_share"] * ramp
        if v0 == 0:
            ret[:] = False
        vis = np.empty(n, np.int64)
        kind = np.zeros(n, np.int8)  # 0 new, 1 returning, 2 customer coming back
        cust_ret = ret & (rng.random(n) < p["customer_return_share"]) if c0 > 0 else np.zeros(n, bool)
        plain = ret & ~cust_ret
        vis[plain] = self._returning_visitors(d, int(plain.sum()))
        if cust_ret.any():
            cv = self._returning_customers(d, int(cust_ret.sum()))
            missing = cv < 0  # customer known only offline: fall back to an ordinary return
            if missing.any():
                cv[missing] = self._returning_visitors(d, int(missing.sum()))
            vis[cust_ret] = cv
        kind[plain], kind[cust_ret] = 1, 2
        new = ~ret
        k = int(new.sum())
        new_ids = v0 + np.arange(k)
        vis[new] = new_ids
        dev_new = rng.choice(3, size=k, p=np.array(p["device_mix"][1 if weekend else 0]))
        self.v_device[new_ids] = dev_new
        self.v_app[new_ids] = (dev_new > 0) & (rng.random(k) < p["app_share"])
        self.n_vis += k
        device = self.v_device[vis].astype(np.int64)
        app = self.v_app[vis]
        cust0 = self.v_customer[vis].astype(np.int64)
        # hour of day
        secs = np.empty(n, np.int64)
        for di, dname in enumerate(DEVICES):
            m = device == di
            secs[m] = rng.choice(24, size=int(m.sum()), p=self.hours[dname][1 if weekend else 0]) * 3600
        secs += rng.integers(0, 3600, n)
        fold = rng.random(n) < 0.5
        # channel and traffic row
        probs = self.chan_tables[device, (kind > 0).astype(int)] * cal.channel_mult[d]
        chan = _choice_rows(rng, probs)
        if app.any():
            chan[app] = rng.choice([_CH["direct"], _CH["email"], _CH["organic_social"]], size=int(app.sum()),
                                   p=[0.72, 0.18, 0.10])
        forced_order = np.zeros(n, bool)
        forced_delay = np.zeros(n, np.int64)
        cases = cal.forced.get(d, [])[:n]
        if cases:
            idx = rng.choice(n, size=len(cases), replace=False)
            for i, (s, fo, force, (lo, hi)) in zip(idx, cases):
                secs[i], fold[i] = s, bool(fo)
                if force:
                    forced_order[i] = True
                    forced_delay[i] = int(rng.integers(lo, hi))
                    if chan[i] == _CH["display"]:
                        chan[i] = _CH["direct"]
        trow = np.empty(n, np.int64)
        for c in np.unique(chan):
            m = chan == c
            rows = np.flatnonzero(site.row_channel == c)
            wts = site.row_weight[rows] * np.array([cal.flags[site.row_active[r]][d] for r in rows])
            if wts.sum() == 0:
                wts = site.row_weight[rows]
            trow[m] = rng.choice(rows, size=int(m.sum()), p=wts / wts.sum())
        campaign = site.row_campaign[trow].copy()
        campaign[site.row_is_newsletter[trow]] = site.code(cal.newsletter[d])
        # instants, sorted
        utc = _wall_to_utc(self.day_wall0[d] + secs, fold, self.tz)
        order = np.argsort(utc, kind="stable")
        utc, vis, kind, device, app, cust0, chan, trow, campaign, forced_order, forced_delay = (
            a[order] for a in (utc, vis, kind, device, app, cust0, chan, trow, campaign, forced_order, forced_delay))
        newly = kind == 0
        self.v_first[vis[newly]] = utc[newly]
        sid = self.n_sessions + np.arange(n)
        self.n_sessions += n
        # landing page
        lprobs = self.landing[chan]
        if app.any():
            lprobs[app] = [0.55, 0.30, 0.15, 0, 0, 0, 0]
        ltype = _choice_rows(rng, lprobs)
        page = np.full(n, site.home, np.int64)
        month = cal.month[d] - 1
        pm = ltype == 1
        pw = site.product_month_w[month]
        prod_landing = np.full(n, -1)
        prod_landing[pm] = rng.choice(len(pw), size=int(pm.sum()), p=pw / pw.sum())
        page[pm] = site.product_pages[prod_landing[pm]]
        cm = ltype == 2
        cat_w = np.bincount(site.product_cat, weights=pw, minlength=len(site.cat_pages))
        page[cm] = site.cat_pages[rng.choice(len(cat_w), size=int(cm.sum()), p=cat_w / cat_w.sum())]
        bm = ltype == 3
        page[bm] = site.blog_pages[rng.choice(len(site.blog_w), size=int(bm.sum()), p=site.blog_w / site.blog_w.sum())]
        page[ltype == 4] = site.search
        am = ltype == 6
        page[am] = np.array(site.account)[rng.choice(2, size=int(am.sum()), p=[0.6, 0.4])]
        promo_page = site.promo["default"]
        for key in ("black_friday_week", "soldes", "rentree", "fete_des_meres"):
            if key in site.promo and cal.flags[key][d]:
                promo_page = site.promo[key]
                break
        page[ltype == 5] = promo_page
        # carts and orders
        pcart = (p["cart_rate"] * self.cart_dev[device] * self.cart_chan[chan] * site.row_cr[trow]
                 * cal.cart_mult[d] * np.select([kind == 2, kind == 1], [p["cart_customer"], p["cart_returning"]], 1.0)
                 * np.where(app, p["cart_app"], 1.0) * np.where(ltype == 3, 0.4, 1.0))
        has_cart = (rng.random(n) < np.minimum(pcart, 0.9)) | forced_order
        ci = np.flatnonzero(has_cart)
        value, items = self._baskets(device[ci], d)
        fee = self._fees(value, d)
        pab = np.clip((p["abandon_base"] + p["abandon_per_eur"] * fee) * self.ab_dev[device[ci]]
                      * np.where(kind[ci] == 2, 0.75, 1.0), 0.05, 0.98)
        will = rng.random(len(ci)) < (1 - pab) * self.order_chan[chan[ci]]
        will |= forced_order[ci]
        # pageviews
        single_p = np.clip(self.single[chan] * np.select([ltype == 1, ltype == 2, ltype == 0, ltype == 3],
                                                         [1.0, 0.78, 0.62, 1.3], 0.7)
                           * np.array([0.88, 1.08, 1.0])[device] * np.where(app, 0.5, 1.0), 0.02, 0.95)
        pv = 2 + _nb(rng, self.pv_mean[device] - 2, n)
        pv[rng.random(n) < single_p] = 1
        pv[ci] = np.maximum(pv[ci], 3 + _nb(rng, 3.0, len(ci)))
        oi = ci[will]
        pv[oi] = np.maximum(pv[oi], 5 + _nb(rng, 4.0, len(oi)))
        # searches
        ps = p["search_rate"] * np.where(has_cart, 1.6, 1.0)
        has_search = (rng.random(n) < ps) | (ltype == 4)
        si = np.flatnonzero(has_search)
        ns = rng.geometric(0.6, size=len(si))
        pv[si] = np.maximum(pv[si], 1 + ns - (ltype[si] == 4))
        bounced = (pv == 1) & (rng.random(n) < 0.85)
        # orders: timing, customers
        delay = np.exp(rng.normal(math.log(600), 0.55, len(oi))).astype(np.int64) + 90
        delay = np.minimum(delay, 5400)
        fo = forced_order[oi]
        delay[fo] = forced_delay[oi][fo]
        o_utc = utc[oi] + delay
        cart_delay = np.exp(rng.normal(math.log(240), 0.8, len(ci))).astype(np.int64) + 20
        cart_delay = np.minimum(cart_delay, 3600)
        cart_delay[will] = (delay * rng.uniform(0.25, 0.7, len(oi))).astype(np.int64)
        c_utc = utc[ci] + cart_delay
        o_cust = self._order_customers(vis[oi], cust0[oi])
        # logged-in customer on sessions
        s_cust = np.where((cust0 >= 0) & (rng.random(n) < p["login"]["visit"]), cust0, -1)
        s_cust[oi] = np.where(rng.random(len(oi)) < p["login"]["order"], o_cust, s_cust[oi])
        # search rows: the first a little after the start (at once when landing on results), then gaps
        rep = np.repeat(np.arange(len(si)), ns)
        starts = (np.cumsum(ns) - ns).astype(np.int64)
        offs = np.exp(rng.normal(math.log(50), 0.7, len(rep)))
        offs[starts] = np.where(ltype[si] == 4, 0.0, np.exp(rng.normal(math.log(45), 0.8, len(si))))
        cs = np.cumsum(offs)
        within = cs - np.repeat(cs[starts] - offs[starts], ns)
        s_utc = utc[si][rep] + within.astype(np.int64)
        qv = rng.choice(len(site.q_w), size=len(rep), p=site.q_w)
        res = site.q_results[qv].copy()
        pos = res > 0
        res[pos] = np.maximum(1, res[pos] + rng.integers(-2, 3, int(pos.sum())))
        unknown = rng.random(len(rep)) < p["results_unknown_rate"]
        if self.results_unknown_until is not None:
            unknown |= s_utc < self.results_unknown_until
        res[unknown] = -1
        # drop events that fall on a blocked local day (outage, or after the export's end)
        keep_o = self._not_blocked(o_utc, d)
        keep_c = self._not_blocked(c_utc, d)
        keep_s = self._not_blocked(s_utc, d)
        # order ids in time order
        oi, o_utc, o_cust, delay = oi[keep_o], o_utc[keep_o], o_cust[keep_o], delay[keep_o]
        o_value, o_items, o_fee = value[will][keep_o], items[will][keep_o], fee[will][keep_o]
        cart_order = np.full(len(ci), -1, np.int64)
        will_pos = np.flatnonzero(will)[keep_o]
        offline = self._offline_orders(d, len(oi))
        all_utc = np.concatenate([o_utc, offline["utc"]])
        oorder = np.argsort(all_utc, kind="stable")
        oid_all = np.empty(len(all_utc), np.int64)
        oid_all[oorder] = self.n_orders + np.arange(len(all_utc))
        self.n_orders += len(all_utc)
        cart_order[will_pos] = oid_all[: len(oi)]
        o_rev = np.round(np.concatenate([o_value + o_fee, offline["value"] + offline["fee"]]), 2)
        status = self._status(all_utc)
        orders = {
            "oid": oid_all[oorder], "cust": np.concatenate([o_cust, offline["cust"]])[oorder],
            "utc": all_utc[oorder], "revenue": o_rev[oorder],
            "sid": np.concatenate([sid[oi], np.full(len(offline["utc"]), -1)])[oorder],
            "vis": np.concatenate([vis[oi], np.full(len(offline["utc"]), -1)])[oorder],
            "shipping": np.concatenate([o_fee, offline["fee"]])[oorder],
            "tax": np.round(o_rev - o_rev / (1 + _VAT), 2)[oorder],
            "status": status[oorder], "items": np.concatenate([o_items, offline["items"]])[oorder],
        }
        corder = np.argsort(c_utc[keep_c], kind="stable")
        cart_ids = self.n_carts + np.arange(int(keep_c.sum()))
        self.n_carts += len(cart_ids)
        carts = {"cid": cart_ids, "utc": c_utc[keep_c][corder], "vis": vis[ci][keep_c][corder],
                 "sid": sid[ci][keep_c][corder], "value": value[keep_c][corder], "fee": fee[keep_c][corder],
                 "oid": cart_order[keep_c][corder]}
        sorder = np.argsort(s_utc[keep_s], kind="stable")
        searches = {"utc": s_utc[keep_s][sorder], "sid": sid[si][rep][keep_s][sorder],
                    "query": qv[keep_s][sorder], "results": res[keep_s][sorder]}
        sessions = {"sid": sid, "vis": vis, "utc": utc, "chan": chan, "device": device, "app": app, "page": page,
                    "pv": pv, "bounced": bounced, "trow": trow, "campaign": campaign, "cust": s_cust}
        ad = self._ad_spend(d, trow, chan, oi, o_rev[: len(oi)], status[: len(oi)], sid)
        self.vis_cum[d + 1] = self.n_vis
        self.cust_cum[d + 1] = self.n_cust
        return {"sessions": sessions, "orders": orders, "carts": carts, "searches": searches, "ad_spend": ad}

    # -- pieces of a day ---------------------------------------------------------------------------

    def _baskets(self, device: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Cart values (incl. VAT, after the day's discount) and item counts."""
        rng, site, cal = self.rng, self.site, self.cal
        m = len(device)
        if m == 0:
            return np.zeros(0), np.zeros(0, np.int64)
        lam = self.basket[device] * (1.3 if cal.flags["soldes"][d] or cal.flags["black_friday_week"][d] else 1.0)
        lines = 1 + rng.poisson(lam)
        total = int(lines.sum())
        pw = site.product_month_w[cal.month[d] - 1]
        prod = rng.choice(len(pw), size=total, p=pw / pw.sum())
        qty = np.ones(total, np.int64)
        for qi in np.unique(site.qty_profile[prod]):
            mm = site.qty_profile[prod] == qi
            qty[mm] = rng.choice(self.qty_vals[qi], size=int(mm.sum()), p=self.qty_p[qi])
        unit = np.round(site.price[prod] * (1 - cal.discount[d]), 2)
        starts = np.concatenate([[0], np.cumsum(lines)[:-1]])
        value = np.add.reduceat(unit * qty, starts)
        items = np.add.reduceat(qty, starts)
        nudge = self.p["free_shipping_nudge"]
        if nudge and site.cheap.size:
            thr = self.ship_thr[-1]
            near = (value >= thr - nudge[0]) & (value < thr) & (rng.random(m) < nudge[1])
            extra = site.cheap[rng.integers(0, len(site.cheap), int(near.sum()))]
            value[near] += np.round(site.price[extra] * (1 - cal.discount[d]), 2)
            items[near] += 1
        return np.round(value, 2), items

    def _fees(self, value: np.ndarray, d: int) -> np.ndarray:
        """Shipping fee of each cart: the profile's thresholds, free on free-shipping days."""
        fee = self.ship_fee[np.searchsorted(self.ship_thr, value, side="right") - 1].copy()
        alt = self.p["shipping_alt"]
        if alt:
            home = (fee > 0) & (self.rng.random(len(value)) < alt[1])
            fee[home] = alt[0]
        if self.cal.free_shipping[d]:
            fee[:] = 0.0
        return fee

    def _order_customers(self, vis: np.ndarray, cust0: np.ndarray) -> np.ndarray:
        """Customer of each web order; creates customers (or links a second device) as needed."""
        rng = self.rng
        cust = cust0.copy()
        need = cust < 0
        if need.any():
            uv, inv = np.unique(vis[need], return_inverse=True)
            known = self.v_customer[uv].astype(np.int64)  # ordered earlier today
            todo = known < 0
            c0 = self.n_cust
            second = todo & (rng.random(len(uv)) < self.p["second_device_share"]) if c0 > 0 else np.zeros(len(uv), bool)
            picked = rng.integers(0, max(c0, 1), int(second.sum()))
            known[second] = picked
            sec = self.c_secondary.ensure(c0 + len(uv))
            prim = self.c_primary.ensure(c0 + len(uv))
            free = sec[picked] < 0
            sec[picked[free]] = uv[second][free]
            offline_only = prim[picked] < 0  # known from a phone/showroom order only
            prim[picked[offline_only]] = uv[second][offline_only]
            fresh = todo & ~second
            nf = int(fresh.sum())
            known[fresh] = c0 + np.arange(nf)
            prim = self.c_primary.ensure(c0 + nf)
            self.c_secondary.ensure(c0 + nf)
            prim[c0: c0 + nf] = uv[fresh]
            self.n_cust += nf
            self.v_customer[uv] = known
            cust[need] = known[inv]
        return cust

    def _offline_orders(self, d: int, web_orders: int) -> dict[str, np.ndarray]:
        """Orders without a session: phone orders (B2B) or showroom sales (fashion)."""
        p, rng, cal = self.p, self.rng, self.cal
        empty = {"utc": np.zeros(0, np.int64), "cust": np.zeros(0, np.int64), "value": np.zeros(0),
                 "fee": np.zeros(0), "items": np.zeros(0, np.int64)}
        if cal.dow[d] not in p["offline_days"] or cal.flags["holiday"][d] or d in self.blocked_days:
            return empty
        lam = web_orders * p["offline_share"] / (1 - p["offline_share"]) * 7 / len(p["offline_days"])
        k = int(rng.poisson(lam))
        if k == 0:
            return empty
        h0, h1 = p["offline_hours"]
        secs = rng.integers(int(h0 * 3600), int(h1 * 3600), k)
        utc = _wall_to_utc(self.day_wall0[d] + secs, np.zeros(k, bool), self.tz)
        value, items = self._baskets(np.zeros(k, np.int64), d)
        fee = self._fees(value, d)
        if p["site"] == "fashion":
            fee[:] = 0.0  # taken away from the showroom
        cust = np.full(k, -1, np.int64)
        c0 = self.n_cust
        existing = (rng.random(k) < p["offline_existing"]) if c0 > 0 else np.zeros(k, bool)
        cust[existing] = rng.integers(0, c0, int(existing.sum()))
        nn = k - int(existing.sum())
        self.c_primary.ensure(c0 + nn)
        self.c_secondary.ensure(c0 + nn)
        cust[~existing] = c0 + np.arange(nn)
        self.n_cust += nn
        return {"utc": utc, "cust": cust, "value": value, "fee": fee, "items": items}

    def _status(self, utc: np.ndarray) -> np.ndarray:
        """paid (not shipped yet, or a back-order), shipped, cancelled or refunded, by age at export."""
        rng, st = self.rng, self.p["status"]
        age_days = (self.end_utc - utc) / 86400
        shipped_after = rng.uniform(1.0, 3.5, len(utc))  # days to ship; a few back-orders stay "paid"
        status = np.where((age_days < shipped_after) | (rng.random(len(utc)) < 0.004), 0, 1)
        u = rng.random(len(utc))
        status[u < st["cancelled"]] = 2
        refund = (u >= st["cancelled"]) & (u < st["cancelled"] + st["refunded"]) & (age_days > 12)
        status[refund] = 3
        return status.astype(np.int8)

    def _not_blocked(self, utc: np.ndarray, d: int) -> np.ndarray:
        """False for events whose local date is an outage day or after the end of the export."""
        nxt = d + 1
        if nxt < self.cal.n and nxt not in self.blocked_days:
            return np.ones(len(utc), bool)
        wall_day = _utc_to_wall(utc, self.tz) // 86400
        return wall_day <= self.day_wall0[d] // 86400

    def _ad_spend(self, d: int, trow: np.ndarray, chan: np.ndarray, oi: np.ndarray, o_rev: np.ndarray,
                  o_status: np.ndarray, sid: np.ndarray) -> dict[str, np.ndarray]:
        """Spend per channel x campaign of the day, from the paid sessions of each campaign."""
        site, cal, rng = self.site, self.cal, self.rng
        nk = len(site.keys)
        key = site.row_key[trow]
        sess = np.bincount(key[key >= 0], minlength=nk)
        okey = key[oi]
        good = (okey >= 0) & (o_status < 2)
        rev = np.bincount(okey[good], weights=o_rev[good], minlength=nk)
        active = np.zeros(nk, bool)
        for r, k in enumerate(site.row_key):
            if k >= 0 and cal.flags[site.row_active[r]][d]:
                active[k] = True
        f = cal.flags
        season = 1.0 + 0.5 * f["black_friday_week"][d] + 0.15 * f["soldes"][d] + 0.2 * f["christmas"][d]
        out = {"day": [], "chan": [], "campaign": [], "spend": [], "clicks": [], "impr": []}
        consent = self.p["consent_rate"]
        for k in np.flatnonzero(active | (sess > 0)):
            cost = site.key_cost[k]
            s = sess[k]
            clicks = int(round(s / consent * rng.lognormal(0, 0.08))) if s else int(rng.poisson(0.4))
            impr = -1
            if cost["model"] == "cpc":
                spend = clicks * cost["cpc"] * season * rng.lognormal(0, 0.12)
                if cost["impressions"]:
                    impr = int(max(clicks, round(max(clicks, 0.5) / cost["ctr"] * rng.lognormal(0, 0.2))))
            elif cost["model"] == "cpm":
                impr = int(round(max(clicks, 0.5) / cost["ctr"] * rng.lognormal(0, 0.15)))
                spend = impr / 1000 * cost["cpm"] * season
            else:
                spend = cost["rate"] * rev[k]
            if clicks == 0 and impr <= 0 and spend == 0:
                continue
            out["day"].append(d)
            out["chan"].append(site.keys[k][0])
            out["campaign"].append(site.keys[k][1])
            out["spend"].append(round(spend, 2))
            out["clicks"].append(clicks)
            out["impr"].append(impr)
        return {"day": np.array(out["day"], np.int64), "chan": np.array(out["chan"], np.int64),
                "campaign": np.array(out["campaign"], np.int64), "spend": np.array(out["spend"], float),
                "clicks": np.array(out["clicks"], np.int64), "impr": np.array(out["impr"], np.int64)}


def _epoch(day: dt.date) -> int:
    """Seconds from 1970-01-01 to the start of ``day`` (a wall-clock value, no timezone)."""
    return (day - dt.date(1970, 1, 1)).days * 86400


# ----------------------------------------------------------------------------------------------
# Social posts


def _social_posts(profile: dict, cal: _Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Posts of each account: schedule, followers, format, reach and engagement."""
    tz = profile["timezone"]
    change = int(_wall_to_utc(np.array([_epoch(dt.date(2025, 4, 1))]), np.zeros(1), tz)[0])
    cols: dict[str, list] = {k: [] for k in ("platform", "utc", "likes", "comments", "impressions", "reach",
                                              "views", "shares", "saves", "followers", "format", "pid")}
    season = np.interp(cal.month, np.arange(1, 13), [1.0, .95, .95, 1.0, 1.0, .95, .85, .8, .95, 1.0, 1.1, 1.15])
    for platform, acc in profile["social"].items():
        t = np.arange(cal.n) / 365.25
        followers_day = acc["followers"] * (1 + acc["growth"]) ** t * (1 + 0.01 * np.sin(np.arange(cal.n) / 40))
        counts = rng.poisson(np.array(acc["rate"])[cal.dow] * (~cal.flags["christmas_day"]))
        day = np.repeat(np.arange(cal.n), counts)
        k = len(day)
        noon = rng.random(k) < 0.45
        secs = np.where(noon, rng.normal(12.4, 0.5, k), rng.normal(18.8, 1.1, k))
        secs = (np.clip(secs, 7.5, 22.5) * 3600).astype(np.int64) // 60 * 60
        wall = np.array([_epoch(cal.dates[i]) for i in day], np.int64) + secs
        utc = _wall_to_utc(wall, np.zeros(k, bool), tz)
        fmts = list(acc["formats"])
        fw = np.array([acc["formats"][f] for f in fmts])
        probs = np.tile(fw, (k, 1))
        if "reel" in fmts:
            probs[:, fmts.index("reel")] *= 1 + acc.get("reel_growth", 0) * t[day] * 2
        fmt = _choice_rows(rng, probs)
        fname = np.array(fmts)[fmt]
        foll = (followers_day[day] * rng.lognormal(0, 0.003, k)).astype(np.int64)
        contest = rng.random(k) < 0.025
        if platform == "instagram":
            rate = np.select([fname == "reel", fname == "carousel"], [0.55, 0.30], 0.22)
            reach = foll * rate * season[day] * rng.lognormal(0, 0.45, k) * np.where(contest, 2.0, 1.0)
            viral = (fname == "reel") & (rng.random(k) < 0.04)
            reach[viral] *= rng.uniform(3, 8, int(viral.sum()))
            like_rate = np.select([fname == "reel", fname == "carousel"], [0.045, 0.065], 0.055)
            shares = reach * np.where(fname == "reel", 0.012, 0.004) * rng.lognormal(0, 0.5, k)
            saves = reach * np.select([fname == "carousel", fname == "reel"], [0.02, 0.01], 0.008) * rng.lognormal(0, 0.5, k)
            impressions = reach * rng.uniform(1.15, 1.6, k)
            after = utc >= change
            views = np.where(after, reach * np.where(fname == "reel", rng.uniform(1.6, 2.6, k), rng.uniform(1.3, 1.9, k)),
                             np.where(fname == "reel", reach * rng.uniform(1.4, 2.2, k), -1))
            impressions = np.where(after, -1, impressions)
            comment_rate = 0.025
        else:
            rate = np.select([fname == "video", fname == "link", fname == "carousel"], [0.10, 0.04, 0.08], 0.07)
            reach = foll * rate * season[day] * rng.lognormal(0, 0.5, k) * np.where(contest, 2.5, 1.0)
            like_rate = np.full(k, 0.03)
            shares = reach * 0.006 * rng.lognormal(0, 0.6, k)
            saves = np.full(k, -1.0)
            impressions = reach * rng.uniform(1.2, 1.7, k)
            views = np.where(fname == "video", reach * rng.uniform(0.6, 1.2, k), -1)
            comment_rate = 0.06
        reach = np.maximum(reach, 1)
        likes = reach * like_rate * rng.lognormal(0, 0.35, k)
        comments = likes * comment_rate * rng.lognormal(0, 0.6, k)
        comments = np.where(contest, likes * rng.uniform(0.5, 1.2, k), comments)
        if platform == "instagram":
            pid = 17_841_000_000_000_000 + rng.choice(10**15, size=k, replace=False)
        else:
            pid = rng.choice(10**15, size=k, replace=False) + 10**15
        cols["platform"].append(np.full(k, platform))
        cols["utc"].append(utc)
        cols["likes"].append(likes.round().astype(np.int64))
        cols["comments"].append(comments.round().astype(np.int64))
        cols["impressions"].append(np.where(impressions < 0, -1, np.round(impressions)).astype(np.int64))
        cols["reach"].append(reach.round().astype(np.int64))
        cols["views"].append(np.where(views < 0, -1, np.round(views)).astype(np.int64))
        cols["shares"].append(shares.round().astype(np.int64))
        cols["saves"].append(np.where(saves < 0, -1, np.round(saves)).astype(np.int64))
        cols["followers"].append(foll)
        cols["format"].append(fname)
        cols["pid"].append(pid)
    out = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(out["utc"], kind="stable")
    return {k: v[order] for k, v in out.items()}


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


# ----------------------------------------------------------------------------------------------
# Public API


def generate_client(out_dir: str | os.PathLike, *, profile: str = "fashion", sessions: int | None = None,
                    seed: int | None = None, fmt: str | None = None, start: str = "2025-01-01",
                    end: str = "2026-10-31", chunk_sessions: int = 1_000_000) -> dict[str, int]:
    """Write a synthetic client folder and return ``{table_name: n_rows}``.

    Parameters
    ----------
    out_dir
        Folder to create; it must be empty or not exist.
    profile
        A key of :data:`PROFILES`: ``"fashion"``, ``"b2b_office"`` or ``"social_only"``.
    sessions
        Number of sessions (web profiles); ``None`` takes the profile's default. Not allowed for
        ``social_only``, whose number of posts follows its posting schedule.
    seed
        Seed of the random generator; ``None`` takes the profile's default (the committed sample).
    fmt
        One of :data:`FORMATS`; ``None`` takes the profile's default.
    start, end
        First and last local dates (ISO ``YYYY-MM-DD``), both included.
    chunk_sessions
        Sessions per written chunk (Parquet row group); the content does not depend on it.

    Returns
    -------
    dict
        Rows written per table (``client.yml`` is not counted).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    p = PROFILES[profile]
    fmt = fmt or p["default_format"]
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    seed = p["default_seed"] if seed is None else int(seed)
    try:
        d0, d1 = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as exc:
        raise ValueError(f"start and end must be ISO dates (YYYY-MM-DD): {exc}") from None
    if d1 < d0:
        raise ValueError(f"end {end} is before start {start}")
    if p["kind"] == "social" and sessions is not None:
        raise ValueError(f"profile {profile!r} has no sessions table; do not give a number of sessions")
    if p["kind"] == "web":
        sessions = p["default_sessions"] if sessions is None else int(sessions)
        if sessions < 1:
            raise ValueError(f"sessions must be at least 1, got {sessions}")
    if chunk_sessions < 1:
        raise ValueError("chunk_sessions must be at least 1")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} is not an empty folder; choose a new or empty output folder")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cal = _Calendar(p, d0, d1, rng)
    (out / "client.yml").write_text(_client_yml(p), encoding="utf-8")
    counts: dict[str, int] = {}
    if p["kind"] == "web":
        site = _Site(p)
        gen = _WebGenerator(p, cal, site, sessions, rng)
        formatter = _Formatter(p, fmt, site, gen, cal)
        sink = _Sink(out, fmt, formatter, ("sessions", "orders", "carts", "searches", "ad_spend"), chunk_sessions)
        for d in range(cal.n):
            day = gen.day(d)
            if day is not None:
                sink.add(day)
        counts.update(sink.close())
    else:
        formatter = _Formatter(p, fmt, None, None, cal)
    if p.get("social"):
        social_rng = np.random.default_rng([seed, 1])
        w = _TableWriter(out / f"social_posts.{fmt}", fmt)
        w.write(formatter.social_posts(_social_posts(p, cal, social_rng)))
        counts["social_posts"] = w.close()
    return {t: counts[t] for t in _TABLE_ORDER if t in counts}


def main(argv: list[str]) -> int:
    """``kpi sample OUT_DIR [--profile P] [--sessions N] [--seed S] [--format F]``."""
    parser = argparse.ArgumentParser(
        prog="kpi sample",
        description="Generate a synthetic client folder (see data/sample/README.md for the committed ones).")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to create (must be empty or not exist)")
    parser.add_argument("--profile", default="fashion", choices=list(PROFILES),
                        help="fashion (Maison Lune), b2b_office (Bureau Direct) or social_only (Atelier Brume)")
    parser.add_argument("--sessions", type=int, default=None, help="number of sessions (default: the profile's)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the profile's)")
    parser.add_argument("--format", dest="fmt", default=None, choices=list(FORMATS),
                        help="file format of the tables (default: the profile's)")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"error: {out} is not an empty folder; choose a new or empty output folder", file=sys.stderr)
        return 2
    try:
        counts = generate_client(out, profile=args.profile, sessions=args.sessions, seed=args.seed, fmt=args.fmt)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"{out}: profile {args.profile}, {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
