"""French and English labels, and the formatting of numbers, percentages and money.

Every label a chart, a table or a report shows comes from here, so that a client report is in
French by default and an English one says the same thing.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["KPI_LABELS", "KPI_UNITS", "CHANNEL_LABELS", "DEVICE_LABELS", "PLATFORM_LABELS", "FORMAT_LABELS",
           "TABLE_WORDS", "TEXT", "label", "kpi_label", "channel_label", "device_label", "platform_label",
           "format_label", "segment_value_label", "table_word", "reason_text", "fee_band_label", "format_number", "format_percent", "format_money", "format_kpi",
           "format_signed_number", "format_signed_money", "format_points", "format_p_value", "MINUS",
           "LANGUAGES", "check_language", "currency_symbol", "THEME_TITLES", "REPORT_TEXT", "MONTH_NAMES"]

LANGUAGES = ("fr", "en")

KPI_LABELS: dict[str, dict[str, str]] = {
    "sessions": {"fr": "Visites", "en": "Sessions"},
    "visitors": {"fr": "Visiteurs", "en": "Visitors"},
    "orders": {"fr": "Commandes", "en": "Orders"},
    "buyers": {"fr": "Acheteurs", "en": "Buyers"},
    "revenue": {"fr": "Chiffre d'affaires", "en": "Revenue"},
    "conversion_rate": {"fr": "Taux de conversion (visiteurs)", "en": "Conversion rate (visitors)"},
    "session_conversion_rate": {"fr": "Taux de conversion (visites)", "en": "Conversion rate (sessions)"},
    "orders_per_session": {"fr": "Commandes par visite", "en": "Orders per session"},
    "average_order_value": {"fr": "Panier moyen", "en": "Average order value"},
    "median_days_to_purchase": {"fr": "Jours avant achat (médiane)", "en": "Days to purchase (median)"},
    "median_visits_to_purchase": {"fr": "Visites avant achat (médiane)", "en": "Visits to purchase (median)"},
    "product_page_bounce_rate": {"fr": "Taux de rebond des pages produit", "en": "Product page bounce rate"},
    "ga4_bounce_rate": {"fr": "Taux de rebond GA4 (visites sans engagement)", "en": "GA4 bounce rate (non-engaged sessions)"},
    "carts": {"fr": "Paniers créés", "en": "Carts created"},
    "abandoned_carts": {"fr": "Paniers abandonnés", "en": "Abandoned carts"},
    "cart_abandonment_rate": {"fr": "Taux d'abandon de panier", "en": "Cart abandonment rate"},
    "ad_spend": {"fr": "Dépenses publicitaires", "en": "Ad spend"},
    "cost_per_acquisition": {"fr": "Coût par acquisition (CPA)", "en": "Cost per acquisition (CPA)"},
    "roas": {"fr": "ROAS", "en": "ROAS"},
    "break_even_cpa": {"fr": "CPA d'équilibre", "en": "Break-even CPA"},
    "roi": {"fr": "ROI", "en": "ROI"},
    "new_customers": {"fr": "Nouveaux clients", "en": "New customers"},
    "returning_customers": {"fr": "Clients fidèles (déjà acheteurs)", "en": "Returning customers"},
    "returning_customer_rate": {"fr": "Part de clients fidèles", "en": "Returning customer rate"},
    "repeat_purchase_rate": {"fr": "Taux de réachat", "en": "Repeat purchase rate"},
    "searches": {"fr": "Recherches internes", "en": "Site searches"},
    "search_rate": {"fr": "Taux d'utilisation de la recherche", "en": "Search rate"},
    "zero_result_rate": {"fr": "Recherches sans résultat", "en": "Zero-result rate"},
    "search_to_purchase_rate": {"fr": "Conversion après recherche", "en": "Search-to-purchase rate"},
    "posts": {"fr": "Publications", "en": "Posts"},
    "impressions": {"fr": "Impressions", "en": "Impressions"},
    "engagement_rate": {"fr": "Taux d'engagement", "en": "Engagement rate"},
    "engagement_rate_all_interactions": {"fr": "Engagement (avec partages et enregistrements)",
                                         "en": "Engagement (with shares and saves)"},
    "engagement_rate_by_reach": {"fr": "Engagement par personne atteinte", "en": "Engagement by reach"},
    "engagement_rate_by_views": {"fr": "Engagement par vue", "en": "Engagement by views"},
    "engagement_rate_impressions_or_views": {"fr": "Engagement (impressions ou vues)",
                                             "en": "Engagement (impressions or views)"},
}

#: How each KPI's value is shown: percent, money, count, ratio, days, visits, number
KPI_UNITS: dict[str, str] = {
    **{k: "count" for k in ("sessions", "visitors", "orders", "buyers", "carts", "abandoned_carts", "new_customers",
                            "returning_customers", "searches", "posts", "impressions")},
    **{k: "money" for k in ("revenue", "average_order_value", "ad_spend", "cost_per_acquisition", "break_even_cpa")},
    **{k: "percent" for k in ("conversion_rate", "session_conversion_rate", "product_page_bounce_rate",
                              "cart_abandonment_rate", "roi", "returning_customer_rate", "repeat_purchase_rate",
                              "search_rate", "zero_result_rate", "search_to_purchase_rate", "engagement_rate",
                              "engagement_rate_all_interactions", "engagement_rate_by_reach",
                              "engagement_rate_by_views", "engagement_rate_impressions_or_views",
                              "ga4_bounce_rate")},
    "roas": "ratio",
    "orders_per_session": "percent",  # as the overview and the significance tables show it (UA: e-commerce conversion rate)
    "median_days_to_purchase": "days",
    "median_visits_to_purchase": "visits",
}

CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "organic_search": {"fr": "Référencement naturel (SEO)", "en": "Organic search (SEO)"},
    "paid_search": {"fr": "Référencement payant (SEA)", "en": "Paid search (SEA)"},
    "direct": {"fr": "Accès direct", "en": "Direct"},
    "referral": {"fr": "Sites référents", "en": "Referral"},
    "price_comparator": {"fr": "Comparateurs de prix", "en": "Price comparators"},
    "organic_social": {"fr": "Réseaux sociaux", "en": "Organic social"},
    "paid_social": {"fr": "Réseaux sociaux payants", "en": "Paid social"},
    "email": {"fr": "E-mail", "en": "Email"},
    "affiliate": {"fr": "Affiliation", "en": "Affiliates"},
    "display": {"fr": "Display", "en": "Display"},
    "other": {"fr": "Autres", "en": "Other"},
    "unknown": {"fr": "Inconnu", "en": "Unknown"},
}

DEVICE_LABELS: dict[str, dict[str, str]] = {
    "desktop": {"fr": "Ordinateur", "en": "Desktop"},
    "mobile": {"fr": "Mobile", "en": "Mobile"},
    "tablet": {"fr": "Tablette", "en": "Tablet"},
    "unknown": {"fr": "Inconnu", "en": "Unknown"},
}

#: Social platforms as their owners write them (exports give them in lower case).
PLATFORM_LABELS: dict[str, dict[str, str]] = {
    "instagram": {"fr": "Instagram", "en": "Instagram"},
    "facebook": {"fr": "Facebook", "en": "Facebook"},
    "tiktok": {"fr": "TikTok", "en": "TikTok"},
    "linkedin": {"fr": "LinkedIn", "en": "LinkedIn"},
    "youtube": {"fr": "YouTube", "en": "YouTube"},
    "pinterest": {"fr": "Pinterest", "en": "Pinterest"},
    "twitter": {"fr": "X (Twitter)", "en": "X (Twitter)"},
    "x": {"fr": "X (Twitter)", "en": "X (Twitter)"},
    "threads": {"fr": "Threads", "en": "Threads"},
}

#: Post formats (the social_posts.format column).
FORMAT_LABELS: dict[str, dict[str, str]] = {
    "image": {"fr": "Image", "en": "Image"},
    "photo": {"fr": "Photo", "en": "Photo"},
    "carousel": {"fr": "Carrousel", "en": "Carousel"},
    "album": {"fr": "Album", "en": "Album"},
    "video": {"fr": "Vidéo", "en": "Video"},
    "reel": {"fr": "Reel (vidéo courte)", "en": "Reel (short video)"},
    "story": {"fr": "Story", "en": "Story"},
    "link": {"fr": "Lien", "en": "Link"},
    "text": {"fr": "Texte", "en": "Text"},
    "status": {"fr": "Texte", "en": "Text"},
    "live": {"fr": "Direct", "en": "Live"},
}

#: The contract's tables, as a sentence names their data ("ce client ne fournit pas de données de paniers").
TABLE_WORDS: dict[str, dict[str, str]] = {
    "sessions": {"fr": "visites", "en": "session"},
    "orders": {"fr": "commandes", "en": "order"},
    "carts": {"fr": "paniers", "en": "cart"},
    "ad_spend": {"fr": "dépenses publicitaires", "en": "ad spend"},
    "social_posts": {"fr": "publications sur les réseaux sociaux", "en": "social media post"},
    "searches": {"fr": "recherches internes", "en": "site search"},
    "products": {"fr": "produits", "en": "product"},
}

#: Columns a reason can name, with their article in French ("il manque les frais de port").
COLUMN_WORDS: dict[str, dict[str, str]] = {
    "landing_page": {"fr": "la page d'entrée", "en": "landing page"},
    "shipping_fee": {"fr": "les frais de port", "en": "shipping fee"},
    "results_count": {"fr": "le nombre de résultats", "en": "result count"},
    "impressions": {"fr": "les impressions", "en": "impressions"},
    "views": {"fr": "les vues", "en": "views"},
    "reach": {"fr": "la portée", "en": "reach"},
    "shares": {"fr": "les partages", "en": "shares"},
    "saves": {"fr": "les enregistrements", "en": "saves"},
    "format": {"fr": "le format", "en": "format"},
    "device": {"fr": "l'appareil", "en": "device"},
    "channel": {"fr": "le canal", "en": "channel"},
    "bounced": {"fr": "le rebond", "en": "bounce"},
    "page_views": {"fr": "les pages vues", "en": "page views"},
}

TEXT: dict[str, dict[str, str]] = {
    "all": {"fr": "Tous", "en": "All"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "device": {"fr": "Appareil", "en": "Device"},
    "platform": {"fr": "Plateforme", "en": "Platform"},
    "format": {"fr": "Format", "en": "Format"},
    "period": {"fr": "Période", "en": "Period"},
    "comparison": {"fr": "Comparaison", "en": "Comparison"},
    "previous_period": {"fr": "période précédente", "en": "previous period"},
    "previous_year": {"fr": "même période l'an dernier", "en": "same period last year"},
    "change": {"fr": "Évolution", "en": "Change"},
    "value": {"fr": "Valeur", "en": "Value"},
    "kpi": {"fr": "Indicateur", "en": "KPI"},
    "date": {"fr": "Date", "en": "Date"},
    "day": {"fr": "Jour", "en": "Day"},
    "week": {"fr": "Semaine", "en": "Week"},
    "month": {"fr": "Mois", "en": "Month"},
    "orders": {"fr": "Commandes", "en": "Orders"},
    "share_of_orders": {"fr": "Part des commandes", "en": "Share of orders"},
    "days_since_first_visit": {"fr": "Jours depuis la première visite", "en": "Days since the first visit"},
    "visits_until_order": {"fr": "Visites jusqu'à la commande", "en": "Visits until the order"},
    "shipping_fee": {"fr": "Frais de port", "en": "Shipping fee"},
    "cohort": {"fr": "Cohorte (mois du 1er achat)", "en": "Cohort (month of first order)"},
    "months_since_first": {"fr": "Mois depuis le 1er achat", "en": "Months since first order"},
    "query": {"fr": "Recherche", "en": "Query"},
    "landing_page": {"fr": "Page d'entrée", "en": "Landing page"},
    "unavailable": {"fr": "Indisponible", "en": "Unavailable"},
    "no_data": {"fr": "Pas de données pour cette sélection.", "en": "No data for this selection."},
    "one_segment": {"fr": "Un canal et un appareil sont choisis : il n'y a rien à répartir.",
                    "en": "One channel and one device are picked: there is nothing to break down."},
    "missing_table": {"fr": "Ce client ne fournit pas de données de {what} : cette partie ne peut pas être calculée.",
                      "en": "This client provides no {what} data: this part cannot be computed."},
    "unavailable_kpi": {"fr": "{kpi} n'est pas disponible : {reason}.", "en": "{kpi} is not available: {reason}."},
    "scorecard_left_out": {"fr": "Sans données pour ce client, donc absents du tableau de bord : ",
                           "en": "No data for this client, so not in the scorecard: "},
    "spend": {"fr": "Dépenses", "en": "Spend"},
    "break_even": {"fr": "CPA d'équilibre", "en": "Break-even CPA"},
    "new": {"fr": "Nouveaux", "en": "New"},
    "returning": {"fr": "Fidèles", "en": "Returning"},
    "customers": {"fr": "Clients", "en": "Customers"},
    "sessions": {"fr": "Visites", "en": "Sessions"},
    "searches": {"fr": "Recherches", "en": "Searches"},
}


#: Title of each course notebook in the report, by file stem (else the notebook's first heading).
THEME_TITLES: dict[str, dict[str, str]] = {
    "00-overview": {"fr": "Vue d'ensemble", "en": "Overview"},
    "01-social-engagement": {"fr": "Engagement sur les réseaux sociaux", "en": "Social media engagement"},
    "02-conversion-and-basket": {"fr": "Taux de conversion et panier moyen", "en": "Conversion rate and average basket"},
    "03-path-to-purchase": {"fr": "Parcours d'achat : jours et visites avant l'achat",
                            "en": "Path to purchase: days and visits before buying"},
    "04-product-pages": {"fr": "Pages produit et taux de rebond", "en": "Product pages and bounce rate"},
    "05-acquisition-cost": {"fr": "Coût d'acquisition et retour sur dépenses publicitaires",
                            "en": "Acquisition cost and return on ad spend"},
    "06-cart-abandonment": {"fr": "Abandon de panier", "en": "Cart abandonment"},
    "07-customer-loyalty": {"fr": "Fidélité : nouveaux clients, réachat et cohortes",
                            "en": "Customer loyalty: new and returning customers, cohorts"},
    "08-site-search": {"fr": "Recherche interne", "en": "Internal site search"},
}

#: Words of the client report's header, table of contents and index.
REPORT_TEXT: dict[str, dict[str, str]] = {
    "report": {"fr": "Rapport de performance e-commerce et réseaux sociaux",
               "en": "E-commerce and social media performance report"},
    "contents": {"fr": "Sommaire", "en": "Contents"},
    "period": {"fr": "Période", "en": "Period"},
    "compared": {"fr": "Comparée à", "en": "Compared with"},
    "previous_period": {"fr": "la période précédente", "en": "the previous period"},
    "previous_year": {"fr": "la même période l'an dernier", "en": "the same period last year"},
    "generated": {"fr": "Généré le", "en": "Generated on"},
    "at": {"fr": "à", "en": "at"},
    "chart": {"fr": "Graphique", "en": "Chart"},
    "index_title": {"fr": "Rapports clients", "en": "Client reports"},
    "client": {"fr": "Client", "en": "Client"},
    "status": {"fr": "État", "en": "Status"},
    "report_links": {"fr": "Rapport", "en": "Report"},
    "ok": {"fr": "à jour", "en": "up to date"},
    "built": {"fr": "généré", "en": "generated"},
    "n_built": {"fr": "généré(s)", "en": "generated"},
    "n_failed": {"fr": "en échec", "en": "failed"},
    "skipped": {"fr": "inchangé (non régénéré)", "en": "unchanged (not regenerated)"},
    "unchanged": {"fr": "inchangé(s)", "en": "unchanged"},
    "failed": {"fr": "échec", "en": "failed"},
    "previous_kept": {"fr": "le rapport précédent est conservé", "en": "the previous report is kept"},
    "no_report": {"fr": "aucun rapport", "en": "no report"},
    "last_run": {"fr": "Dernière exécution", "en": "Last run"},
    "details": {"fr": "détails dans run.json", "en": "details in run.json"},
    "left_out": {"fr": "Absents de ce rapport, faute de données : ", "en": "Left out of this report for lack of data: "},
    "no_data_period": {"fr": "pas de données sur la période", "en": "no data over the period"},
}


#: Month names, for periods written in words ("octobre 2026").
MONTH_NAMES: dict[str, list[str]] = {"fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def label(key: str, language: str = "fr", **fields: Any) -> str:
    """A piece of interface text; ``fields`` fill its ``{placeholders}``."""
    entry = TEXT.get(key) or KPI_LABELS.get(key) or CHANNEL_LABELS.get(key) or DEVICE_LABELS.get(key)
    text = entry[check_language(language)] if entry else key
    return text.format(**fields) if fields else text


def kpi_label(kpi_id: str, language: str = "fr") -> str:
    return KPI_LABELS.get(kpi_id, {}).get(check_language(language), kpi_id)


def channel_label(channel: str, language: str = "fr") -> str:
    return CHANNEL_LABELS.get(channel, {}).get(check_language(language), channel)


def device_label(device: str, language: str = "fr") -> str:
    return DEVICE_LABELS.get(device, {}).get(check_language(language), device)


def _capitalised(value: str) -> str:
    return value[:1].upper() + value[1:]


def platform_label(platform: str, language: str = "fr") -> str:
    """``"instagram"`` -> ``"Instagram"``; a platform the kit does not know gets a capital letter."""
    key = str(platform).strip().lower()
    return PLATFORM_LABELS.get(key, {}).get(check_language(language), _capitalised(str(platform)))


def format_label(fmt: str, language: str = "fr") -> str:
    """``"carousel"`` -> ``"Carrousel"`` (fr) or ``"Carousel"`` (en); an unknown format gets a capital letter."""
    key = str(fmt).strip().lower()
    return FORMAT_LABELS.get(key, {}).get(check_language(language), _capitalised(str(fmt)))


def segment_value_label(key: str, value: Any, language: str = "fr") -> str:
    """The name of one value of a breakdown (``by=channel``, ``device``, ``platform`` or ``format``)."""
    labeller = {"channel": channel_label, "device": device_label, "platform": platform_label,
                "format": format_label}.get(key)
    return labeller(str(value), language) if labeller else str(value)


def table_word(table: str, language: str = "fr") -> str:
    """How a sentence names a contract table's data: ``"carts"`` -> ``"paniers"`` (fr), ``"cart"`` (en)."""
    return TABLE_WORDS.get(table, {}).get(check_language(language), table)


