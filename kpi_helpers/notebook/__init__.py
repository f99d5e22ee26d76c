"""What the notebooks call: parameter validation, views (heading, chart, table, reading note),
the widget explorer and exercise checks.

A notebook's ``parameters`` cell holds literals; the next cell is ``ctx = nb.setup(...)``, which
validates every parameter and loads the client once. Each section then calls one view, such as
``nb.breakdown(ctx, "conversion_rate", by="channel")``, which shows a heading, a chart, a table and
a short note on how to read it, in the client's language. When the client lacks the table a view
needs, the view says so in one sentence instead of failing.

Views display their output (they are presentation, not computation): every number comes from the
KPI functions of the theme modules.

The package is split by role: ``context`` (parameters and :func:`setup`), ``display`` (the small
display helpers and exercise checks), ``views`` (one view per KPI or theme), ``changes`` (what
changed and why) and ``explore`` (the widgets).
"""

from .changes import conversion_mix, noise_example, revenue_effects, significance, what_changed
from .context import COMPARES, Context, _segment_values, setup
from .display import auto_freq, check, note
from .explore import DATE_SETTLE, _Later, explore, render_html, view
from .views import (SCORECARD_GROUPS, acquisition, bounce_pages, breakdown, cohorts, headline, kpi_table,
                    new_vs_returning, path_distribution, scorecard, shipping_bands, trend, trends,
                    zero_result_queries)

__all__ = [
    "Context", "setup", "scorecard", "SCORECARD_GROUPS", "headline", "breakdown", "trend", "trends", "path_distribution", "bounce_pages",
    "acquisition", "shipping_bands", "new_vs_returning", "cohorts", "zero_result_queries", "explore", "view",
    "check", "note", "auto_freq", "kpi_table", "what_changed", "revenue_effects", "conversion_mix", "significance",
    "noise_example",
]
