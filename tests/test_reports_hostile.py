"""``kpi report`` against a hostile world: folders it does not own, bad configurations, a client
stuck in its data, personal data in messages, labels that are formulas, a full or read-only disk,
no Chromium. Each refusal is exit status 2 with a message naming the file and what was expected,
no traceback, nothing half-written and no earlier good report replaced.

The disk cases run the command in a private mount namespace (``unshare``, as root) on a tiny
tmpfs; they are skipped where that is not possible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kpi_helpers.reports.output import MARKER

pytestmark = [pytest.mark.xdist_group("reports"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SOCIAL = "01-social-engagement.ipynb"  # the quickest notebook


def kpi_report(config: Path, *args: str, timeout: float = 600, wrap: list[str] | None = None
               ) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kpi_helpers", "report", str(config), "--no-pdf", *args]
    return subprocess.run((wrap or []) + cmd, capture_output=True, text=True, timeout=timeout, cwd=config.parent)


def write_config(path: Path, clients: list[dict], **top) -> Path:
    path.write_text(yaml.safe_dump({"output": "out", "workers": 2, **top, "clients": clients}, allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    return path


def social_client(name: str = "Atelier", **extra) -> dict:
    return {"name": name, "folder": str(SAMPLE / "atelier-brume"), "notebooks": [SOCIAL], **extra}


def refused(proc: subprocess.CompletedProcess, *expected: str) -> None:
    assert proc.returncode == 2, (proc.stdout[-1000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr[-2000:])


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the report folder is the kit's own -----------------------------------------------------------

def test_an_unrelated_existing_folder_is_refused_and_left_untouched(tmp_path):
    out = tmp_path / "out"
    (out / "atelier-brume").mkdir(parents=True)
    (out / "index.html").write_text("<h1>my own page</h1>")
    (out / "run.json").write_text('{"mine": true}')
    (out / "atelier-brume" / "notes.txt").write_text("keep me")
    before = tree(out)
    proc = kpi_report(write_config(tmp_path / "reports.yml", [social_client()]))
    refused(proc, str(out), "kpi report did not write", f"it holds a {MARKER} file")
    assert tree(out) == before


def test_a_plain_file_named_like_a_client_folder_is_refused_before_any_work(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("{}")  # the kit's folder, where someone put a file
    (out / "atelier-brume").write_text("not a folder")
    cfg = write_config(tmp_path / "reports.yml", [social_client(), social_client("Other", id="other")])
    t0 = time.perf_counter()
    proc = kpi_report(cfg)
    refused(proc, str(out / "atelier-brume"), "is a file or a symbolic link where the client's reports go")
    assert time.perf_counter() - t0 < 30 and not (out / "other").exists() and not (out / "index.html").exists()


def test_a_folder_of_an_earlier_batch_is_marked_and_reused(tmp_path):
    cfg = write_config(tmp_path / "reports.yml", [social_client()])
    assert kpi_report(cfg).returncode == 0
    (tmp_path / "out" / MARKER).unlink()  # as a batch of an earlier kit left it
    proc = kpi_report(cfg)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out" / MARKER).is_file() and "1 unchanged" in proc.stdout


# --- configurations ------------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))


@pytest.mark.parametrize("edit, expected", [
    ({"timeout": 120.5}, "invalid timeout 120.5"),
    ({"timeout": float("inf")}, "invalid timeout inf"),
    ({"timeout": float("nan")}, "invalid timeout nan"),
    ({"workers": 1_000_000}, "invalid workers 1000000"),
    ({"period": "2026-02-30"}, "invalid period '2026-02-30'"),
    ({"period": {"start": "2026-02-30", "end": "2026-03-31"}}, "invalid period"),
], ids=["fractional-timeout", "infinite-timeout", "nan-timeout", "a-million-workers", "invalid-month-day",
        "invalid-start"])
def test_a_hostile_configuration_is_refused(tmp_path, edit, expected):
    client = social_client(**{k: v for k, v in edit.items() if k == "period"})
    cfg = write_config(tmp_path / "reports.yml", [client], **{k: v for k, v in edit.items() if k != "period"})
    t0 = time.perf_counter()
    refused(kpi_report(cfg), str(cfg), expected)
    assert time.perf_counter() - t0 < 30 and not (tmp_path / "out").exists()


def test_an_alias_bomb_in_the_configuration_is_refused_at_once(tmp_path):
    cfg = tmp_path / "reports.yml"
    cfg.write_text(BOMB)
    t0 = time.perf_counter()
    refused(kpi_report(cfg), "line 1: anchors and aliases")
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("value", ["120.5", "inf", "nan", "0", "1000000"])
def test_command_line_timeouts_and_workers_outside_their_range_are_refused(tmp_path, value):
    cfg = write_config(tmp_path / "reports.yml", [social_client()])
    proc = kpi_report(cfg, "--timeout", value)
    assert proc.returncode == 2 and "expected seconds, a whole number from 10 to 86,400" in proc.stderr
    proc = kpi_report(cfg, "--workers", value)
    assert proc.returncode == 2 and "a whole number from 1 to 64" in proc.stderr


# --- a client stuck in its data does not take the others down ------------------------------------

def test_a_client_stuck_reading_its_data_fails_at_the_timeout_and_the_others_are_built(tmp_path):
    slow = tmp_path / "slow"
    shutil.copytree(SAMPLE / "atelier-brume", slow)
    with open(slow / "archive.bin", "wb") as fh:  # 60 GB, sparse: minutes to hash, no disk used
        fh.truncate(60 << 30)
    cfg = write_config(tmp_path / "reports.yml", [
        {"name": "Slow", "id": "slow", "folder": str(slow), "notebooks": [SOCIAL]},
        social_client("First", id="first"), social_client("Second", id="second"),
    ], timeout=15, workers=1)
    t0 = time.perf_counter()
    proc = kpi_report(cfg)
    seconds = time.perf_counter() - t0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    status = {r["client"]: r["status"] for r in run["runs"]}
    assert proc.returncode == 1 and status == {"slow": "failed", "first": "ok", "second": "ok"}, proc.stderr[-2000:]
    slow_run = next(r for r in run["runs"] if r["client"] == "slow")
    assert "reading the client's data took longer than 15 s" in slow_run["error"]["message"]
    assert seconds < 120


# --- personal data never reaches the index or run.json -------------------------------------------

def test_validation_messages_in_the_index_and_run_json_quote_no_personal_data(tmp_path):
    client = tmp_path / "leaky"
    client.mkdir()
    (client / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,revenue\n"
        "o1,jean.dupont@example.com,Jean Dupont,marie.curie@example.org\n"
        "o1,CUST-778899,2026-03-02 10:00:00,06 12 34 56 78\n")
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("session_id,visitor_id,started_at\nSECRETLINE,x,y\n")
    (client / "sessions.csv").symlink_to(elsewhere)
    cfg = write_config(tmp_path / "reports.yml", [{"name": "Leaky", "folder": str(client), "notebooks": [SOCIAL]}])
    proc = kpi_report(cfg)
    assert proc.returncode == 1
    written = "\n".join([(tmp_path / "out" / "index.html").read_text(), (tmp_path / "out" / "run.json").read_text(),
                         proc.stdout, proc.stderr])
    assert "leads out of the client folder" in written and "column 'revenue'" in written
    for secret in ("jean", "Dupont", "marie", "example", "06 12", "CUST-778899", "SECRETLINE"):
        assert secret not in written, secret


# --- labels from the data: formulas and very long names ------------------------------------------

def test_dollar_signs_and_very_long_labels_do_not_break_a_report(tmp_path):
    from kpi_helpers.sample import generate_client

    folder = tmp_path / "dollars"
    generate_client(folder, profile="fashion", sessions=1500, seed=5, fmt="csv", start="2026-08-01", end="2026-10-31")
    sessions = pd.read_csv(folder / "sessions.csv", dtype=str, keep_default_na=False)
    sessions.loc[sessions.index % 3 == 0, "channel"] = r"$\frac{promo}{x}$ $$ ^_^ $"
    sessions.loc[sessions.index % 3 == 1, "device"] = "Très long nom d'appareil " * 12
    sessions.to_csv(folder / "sessions.csv", index=False)
    cfg = write_config(tmp_path / "reports.yml", [{"name": "Dollars", "folder": str(folder),
                                                   "notebooks": ["02-conversion-and-basket.ipynb"]}])
    proc = kpi_report(cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = next((tmp_path / "out" / "dollars").glob("*/*.html")).read_text()
    assert r"$\frac{promo}{x}$ $$ ^_^ $" in html  # in the table, whole


# --- disks that cannot take the report (a private mount namespace, as root) ----------------------

def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                          capture_output=True).returncode == 0


needs_unshare = pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare to mount a private tmpfs")


def _in_namespace(tmp_path: Path, setup: str, cfg: Path, after: str, args: str = "") -> subprocess.CompletedProcess:
    """Run ``kpi report`` in a private mount namespace: ``setup`` (shell) first, ``after`` last."""
    script = tmp_path / "run.sh"
    cmd = f"{sys.executable} -m kpi_helpers report {cfg} --no-pdf {args}"
    script.write_text(textwrap.dedent(f"""\
        set -u
        {setup}
        cd {cfg.parent}
        {cmd} > {tmp_path}/stdout 2> {tmp_path}/stderr
        echo $? > {tmp_path}/rc
        {after}
        """))
    return subprocess.run(["unshare", "-m", "sh", str(script)], capture_output=True, text=True, timeout=600)


def _previous_good_report(tmp_path: Path) -> tuple[Path, dict]:
    """A first successful batch, copied aside (to be put on the small disk)."""
    cfg = write_config(tmp_path / "reports.yml", [social_client()])
    assert kpi_report(cfg).returncode == 0
    good = tmp_path / "good"
    shutil.copytree(tmp_path / "out", good)
    shutil.rmtree(tmp_path / "out")
    (tmp_path / "out").mkdir()
    return cfg, tree(good)


@needs_unshare
def test_a_read_only_report_folder_is_refused_and_the_earlier_report_stays(tmp_path):
    cfg, before = _previous_good_report(tmp_path)
    out, snap = tmp_path / "out", tmp_path / "snap"
    _in_namespace(tmp_path, f"mount -t tmpfs -o size=8m tmpfs {out} && cp -a {tmp_path}/good/. {out}/ "
                            f"&& mount -o remount,ro {out}",
                  cfg, f"cp -a {out} {snap}")
    rc = int((tmp_path / "rc").read_text())
    stderr = (tmp_path / "stderr").read_text()
    assert rc == 2 and "Traceback" not in stderr, stderr[-2000:]
    assert "cannot write into the report folder: it is on a read-only file system" in stderr and str(out) in stderr
    assert tree(snap) == before


@needs_unshare
def test_a_full_disk_fails_cleanly_the_earlier_report_stays_and_run_json_claims_no_success(tmp_path):
    cfg, before = _previous_good_report(tmp_path)
    out, snap = tmp_path / "out", tmp_path / "snap"
    # the disk holds the earlier report and little more; --force makes the batch rebuild it
    used = sum(len(v) for v in before.values())
    _in_namespace(tmp_path, f"mount -t tmpfs -o size={used + (200 << 10)} tmpfs {out} && cp -a {tmp_path}/good/. {out}/",
                  cfg, f"cp -a {out} {snap}", args="--force")
    rc = int((tmp_path / "rc").read_text())
    stderr = (tmp_path / "stderr").read_text()
    assert rc == 2 and "Traceback" not in stderr, stderr[-3000:]
    assert f"{out}: cannot write into the report folder: the disk is full" in stderr
    after = tree(snap)
    assert {k: v for k, v in after.items() if k.startswith("atelier-brume/2026-")} == \
        {k: v for k, v in before.items() if k.startswith("atelier-brume/2026-")}  # the earlier report is intact
    assert not [k for k in after if k.endswith(".tmp")]  # no stray temporary file
    assert json.loads(after["run.json"])["status"] == "running"  # never the earlier batch's "ok"


# --- a machine without Chromium -------------------------------------------------------------------

@needs_unshare
def test_without_chromium_the_html_reports_are_made_with_one_line_on_how_to_get_the_pdfs(tmp_path):
    cfg = write_config(tmp_path / "reports.yml", [social_client()])
    hide = " ; ".join(f"[ -e {p} ] && mount --bind /dev/null {p}" for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"))
    cmd = f"{sys.executable} -m kpi_helpers report {cfg}"  # PDFs asked for, as `make report` does
    proc = subprocess.run(["unshare", "-m", "sh", "-c", f"{hide}; cd {tmp_path} && env -u KPI_CHROMIUM {cmd}"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = [line for line in proc.stderr.splitlines() if "PDF" in line]
    assert notes == ["note: HTML reports only; for the PDFs install Debian's Chromium (sudo apt-get install chromium, "
                     "or set KPI_CHROMIUM to a Chromium binary)"]
    assert list((tmp_path / "out" / "atelier-brume").glob("*/*.html")) and not list(
        (tmp_path / "out" / "atelier-brume").glob("*/*.pdf"))
