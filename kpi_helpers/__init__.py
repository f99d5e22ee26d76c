"""kpi-kit helpers: load a client folder, compute e-commerce and social-media KPIs, draw them.

The notebooks call these functions; every number they show comes from here.
"""

from .contract import TABLES
from .errors import KpiInputError, Problem
from .loading import Client, Settings, as_client, client_from_frames, load_client
from .paths import PROJECT_ROOT, REPORTS_DIR, SAMPLE_DIR, resolve_client_dir, sample_client, sample_clients

# The KPI modules, one per theme (importing them registers every KPI id for core.compute)
from . import acquisition, aggregated, carts, customers, path_to_purchase, product_pages, scorecard, search, social, traffic  # noqa: E402
from .core import KPIS, compute  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "KPIS",
    "TABLES",
    "acquisition",
    "carts",
    "compute",
    "customers",
    "path_to_purchase",
    "product_pages",
    "scorecard",
    "search",
    "social",
    "traffic",
    "Client",
    "KpiInputError",
    "Problem",
    "Settings",
    "as_client",
    "client_from_frames",
    "load_client",
    "PROJECT_ROOT",
    "REPORTS_DIR",
    "SAMPLE_DIR",
    "resolve_client_dir",
    "sample_client",
    "sample_clients",
]

# Known, harmless deprecation notices raised inside Ibis by newer DuckDB and pandas releases:
# silenced here (scoped to Ibis's own modules) so that notebooks and reports stay free of noise.
import warnings as _warnings

_warnings.filterwarnings("ignore", message=r"fetch_arrow_table\(\) is deprecated", category=DeprecationWarning)
_warnings.filterwarnings("ignore", message=r"The 'future.infer_string' option is deprecated", module=r"ibis\.")