def _column_word(column: str, language: str) -> str:
    word = COLUMN_WORDS.get(column, {}).get(language)
    if word:
        return word
    return f"la colonne « {column} »" if language == "fr" else f"'{column}' column"


_FIXED_REASONS = {
    "not split by channel or device": {"fr": "ces données ne sont pas ventilées par canal ni par appareil",
                                       "en": "these data are not split by channel or device"},
    "ad spend is not split by device": {"fr": "les dépenses publicitaires ne sont pas ventilées par appareil",
                                        "en": "ad spend is not split by device"},
    "segment filters need the sessions table": {"fr": "un filtre de canal ou d'appareil demande les données de visites",
                                                "en": "a channel or device filter needs the session data"},
    "margin_rate not set (client.yml or --margin-rate)": {"fr": "le taux de marge n'est pas renseigné "
                                                                "(margin_rate dans client.yml)",
                                                          "en": "the margin rate is not set (margin_rate in client.yml)"},
}


def reason_text(reason: str, language: str = "fr") -> str:
    """Why a KPI cannot be computed, as a clause for a reader: the kit's reasons
    (``"carts table not provided"``, ``"sessions.landing_page column not provided"``...) name
    tables and columns by their ids; this names the data in words, without nested parentheses:
    ``"ce client ne fournit pas de données de paniers"``, ``"il manque la page d'entrée dans les
    données de visites"``. A reason it does not know is returned as it is."""
    import re

    lang = check_language(language)
    if lang == "fr" and (aggregated := _aggregated_reason_fr(reason)):
        return aggregated
    if reason in _FIXED_REASONS:
        return _FIXED_REASONS[reason][lang]
    m = re.fullmatch(r"(\w+) table not provided", reason)
    if m:
        what = table_word(m.group(1), lang)
        return f"ce client ne fournit pas de données de {what}" if lang == "fr" else f"this client provides no {what} data"
    m = re.fullmatch(r"(\w+)\.(\w+) column not provided", reason) or re.fullmatch(r"(\w+) has no (\w+)(?: or \w+)* column", reason)
    if m:
        table, column = m.group(1), m.group(2)
        if lang == "fr":
            return f"il manque {_column_word(column, lang)} dans les données de {table_word(table, lang)}"
        return f"the {table_word(table, lang)} data has no {_column_word(column, lang)}"
    return reason


