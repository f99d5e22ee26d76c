"""Visitors' behaviour, day by day: sessions, carts, orders, searches, ad spend, social posts.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from .calendar import _Calendar, _epoch, _utc_to_wall, _wall_to_utc
from .profiles import CHANNELS, DEVICES, _CH, _QTY_PROFILES, _VAT
from .site import _Site

__all__ = ["_WebGenerator", "_social_posts"]


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``weights`` (n x k, rows need not be normalised)."""
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cdf[:, -1]
    return np.minimum((u[:, None] >= cdf).sum(axis=1), weights.shape[1] - 1)


def _nb(rng: np.random.Generator, mean: np.ndarray | float, size: int, shape: float = 1.3) -> np.ndarray:
    """Negative binomial counts with the given mean (overdispersed, for pageviews)."""
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    return rng.negative_binomial(shape, shape / (shape + mean), size=size)


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
