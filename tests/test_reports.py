"""``kpi report``: batches of client reports (HTML and PDF), isolation, incremental runs, hostile text.

The end-to-end runs are shared: one batch of three clients (a sample client, a client whose data
holds markup and scripts, a broken client), one small client run four times (build, unchanged,
``--force``, broken data), and one batch with a failing and a stalling notebook (processes
executor). Browser checks use Debian's Chromium through Playwright and skip when it is absent.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
import yaml

from kpi_helpers.errors import KpiInputError
from kpi_helpers.reports.config import load_config, slugify
from kpi_helpers.reports.pdf import find_chromium
from kpi_helpers.reports.render import EXCLUDED_TAGS
from kpi_helpers.reports.sanitize import MAX_CELL_CHARS, sanitize_html

# one xdist worker runs this whole module (with --dist loadgroup), so the shared batches run once
pytestmark = pytest.mark.xdist_group("reports")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CHROMIUM = find_chromium()
try:
    import playwright  # noqa: F401

    HAVE_PLAYWRIGHT = True
except ImportError:
    HAVE_PLAYWRIGHT = False
PDF = bool(CHROMIUM and HAVE_PLAYWRIGHT)
needs_browser = pytest.mark.skipif(not PDF, reason="needs Chromium at /usr/bin/chromium (or $KPI_CHROMIUM) and the "
                                                   "playwright package (apt-get install chromium; pip install playwright)")

HOSTILE_NAME = '<b>Bold</b> & "Co" <script>alert("name")</script> 🎉 \u200fمرحبا'
HOSTILE_QUERIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"double\" & 'single' quotes",
    "robe 🎉🔥 emoji",
    "\u200fفستان rtl",
    "z" * 5000,
]
HOSTILE_PAGE = "/produits/<script>alert('page')</script>-\"quoted\"-" + "w" * 3000
SECRET_CUSTOMER = "CUSTSECRET"


def kpi_report(config: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    if not PDF:
        args = (*args, "--no-pdf")
    return subprocess.run([sys.executable, "-m", "kpi_helpers", "report", str(config), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=config.parent)


def write_config(path: Path, clients: list[dict], **top) -> Path:
    path.write_text(yaml.safe_dump({"output": "out", "workers": 2, **top, "clients": clients}, allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    return path


def make_hostile_client(folder: Path) -> Path:
    """A small generated client whose texts hold markup, scripts, quotes, emoji, RTL marks, 5,000 characters."""
    from kpi_helpers.sample import generate_client

    generate_client(folder, profile="fashion", sessions=1500, seed=11, fmt="csv", start="2026-08-01", end="2026-10-31")
    settings = yaml.safe_load((folder / "client.yml").read_text(encoding="utf-8"))
    settings["name"] = HOSTILE_NAME
    (folder / "client.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    sessions = pd.read_csv(folder / "sessions.csv", dtype=str, keep_default_na=False)
    october = sessions.index[sessions["started_at"].str.startswith("2026-10")]
    hostile = october[:60]
    sessions.loc[hostile, "landing_page"] = HOSTILE_PAGE
    sessions.loc[hostile, "landing_page_title"] = "<img src=x onerror=alert('title')> Titre"
    sessions.loc[hostile, "campaign"] = "<script>alert('campaign')</script>"
    sessions.to_csv(folder / "sessions.csv", index=False)
    searches = pd.read_csv(folder / "searches.csv", dtype=str, keep_default_na=False)
    sid = sessions.loc[october[0], "session_id"]
    extra = pd.DataFrame([{"searched_at": f"2026-10-1{k % 9} 12:{k % 60:02d}:00", "session_id": sid, "query": q,
                           "results_count": "0"} for q in HOSTILE_QUERIES for k in range(25)])
    pd.concat([searches, extra], ignore_index=True).to_csv(folder / "searches.csv", index=False)
    orders = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    ids = {c: f"{SECRET_CUSTOMER}{i:05d}" for i, c in enumerate(sorted(set(orders["customer_id"])))}
    orders["customer_id"] = orders["customer_id"].map(ids)
    orders.to_csv(folder / "orders.csv", index=False)
    return folder


def strip_images(text: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "data:", text)


def expected_charts(notebook_dir: Path, names: list[str]) -> int:
    """PNG outputs of the cells a report keeps, counted from the executed notebooks themselves."""
    n = 0
    for name in names:
        nb = nbformat.read(notebook_dir / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and not set(cell.metadata.get("tags", [])) & EXCLUDED_TAGS:
                n += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    return n


# ----------------------------------------------------------------------------------------------
# Fast: configuration and the sanitizer


def test_a_configuration_with_mistakes_lists_every_problem(tmp_path):
    cfg = write_config(tmp_path / "r.yml", [
        {"name": "A", "folder": "a", "period": "last-week", "notebooks": ["99-nope.ipynb"], "language": "de",
         "margin_rate": 45, "colour": "blue"},
        {"name": "B", "folder": "a"},
    ], typo=1)
    with pytest.raises(KpiInputError) as info:
        load_config(cfg)
    text = info.value.render()
    for expected in ("unknown key 'typo'", "invalid period 'last-week'", "unknown notebook '99-nope.ipynb'",
                     "invalid language 'de'", "invalid margin_rate 45", "unknown key 'colour'", "share the id 'a'"):
        assert expected in text


def test_a_bad_configuration_exits_2_without_traceback(tmp_path):
    (tmp_path / "r.yml").write_text("clients: [unclosed\n", encoding="utf-8")
    proc = kpi_report(tmp_path / "r.yml")
    assert proc.returncode == 2
    assert "not valid YAML" in proc.stderr and "Traceback" not in proc.stderr


def test_only_an_unknown_client_exits_2(tmp_path):
    cfg = write_config(tmp_path / "r.yml", [{"name": "Maison Lune", "folder": str(SAMPLE / "maison-lune")}])
    proc = kpi_report(cfg, "--only", "nobody")
    assert proc.returncode == 2 and "--only nobody: no such client" in proc.stderr and "maison-lune" in proc.stderr
    assert not (tmp_path / "out" / "run.json").exists()


def test_a_configuration_reads_periods_notebooks_and_defaults(tmp_path):
    cfg = write_config(tmp_path / "r.yml", [
        {"name": "Maison Lune", "folder": str(SAMPLE / "maison-lune"), "period": "2026-09",
         "notebooks": ["08-site-search.ipynb", "00-overview"]},
        {"name": "Other", "id": "other", "folder": str(SAMPLE / "maison-lune"),
         "period": {"start": "2026-10-01", "end": "2026-10-15"}, "language": "en", "compare": "none"},
    ])
    config = load_config(cfg)
    a, b = config.clients
    assert a.id == "maison-lune" and a.language == "fr" and a.compare == "previous_period"
    assert [p.name for p in a.notebooks] == ["00-overview.ipynb", "08-site-search.ipynb"]  # course order
    assert a.period[0].isoformat() == "2026-09-01" and a.period[1].isoformat() == "2026-09-30"
    assert b.period[1].isoformat() == "2026-10-15" and b.compare is None and len(b.notebooks) == 9
    assert config.output == tmp_path / "out"
    assert slugify("<b>Été</b> & Co") == "b-ete-b-co"


def test_a_client_runs_the_edition_in_its_language(tmp_path):
    (tmp_path / "en-client").mkdir()
    (tmp_path / "en-client" / "client.yml").write_text("language: en\n", encoding="utf-8")
    cfg = load_config(write_config(tmp_path / "reports.yml", [
        {"name": "A", "folder": str(SAMPLE / "maison-lune"), "notebooks": ["00-overview.ipynb"]},
        {"name": "B", "folder": str(SAMPLE / "maison-lune"), "id": "b", "language": "en", "notebooks": "all"},
        {"name": "C", "folder": "en-client", "notebooks": ["08-site-search"]},
    ]))
    a, b, c = cfg.clients
    assert [p.relative_to(ROOT).as_posix() for p in a.notebooks] == ["notebooks/fr/00-overview.ipynb"]
    assert {p.parent.name for p in b.notebooks} == {"en"} and len(b.notebooks) == 9
    assert [p.relative_to(ROOT).as_posix() for p in c.notebooks] == ["notebooks/en/08-site-search.ipynb"]  # client.yml


def test_a_theme_without_data_is_left_out_and_said_in_one_line_of_the_cover():
    import datetime as dt

    from kpi_helpers.loading import load_client
    from kpi_helpers.reports.render import build_report, split_themes
    from kpi_helpers.scorecard import scorecard

    nbs = [(p, nbformat.read(p, as_version=4)) for p in sorted((ROOT / "notebooks" / "fr").glob("0*.ipynb"))]
    card = scorecard(load_client(SAMPLE / "atelier-brume"), start="2026-10-01", end="2026-10-31")
    kept, left_out = split_themes(nbs, card, "fr")
    assert [p.stem for p, _ in kept] == ["00-overview", "01-social-engagement"]  # a social-only client
    assert len(left_out) == 7
    page = build_report(client_name="Atelier Brume", language="fr", start=dt.date(2026, 10, 1),
                        end=dt.date(2026, 10, 31), compare=None, comparison=None, notebooks=kept,
                        generated_at=dt.datetime(2026, 11, 2, 9, 0), left_out=left_out)
    assert page.html.count('<section class="theme"') == 2 and page.themes == ["Vue d'ensemble", "Engagement sur les réseaux sociaux"]
    line = re.search(r'<p class="kpi-left-out">(.*?)</p>', page.html).group(1)
    assert line.startswith("Absents de ce rapport, faute de données : Taux de conversion et panier moyen, ")
    assert "Abandon de panier (ce client ne fournit pas de données de paniers)" in line
    assert "Recherche interne (ce client ne fournit pas de données de recherches internes)." in line
    assert page.html.count('class="kpi-left-out"') == 1
    # a client with every table keeps every theme
    full = scorecard(load_client(SAMPLE / "maison-lune"), start="2026-10-01", end="2026-10-31")
    assert split_themes(nbs, full, "fr") == (nbs, [])


def test_the_sanitizer_keeps_presentation_and_drops_everything_else():
    dirty = ('<h3 class="kpi-heading" onclick="x()">Titre <script>alert(1)</script></h3>'
             '<table class="dataframe kpi-table" style="color:red"><tr><td colspan="2">a<img src=x onerror=alert(1)>b</td>'
             f'<td>{"y" * 1000}</td></tr></table></section></main><a href="javascript:alert(1)">lien</a>'
             '<style>body{display:none}</style><iframe src="http://evil"></iframe><p>&lt;script&gt; stays text</p><div>')
    out = sanitize_html(dirty, heading_id=lambda: "s-1")
    html = out.html
    assert "<script" not in html and "onerror" not in html and "onclick" not in html and "style" not in html
    assert "<iframe" not in html and "<a " not in html and "javascript:" not in html and "</section>" not in html
    assert '<h3 class="kpi-heading" id="s-1">Titre </h3>' in html
    assert '<td colspan="2">ab</td>' in html and "lien" in html
    flat = html.replace("<wbr>", "")
    assert "y" * MAX_CELL_CHARS + "…" in flat and "y" * (MAX_CELL_CHARS + 1) not in flat
    assert "y" * 17 not in html  # long tokens in a table cell may wrap
    assert "<p>&lt;script&gt; stays text</p>" in html and html.endswith("<div></div>")
    assert out.headings == [("s-1", "Titre")]


def test_a_build_is_swapped_into_place_atomically(tmp_path):
    from kpi_helpers.reports.batch import swap_into_place

    final, build = tmp_path / "2026-10", tmp_path / ".tmp-2026-10"
    final.mkdir()
    (final / "old.txt").write_text("old")
    build.mkdir()
    (build / "new.txt").write_text("new")
    swap_into_place(build, final)
    assert (final / "new.txt").read_text() == "new" and not (final / "old.txt").exists() and not build.exists()
    other = tmp_path / ".tmp-2"
    other.mkdir()
    swap_into_place(other, tmp_path / "2026-11")  # nothing there before: a plain rename
    assert (tmp_path / "2026-11").is_dir()


def test_a_kernel_that_fails_to_start_is_a_failure_that_says_so(tmp_path, monkeypatch):
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    from kpi_helpers.reports.execute import NotebookJob, run_notebook

    async def broken(self, cmd, **kw):
        raise OSError(errno.ENOEXEC, "Exec format error")

    monkeypatch.setattr(LocalProvisioner, "launch_kernel", broken)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1 + 1\nx")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    res = run_notebook(NotebookJob("c", str(tmp_path / "tiny.ipynb"), str(tmp_path / "out" / "tiny.ipynb"), {}, 60))
    assert res["status"] == "failed" and res["error"]["status"] == "start-failed"
    assert "Exec format error" in res["error"]["evalue"] and res["kernel_start_seconds"] is None


# ----------------------------------------------------------------------------------------------
# One batch of three clients: a sample client, a hostile client, a broken client


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    make_hostile_client(base / "hostile")
    shutil.copytree(ROOT / "tests" / "broken_clients" / "negative-revenue", base / "broken")
    cfg = write_config(base / "reports.yml", [
        {"name": "Maison Lune", "folder": str(SAMPLE / "maison-lune"), "notebooks": ["00-overview.ipynb", "08-site-search.ipynb"]},
        {"name": HOSTILE_NAME, "id": "hostile", "folder": "hostile",
         "notebooks": ["00-overview.ipynb", "04-product-pages.ipynb", "08-site-search.ipynb"]},
        {"name": "Broken", "folder": "broken", "notebooks": ["00-overview.ipynb"]},
    ])
    t0 = time.perf_counter()
    proc = kpi_report(cfg)
    out = base / "out"
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    runs = {r["client"]: r for r in run["runs"]}

    def html(cid: str) -> str:
        return (out / runs[cid]["html"]).read_text(encoding="utf-8")

    return SimpleNamespace(base=base, out=out, proc=proc, run=run, runs=runs, html=html, seconds=time.perf_counter() - t0)


@pytest.mark.slow
def test_a_broken_client_fails_alone_and_the_batch_exits_1(batch):
    assert batch.proc.returncode == 1, batch.proc.stderr
    assert batch.runs["maison-lune"]["status"] == "ok" and batch.runs["hostile"]["status"] == "ok"
    broken = batch.runs["broken"]
    assert broken["status"] == "failed" and broken["html"] is None
    assert "orders.csv, column 'revenue'" in broken["error"]["message"] and "below 0" in broken["error"]["message"]
    assert not (batch.out / "broken").exists() or not any(p for p in (batch.out / "broken").iterdir() if not p.name.startswith("."))
    for cid in ("maison-lune", "hostile"):
        r = batch.runs[cid]
        assert (batch.out / r["html"]).is_file()
        if PDF:
            assert (batch.out / r["pdf"]).read_bytes()[:5] == b"%PDF-"
        assert r["period"] == "2026-10" and r["duration_seconds"] > 0
        assert all(n["status"] == "ok" and n["cells_seconds"] > 0 for n in r["notebooks"])
    assert "FAILED broken" in batch.proc.stderr


@pytest.mark.slow
def test_run_json_and_the_index_describe_every_client(batch):
    assert batch.run["status"] == "failed" and batch.run["counts"] == {"ok": 2, "skipped": 0, "failed": 1}
    index = (batch.out / "index.html").read_text(encoding="utf-8")
    assert "Maison Lune" in index and "Broken" in index and "échec" in index
    card = json.loads((batch.out / "maison-lune" / "2026-10" / "scorecard.json").read_text(encoding="utf-8"))
    from kpi_helpers.labels import format_kpi

    for kpi in ("sessions", "revenue", "conversion_rate"):
        assert format_kpi(kpi, card["kpis"][kpi], language="fr") in index
    assert 'href="maison-lune/2026-10/maison-lune-2026-10.html"' in index
    assert "<b>Bold</b>" not in index and "&lt;b&gt;Bold&lt;/b&gt;" in index and "<script" not in index


@pytest.mark.slow
def test_the_report_has_no_code_prompt_widget_exercise_teaching_or_setup_output(batch):
    html = batch.html("maison-lune")
    for forbidden in ("nb.setup", "import kpi_helpers", "nb.scorecard(", "In&nbsp;[", "In [", "jp-InputPrompt",
                      "input_prompt", "widget-view", "application/vnd.jupyter", "Pas encore de réponse", "Exercise",
                      "Explore", "The business question", "La question métier", "Comment utiliser", "How to read this.", "**Maison Lune**", "<script"):
        assert forbidden not in html, forbidden
    for name in ("00-overview.ipynb", "08-site-search.ipynb"):
        nb = nbformat.read(batch.out / "maison-lune" / "2026-10" / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if cell.cell_type == "markdown" or tags & {"teaching", "exercise", "explore"}:
                first = next((line for line in cell.source.splitlines() if len(line) > 25), None)
                assert first is None or first not in html
            if "setup" in tags:  # its summary (client, period, comparison) is not in the report
                for out in cell.outputs:
                    assert out.get("data", {}).get("text/markdown", "") not in html


@pytest.mark.slow
def test_the_report_has_contents_name_period_and_generation_date(batch):
    html = batch.html("maison-lune")
    assert "<title>Maison Lune — octobre 2026</title>" in html and "<h1>Maison Lune</h1>" in html
    assert '<nav class="toc"' in html and 'href="#theme-1"' in html and 'href="#theme-2"' in html
    assert "1. Vue d&#x27;ensemble" in html and "2. Recherche interne" in html
    assert "Généré le" in html and "la période précédente (31/08/2026 → 30/09/2026)" in html  # 31 days before
    assert 'http-equiv="Content-Security-Policy"' in html


@pytest.mark.slow
def test_hostile_text_is_shown_as_text(batch):
    html = batch.html("hostile").replace("<wbr>", "")  # break opportunities in long table cells
    lower = html.lower()
    assert "<script" not in lower and "<img src=x" not in lower and "<b>bold" not in lower
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&quot;double&quot; &amp; &#x27;single&#x27; quotes" in html or '"double" &amp; \'single\' quotes' in html
    assert "🎉🔥" in html and "\u200f" in html
    assert "z" * 100 in html and "z" * 200 not in html  # the 5,000-character query, shortened
    assert "/produits/&lt;script&gt;alert(&#x27;page&#x27;)&lt;/script&gt;" in html or \
           "/produits/&lt;script&gt;alert('page')&lt;/script&gt;" in html
    assert "w" * (MAX_CELL_CHARS + 50) not in html  # the 3,000-character page, shortened in its table cell
    assert "<title>&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot; &lt;script&gt;" in html
    assert "<h1>&lt;b&gt;Bold&lt;/b&gt;" in html


@pytest.mark.slow
def test_customer_ids_never_appear_in_a_report(batch):
    hostile = strip_images(batch.html("hostile"))
    assert SECRET_CUSTOMER not in hostile
    ml = strip_images(batch.html("maison-lune"))
    orders = pd.read_csv(SAMPLE / "maison-lune" / "orders.csv.gz", dtype=str)
    sessions = pd.read_csv(SAMPLE / "maison-lune" / "sessions.csv.gz", dtype=str, usecols=["visitor_id"])
    ids = set(orders["customer_id"].dropna()) | set(orders["visitor_id"].dropna()) | set(sessions["visitor_id"].dropna())
    words = set(re.findall(r"[0-9A-Za-z]+", ml))
    assert not ids & words


@pytest.mark.slow
def test_a_report_holds_nothing_from_another_client(batch):
    ml, hostile = batch.html("maison-lune"), batch.html("hostile")
    assert "alert(" not in ml and "Bold" not in ml and "🎉" not in ml
    assert "Maison Lune" not in hostile


@needs_browser
@pytest.mark.slow
def test_the_report_in_chromium_runs_nothing_fetches_nothing_and_shows_every_chart(batch):
    from playwright.sync_api import sync_playwright

    from kpi_helpers.reports.pdf import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for cid, names in (("hostile", ["00-overview.ipynb", "04-product-pages.ipynb", "08-site-search.ipynb"]),
                               ("maison-lune", ["00-overview.ipynb", "08-site-search.ipynb"])):
                page = browser.new_page()
                requests, console, errors, dialogs = [], [], [], []

                def record(route, request, requests=requests):
                    requests.append(request.url)
                    route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()

                page.route("**/*", record)
                page.on("console", lambda m, console=console: console.append(m) if m.type == "error" else None)
                page.on("pageerror", lambda e, errors=errors: errors.append(e))
                page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
                report = batch.out / batch.runs[cid]["html"]
                page.goto(report.as_uri(), wait_until="load")
                assert not [m.text for m in console] and not errors and not dialogs
                assert all(u.startswith(("file:", "data:")) for u in requests), requests
                widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
                assert widths and all(w > 0 for w in widths)
                assert len(widths) == expected_charts(report.parent / "notebooks", names)
                assert len(widths) == json.loads((report.parent / "manifest.json").read_text())["charts"]
                assert page.evaluate("document.scripts.length") == 0
                page.close()
            page = browser.new_page()
            console = []
            page.on("console", lambda m: console.append(m) if m.type == "error" else None)
            page.goto((batch.out / "index.html").as_uri(), wait_until="load")
            hrefs = page.eval_on_selector_all("a[href$='.html'], a[href$='.pdf']", "as => as.map(a => a.href)")
            assert len(hrefs) == 4 and not console
            assert all(Path(h.replace("file://", "")).is_file() for h in hrefs)
        finally:
            browser.close()


@needs_browser
@pytest.mark.slow
def test_the_pdf_is_a4_and_names_the_client(batch):
    pdf = (batch.out / batch.runs["maison-lune"]["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12]", pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3


# ----------------------------------------------------------------------------------------------
# One small client, every notebook: build, unchanged, --force, broken data


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    base = tmp_path_factory.mktemp("chain")
    shutil.copytree(SAMPLE / "atelier-brume", base / "atelier-brume")
    cfg = write_config(base / "reports.yml", [{"name": "Atelier Brume", "folder": "atelier-brume", "notebooks": "all"}])
    out = base / "out"
    report = out / "atelier-brume" / "2026-10" / "atelier-brume-2026-10.html"
    steps = {}
    for step, args in (("build", ()), ("unchanged", ()), ("force", ("--force",))):
        t0 = time.perf_counter()
        proc = kpi_report(cfg, *args)
        steps[step] = SimpleNamespace(proc=proc, seconds=time.perf_counter() - t0,
                                      run=json.loads((out / "run.json").read_text(encoding="utf-8")),
                                      html=report.read_bytes(), mtime=report.stat().st_mtime_ns)
    (base / "atelier-brume" / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue\n1,c1,2026-10-02,-5\n")
    proc = kpi_report(cfg)
    steps["broken"] = SimpleNamespace(proc=proc, run=json.loads((out / "run.json").read_text(encoding="utf-8")),
                                      html=report.read_bytes())
    return SimpleNamespace(out=out, steps=steps, report=report)


@pytest.mark.slow
def test_every_notebook_of_a_client_makes_one_report(chain):
    build = chain.steps["build"]
    assert build.proc.returncode == 0, build.proc.stderr
    run = build.run["runs"][0]
    assert run["status"] == "ok" and len(run["notebooks"]) == 9  # every notebook ran
    html = build.html.decode()
    # a social-only client: the overview and the social theme, the 7 others named in one line of the cover
    assert html.count('<section class="theme"') == 2 and len(re.findall(r'href="#theme-\d+"', html)) == 2
    assert html.count('class="kpi-left-out">Absents de ce rapport, faute de données : ') == 1
    assert "Engagement sur les réseaux sociaux" in html and "nb.explore" not in html
    assert (chain.report.parent / "notebooks" / "00-overview.ipynb").is_file()


@pytest.mark.slow
def test_an_unchanged_client_is_skipped_and_force_redoes_it(chain):
    unchanged, force = chain.steps["unchanged"], chain.steps["force"]
    assert unchanged.proc.returncode == 0 and unchanged.run["runs"][0]["status"] == "skipped"
    assert unchanged.mtime == chain.steps["build"].mtime and unchanged.run["totals"]["notebooks"] == 0
    assert unchanged.seconds < chain.steps["build"].seconds / 2
    assert force.proc.returncode == 0 and force.run["runs"][0]["status"] == "ok"
    assert force.run["totals"]["notebooks"] == 9 and force.mtime != unchanged.mtime


@pytest.mark.slow
def test_a_failed_run_keeps_the_previous_good_report(chain):
    broken = chain.steps["broken"]
    assert broken.proc.returncode == 1
    run = broken.run["runs"][0]
    assert run["status"] == "failed" and "revenue" in run["error"]["message"]
    assert broken.html == chain.steps["force"].html  # byte for byte
    manifest = json.loads((chain.report.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    index = (chain.out / "index.html").read_text(encoding="utf-8")
    assert "échec" in index and "le rapport précédent est conservé" in index
    assert "atelier-brume-2026-10.html" in index
    assert not [p for p in (chain.out / "atelier-brume").iterdir() if p.name.startswith(".tmp-")]


# ----------------------------------------------------------------------------------------------
# A failing notebook and a stalling one (processes executor)


def _with_cell(src: Path, dest: Path, code: str) -> None:
    nb = nbformat.read(src, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, dest)


@pytest.mark.slow
def test_a_failing_cell_and_a_stall_are_recorded_and_a_stall_is_killed_at_its_deadline(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _with_cell(ROOT / "notebooks" / "fr" / "01-social-engagement.ipynb", nbs / "50-boom.ipynb",
               'raise ValueError("boom in the report")')
    _with_cell(ROOT / "notebooks" / "fr" / "01-social-engagement.ipynb", nbs / "60-stall.ipynb",
               "import time\ntime.sleep(3600)  # a kernel that never answers")
    folder = str(SAMPLE / "atelier-brume")
    cfg = write_config(tmp_path / "reports.yml", [
        {"name": "Boom", "id": "boom", "folder": folder, "notebooks": ["50-boom.ipynb"]},
        {"name": "Stall", "id": "stall", "folder": folder, "notebooks": ["60-stall.ipynb"]},
    ], notebooks_dir="notebooks")
    t0 = time.perf_counter()
    proc = kpi_report(cfg, "--timeout", "20", "--executor", "processes", "--no-pdf")
    seconds = time.perf_counter() - t0
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    runs = {r["client"]: r for r in run["runs"]}
    assert proc.returncode == 1 and run["executor"] == "processes"
    boom = runs["boom"]
    assert boom["status"] == "failed"
    err = boom["error"]
    assert err["ename"] == "ValueError" and "boom in the report" in err["evalue"]
    assert err["cell_index"] == 6 and 'raise ValueError("boom in the report")' == err["cell_source"]
    assert "50-boom.ipynb in cell 6: ValueError" in err["message"]
    assert not (tmp_path / "out" / "boom" / "2026-10").exists()
    stall = runs["stall"]
    assert stall["status"] == "failed"
    err = stall["notebooks"][0]["error"]
    assert err["status"] == "timeout" and err["cell_index"] == 6 and "time.sleep(3600)" in err["cell_source"]
    assert "no result after 20 s (deadline, during cell 6)" in stall["error"]["message"]
    assert "line 2 in <module>" in err["kernel_log"]  # the kernel's stack (SIGUSR1 before the kill): the sleep
    assert run["timeouts"] == [{"client": "stall", "notebook": "60-stall.ipynb", "stage": "cell 6", "cell_index": 6,
                                "seconds": stall["notebooks"][0]["seconds"]}]
    assert 20 <= stall["notebooks"][0]["seconds"] < 30 and seconds < 60