#: Reasons from the aggregated tables (kpi_helpers.aggregated, core.VISITS_REASON): pattern -> French.
_AGGREGATED_REASONS_FR = (
    (r"sessions table not provided: the traffic table holds totals .*",
     "ce client ne fournit que des totaux de visites, ceux des rapports téléchargés de GA4, pas les visites "
     "elles-mêmes : les visiteurs et les visites viennent de l'export BigQuery de GA4 ou du journal des visites "
     "de Matomo"),
    (r"searches table not provided: the search_terms table holds .*",
     "ce client ne fournit que les totaux par mot-clé de la recherche interne de Matomo : les recherches visite "
     "par visite viennent du journal des visites de Matomo ou de l'export BigQuery de GA4"),
    (r"the (.+) cover (.+) as one total each; a total is never prorated.*",
     r"les données agrégées couvrent \2 d'un seul bloc ; un total n'est jamais réparti au prorata : choisissez une "
     r"période faite de lignes entières, ou importez le rapport par jour"),
    (r"the (.+) cover (.+) only, not every day of (.+)",
     r"les données agrégées ne couvrent que \2, pas tous les jours \3"),
    (r"the (.+) are not split by (.+) \(import a report with that dimension\)",
     r"les données agrégées ne sont pas ventilées par \2 : importez un rapport avec cette dimension"),
    (r"traffic\.transactions column not provided .*",
     "les rapports téléchargés ne donnent pas de transactions : leurs événements clés comptent toutes les "
     "conversions de la propriété, pas les commandes"),
    (r"the (.+) hold two reports (.+) over the same days \((.+)\): import one of them only",
     r"les données agrégées contiennent deux rapports qui se recouvrent, \3 : n'en importez qu'un"),
    (r"no (.+) for this period \((.+)\)", r"aucune donnée agrégée pour cette période, \2"),
    (r"no (.+) for this period", r"aucune donnée agrégée pour cette période"),
    (r"the Site Search reports \(search_terms\) are .*",
     "les rapports de recherche interne de Matomo sont des totaux par mot-clé : ni par canal, ni par appareil, ni "
     "par jour"),
)


