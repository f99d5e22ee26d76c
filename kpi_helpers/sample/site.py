"""The sample shop's site: pages, products, traffic rows and the search vocabulary with its typos.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from .profiles import (_B2B_BLOG, _B2B_CATEGORIES, _B2B_PRODUCTS, _B2B_QUERIES, _CH, _FASHION_BLOG, _FASHION_CATEGORIES,
                       _FASHION_COLORS, _FASHION_MATERIALS, _FASHION_QUERIES, _FASHION_TYPES, _QTY_PROFILES)

__all__ = ["_Site"]


def _strip_accents(text: str) -> str:
    """``text`` without its combining marks (accents)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


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