def _aggregated_reason_fr(reason: str) -> str | None:
    import re

    for pattern, fr in _AGGREGATED_REASONS_FR:
        m = re.fullmatch(pattern, reason)
        if m:
            out = re.sub(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", r"du \1 au \2", m.expand(fr))
            words = {"channel": "canal", "device": "appareil", "landing_page": "page d'entrée"}
            return re.sub(r"\b(channel|device|landing_page)\b", lambda w: words[w[1]], out).replace(" and ", " et ")
    return None


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, currency)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: Any, language: str = "fr", decimals: int = 0) -> str:
    """``1234.5`` -> ``"1 234,5"`` (fr, narrow no-break space) or ``"1,234.5"`` (en); null -> ``"–"``;
    a negative number takes the minus sign U+2212 (``"−8,2"``), as every signed change does."""
    if _missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}".replace("-", MINUS)
    if check_language(language) == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def format_percent(value: Any, language: str = "fr", decimals: int = 1, signed: bool = False) -> str:
    """A 0-1 fraction as a percentage: ``0.0213`` -> ``"2,1 %"`` (fr) or ``"2.1%"`` (en)."""
    if _missing(value):
        return "–"
    text = format_number(abs(value) * 100 if signed else value * 100, language, decimals)
    sign = ("+" if value > 0 else MINUS if value < 0 else "") if signed else ""
    return f"{sign}{text}\u00a0%" if language == "fr" else f"{sign}{text}%"


def format_money(value: Any, language: str = "fr", currency: str = "EUR", decimals: int = 2) -> str:
    """``1234.5`` -> ``"1 234,50 €"`` (fr) or ``"€1,234.50"`` (en)."""
    if _missing(value):
        return "–"
    symbol = currency_symbol(currency)
    text = format_number(value, language, decimals)
    return f"{text}\u00a0{symbol}" if language == "fr" else (f"{symbol}{text}" if len(symbol) == 1 else f"{text} {symbol}")


def format_kpi(kpi_id: str, value: Any, *, language: str = "fr", currency: str = "EUR") -> str:
    """A KPI value formatted for its unit and the language."""
    unit = KPI_UNITS.get(kpi_id, "number")
    if _missing(value):
        return "–"
    if unit == "count":
        return format_number(value, language, 0)
    if unit == "money":
        return format_money(value, language, currency, 2)
    if unit == "percent":
        return format_percent(value, language, 2 if abs(value) < 0.1 else 1)
    if unit == "ratio":
        return format_number(value, language, 2) + "\u00a0×"
    if unit == "days":
        return format_number(value, language, 1) + (" j" if language == "fr" else " d")
    if unit == "visits":
        return format_number(value, language, 1)
    return format_number(value, language, 3)


#: The minus sign of every signed change the kit writes (U+2212, as ``format_percent(signed=True)``).
MINUS = "\u2212"


def _half_up(value: float, decimals: int) -> float:
    """Rounded as people round (2.5 -> 3, -2.5 -> -3), not to the even neighbour as ``round`` does."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _sign(value: float) -> str:
    return "+" if value > 0 else MINUS if value < 0 else ""


def format_signed_number(value: Any, language: str = "fr", decimals: int = 0) -> str:
    """A change of a count with its sign: ``-9`` -> ``"−9"``, ``1234`` -> ``"+1 234"`` (fr)."""
    if _missing(value):
        return "–"
    rounded = _half_up(value, decimals)
    return _sign(rounded) + format_number(abs(rounded), language, decimals)


def format_signed_money(value: Any, language: str = "fr", currency: str = "EUR", decimals: int = 0) -> str:
    """A change of money with its sign: ``1693.2`` -> ``"+1 693 €"`` (fr) or ``"+€1,693"`` (en);
    ``-230`` -> ``"−230 €"``."""
    if _missing(value):
        return "–"
    rounded = _half_up(value, decimals)
    return _sign(rounded) + format_money(abs(rounded), language, currency, decimals)


def format_points(value: Any, language: str = "fr", decimals: int = 1, signed: bool = True) -> str:
    """A change of a 0-1 rate in percentage points: ``0.0044`` -> ``"+0,4 pt"`` (fr) or ``"+0.4 pts"``
    (en); ``signed=False`` for a size without its sign (``"0,4 pt"``)."""
    if _missing(value):
        return "–"
    rounded = _half_up(float(value) * 100, decimals)
    unit = "pt" if check_language(language) == "fr" else ("pt" if abs(rounded) == 1 else "pts")
    sign = _sign(rounded) if signed else ""
    return f"{sign}{format_number(abs(rounded) if signed else rounded, language, decimals)}\u00a0{unit}"


def fee_band_label(low: float, high: float | None, language: str = "fr", currency: str = "EUR") -> str:
    """A shipping-fee band for a reader: ``"Gratuits"`` / ``"Free"`` for the band of 0, else
    ``"moins de 5 €"`` / ``"under €5"`` just above it (bands are left-closed: 5 € is in the next one), ``"5–10 €"`` (fr) or ``"€5–10"`` (en), the
    open band ``"15 € et plus"`` / ``"€15+"``."""
    lang = check_language(language)
    if low == 0 and high is not None and high <= 0.01:
        return "Gratuits" if lang == "fr" else "Free"
    symbol = currency_symbol(currency)

    def num(v: float) -> str:
        return "0" if v < 0.01 else format_number(v, lang, 0 if float(v).is_integer() else 2)

    if high is None or math.isinf(high):
        return f"{num(low)}\u00a0{symbol} et plus" if lang == "fr" else f"{symbol}{num(low)}+"
    if low < 0.01:  # just above free: "moins de 5 €", not "0–5 €" next to "Gratuits"
        return f"moins de {num(high)}\u00a0{symbol}" if lang == "fr" else f"under {symbol}{num(high)}"
    return f"{num(low)}–{num(high)}\u00a0{symbol}" if lang == "fr" else f"{symbol}{num(low)}–{num(high)}"


def format_p_value(value: Any, language: str = "fr") -> str:
    """``p = 0,21`` (two decimals from 0.1, three below), ``p < 0,001``; null -> ``"–"``."""
    if _missing(value):
        return "–"
    if value < 0.001:
        return f"p < {format_number(0.001, language, 3)}"
    return f"p = {format_number(value, language, 2 if value >= 0.0995 else 3)}"
