"""Loading client folders: formats, French exports, identifiers, timestamps, and clear errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kpi_helpers import KpiInputError, client_from_frames, load_client
from kpi_helpers.paths import SAMPLE_DIR, sample_clients

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_clients"
BROKEN_CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())

SESSIONS = (
    "session_id,visitor_id,started_at,channel,device,pageviews\n"
    "0001,000042,2024-03-30 12:00:00,organic_search,mobile,1\n"
    "0123.456,000042,2024-03-31T12:00:00+02:00,,desktop,3\n"
    "3,v3,2024-03-31T21:30:00Z,paid_search,,2\n"
)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi_helpers", *args], capture_output=True, text=True, cwd=ROOT)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# --- identifiers and timestamps --------------------------------------------------------------

def test_identifiers_stay_strings_with_leading_zeros_and_dots(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    s = load_client(tmp_path).tables["sessions"].order_by("started_at").to_pandas()
    assert s.session_id.tolist() == ["0001", "0123.456", "3"]
    assert s.visitor_id.tolist()[:2] == ["000042", "000042"]


def test_timestamps_without_offset_are_read_in_the_client_timezone_and_offsets_are_converted(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    s = load_client(tmp_path).tables["sessions"].order_by("started_at").to_pandas()
    utc = [t.tz_convert("UTC").to_pydatetime().replace(tzinfo=None) for t in s.started_at]
    # 12:00 Paris in winter time (UTC+1), 12:00+02:00, and 21:30Z as given
    assert utc == [dt.datetime(2024, 3, 30, 11), dt.datetime(2024, 3, 31, 10), dt.datetime(2024, 3, 31, 21, 30)]


def test_local_dates_follow_the_client_timezone(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    write(tmp_path, "client.yml", "timezone: America/New_York\n")
    client = load_client(tmp_path)
    dates = client.tables["sessions"].started_at.date().to_pandas().tolist()
    # 2024-03-30 12:00 read in New York; 10:00Z is 06:00 in New York; 21:30Z is 17:30 in New York
    assert [str(d)[:10] for d in sorted(dates)] == ["2024-03-30", "2024-03-31", "2024-03-31"]


def test_missing_optional_text_columns_get_their_contract_default(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    s = load_client(tmp_path).tables["sessions"].order_by("started_at").to_pandas()
    assert s.channel.tolist() == ["organic_search", "unknown", "paid_search"]
    assert s.device.tolist() == ["mobile", "desktop", "unknown"]


def test_a_client_records_which_columns_were_provided(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    client = load_client(tmp_path)
    assert client.has("sessions", "pageviews") and not client.has("sessions", "bounced")
    assert not client.has("orders")


# --- formats -----------------------------------------------------------------------------------

def _orders_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": ["0001", "0002", "0003"],
        "customer_id": ["00123", "00124", "00123"],
        "ordered_at": ["2024-03-01 10:00:00", "2024-03-02 23:59:00", "2024-03-03 00:01:00"],
        "revenue": [12.5, 1234.56, 0.0],
        "status": ["payée", "annulée", "expédiée"],
    })


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "xlsx"])
def test_every_format_loads_to_the_same_table(tmp_path, fmt):
    frame = _orders_frame()
    path = tmp_path / f"orders.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    got = load_client(tmp_path).tables["orders"].order_by("order_id").to_pandas()
    assert got.order_id.tolist() == ["0001", "0002", "0003"]
    assert got.customer_id.tolist() == ["00123", "00124", "00123"]
    assert got.revenue.tolist() == [12.5, 1234.56, 0.0]
    assert got.status.tolist() == ["payée", "annulée", "expédiée"]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_french_spreadsheet_exports_are_read_without_options(tmp_path, encoding):
    text = ("order_id;customer_id;ordered_at;revenue;status\r\n"
            "0001;00123;01/03/2024 10:00;12,50;payée\r\n"
            "0002;00124;2024-03-02 23:59:00;1\u00a0234,56;annulée\r\n"
            "0003;œuvre;03/03/2024;0;expédiée\r\n")
    write(tmp_path, "orders.csv", text.encode(encoding))
    client = load_client(tmp_path)
    got = client.tables["orders"].order_by("order_id").to_pandas()
    assert got.revenue.tolist() == [12.5, 1234.56, 0.0]
    assert got.status.tolist() == ["payée", "annulée", "expédiée"]
    assert got.customer_id.tolist() == ["00123", "00124", "œuvre"]
    local = got.ordered_at.dt.tz_convert("Europe/Paris").dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert local == ["2024-03-01 10:00", "2024-03-02 23:59", "2024-03-03 00:00"]
    assert client.sources["orders"].french


@pytest.mark.parametrize("bom, encoding", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_a_table_saved_as_utf16_text_is_read_not_blamed_on_field_counts(tmp_path, bom, encoding):
    text = ("order_id\tcustomer_id\tordered_at\trevenue\tstatus\r\n"
            "0001\tœuvre\t2024-03-01 10:00\t12,50\tpayée\r\n0002\t00124\t2024-03-02 23:59:00\t1\u00a0234,56\tannulée\r\n")
    write(tmp_path, "orders.csv", bom + text.encode(encoding))
    got = load_client(tmp_path).tables["orders"].order_by("order_id").to_pandas()
    assert got.customer_id.tolist() == ["œuvre", "00124"] and got.status.tolist() == ["payée", "annulée"]


EXPORTS = ROOT / "tests" / "fixtures" / "exports"


@pytest.mark.parametrize("export, saved_as, what", [
    ("shopify_orders_export.csv", "orders.csv", "raw Shopify orders export"),
    ("google_ads_campagnes_fr_excel.csv", "ad_spend.csv", "raw Google Ads campaign report"),  # UTF-16 too
    ("business_suite_instagram_fr.csv", "social_posts.csv", "raw Meta Business Suite posts export"),
])
def test_validate_recognises_a_raw_export_saved_as_a_table_and_names_the_import_command(tmp_path, export, saved_as,
                                                                                         what):
    write(tmp_path, saved_as, (EXPORTS / export).read_bytes())
    out = run_cli("validate", str(tmp_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{saved_as}: is a {what}, not a table of the data contract" in out.stderr
    assert f"kpi import {tmp_path}-exports/{saved_as} --into {tmp_path}" in out.stderr
    assert "required column is missing" not in out.stderr  # not 79 columns listed four times


def test_validate_recognises_a_ga4_interface_download_and_names_the_import_command(tmp_path):
    write(tmp_path, "sessions.csv", "# ----------------------------------------\n# Acquisition de trafic\n"
                                    "# Propriété : Maison Lune\n# Date de début : 20250301\n# Date de fin : 20250331\n"
                                    "# ----------------------------------------\n\n"
                                    "Groupe de canaux principal de la session (groupe de canaux par défaut),Sessions\n"
                                    "Organic Search,1200\n")
    out = run_cli("validate", str(tmp_path))
    assert out.returncode == 2 and "a raw Google Analytics 4 report download" in out.stderr
    assert "kpi import" in out.stderr and "--into" in out.stderr  # the aggregated traffic table it goes to


def test_a_raw_export_beside_the_tables_is_a_warning_naming_the_command(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    write(tmp_path, "Rapport Meta mars.csv", (EXPORTS / "meta_ads_fr.csv").read_bytes())
    out = run_cli("validate", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "Rapport Meta mars.csv: is a raw Meta Ads Manager report" in out.stdout and "kpi import" in out.stdout


def _french_export(src: Path, dst: Path) -> None:
    """Write every table of a client as a French spreadsheet would: ';', decimal comma, cp1252."""
    dst.mkdir()
    for path in src.iterdir():
        if path.name in ("client.yml",):
            (dst / path.name).write_bytes(path.read_bytes())
            continue
        for ext in ("csv.gz", "parquet", "xlsx", "csv"):
            if path.name.endswith("." + ext):
                table = path.name[: -len(ext) - 1]
                break
        else:
            continue
        reader = {"parquet": pd.read_parquet, "xlsx": lambda p: pd.read_excel(p, dtype=str)}.get(
            ext, lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""]))
        frame = reader(path)
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                frame[col] = frame[col].map(lambda t: t.isoformat() if pd.notna(t) else None)
        frame.to_csv(dst / f"{table}.csv", sep=";", decimal=",", index=False, encoding="cp1252", errors="replace")


@pytest.mark.parametrize("name", sample_clients())
def test_a_sample_client_exported_as_a_french_spreadsheet_loads_to_the_same_tables(tmp_path, name):
    original = load_client(SAMPLE_DIR / name)
    _french_export(SAMPLE_DIR / name, tmp_path / name)
    french = load_client(tmp_path / name)
    assert set(french.tables) == set(original.tables)
    for table, expr in original.tables.items():
        a = expr.to_pandas()
        b = french.tables[table].to_pandas()
        key = a.columns[0]
        a = a.sort_values(list(a.columns[:3])).reset_index(drop=True)
        b = b.sort_values(list(b.columns[:3])).reset_index(drop=True)
        for col in original.provided[table]:
            if a[col].dtype == object or pd.api.types.is_string_dtype(a[col]):
                # cp1252 cannot hold every character (emoji): compare what it can hold
                aa = a[col].map(lambda v: v.encode("cp1252", "replace").decode("cp1252") if isinstance(v, str) else v)
                assert aa.tolist() == b[col].tolist(), (table, col)
            else:
                pd.testing.assert_series_equal(a[col], b[col], check_names=False, check_dtype=False, obj=f"{table}.{col}")
        assert len(a) == len(b), (table, key)


# --- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sample_clients())
def test_validate_accepts_every_sample_client(name):
    out = run_cli("validate", str(SAMPLE_DIR / name))
    assert out.returncode == 0, out.stderr
    assert "OK" in out.stdout and "rows" in out.stdout
    assert "Traceback" not in out.stderr


def test_the_broken_corpus_has_at_least_fifteen_clients():
    assert len(BROKEN_CASES) >= 15


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_validate_rejects_each_broken_client_naming_the_file_and_the_column(case):
    expected = yaml.safe_load((BROKEN / case / "EXPECTED.yml").read_text(encoding="utf-8"))
    out = run_cli("validate", str(BROKEN / case))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""  # nothing half-written: no summary for a rejected folder
    message = out.stderr
    if expected["file"]:
        assert expected["file"] in message
    if expected["column"]:
        assert f"column {expected['column']!r}" in message
    assert expected["contains"] in message
    if expected.get("shown_with_values"):  # described, not quoted, unless asked (it may be personal data)
        assert expected["shown_with_values"] not in message
        revealed = run_cli("validate", str(BROKEN / case), "--show-values")
        assert revealed.returncode == 2 and expected["shown_with_values"] in revealed.stderr


def test_a_folder_that_is_not_there_exits_2_without_traceback(tmp_path):
    out = run_cli("validate", str(tmp_path / "nope"))
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr


def test_every_problem_of_a_folder_is_listed_not_just_the_first(tmp_path):
    write(tmp_path, "orders.csv", "order_id,customer_id,ordered_at,revenue\no1,c1,hier,-1\no1,,2024-03-01,2\n")
    with pytest.raises(KpiInputError) as err:
        load_client(tmp_path)
    columns = {p.column for p in err.value.problems}
    assert {"ordered_at", "revenue", "customer_id", "order_id"} <= columns


def test_offending_rows_are_reported_with_their_line_numbers(tmp_path):
    rows = "".join(f"o{i},c{i},2024-03-01 10:00:00,{'x' if i in (3, 7) else 1}\n" for i in range(10))
    write(tmp_path, "orders.csv", "order_id,customer_id,ordered_at,revenue\n" + rows)
    with pytest.raises(KpiInputError) as err:
        load_client(tmp_path)
    (problem,) = err.value.problems
    assert problem.examples == (("line 5", "x"), ("line 9", "x"))
    assert problem.count == 2


def test_unknown_files_and_orphan_orders_are_warnings_not_errors(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    write(tmp_path, "orders.csv", "order_id,customer_id,ordered_at,revenue,session_id\no1,c1,2024-03-31,10,0001\no2,c2,2024-03-31,5,nope\n")
    write(tmp_path, "sesions.csv", "x\n")
    out = run_cli("validate", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "did you mean 'sessions.csv'" in out.stdout
    assert "1 row point to a session_id that is not in sessions.csv" in out.stdout


def test_validate_summary_gives_rows_and_date_range_per_table(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    out = run_cli("validate", str(tmp_path))
    assert "sessions.csv" in out.stdout and "3 rows" in out.stdout and "2024-03-30 .. 2024-03-31" in out.stdout


def test_client_yml_settings_have_contract_defaults(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    s = load_client(tmp_path).settings
    assert (s.name, s.timezone, s.currency, s.margin_rate, s.language) == (tmp_path.name, "Europe/Paris", "EUR", None, "fr")
    write(tmp_path, "client.yml", "name: Maison Test\nmargin_rate: 0.35\nlanguage: en\ncurrency: GBP\n")
    s = load_client(tmp_path).settings
    assert (s.name, s.margin_rate, s.language, s.currency) == ("Maison Test", 0.35, "en", "GBP")


def test_settings_given_as_arguments_replace_client_yml(tmp_path):
    write(tmp_path, "sessions.csv", SESSIONS)
    write(tmp_path, "client.yml", "margin_rate: 0.35\n")
    assert load_client(tmp_path, margin_rate=0.5).settings.margin_rate == 0.5
    with pytest.raises(KpiInputError, match="margin_rate"):
        load_client(tmp_path, margin_rate=35)


# --- pandas frames -----------------------------------------------------------------------------

def test_frames_are_typed_and_checked_like_files():
    client = client_from_frames({"orders": _orders_frame()})
    assert client.tables["orders"].revenue.sum().to_pyarrow().as_py() == pytest.approx(1247.06)
    bad = _orders_frame().assign(revenue=[1.0, -2.0, 3.0])
    with pytest.raises(KpiInputError, match="revenue"):
        client_from_frames({"orders": bad})


def test_naive_pandas_datetimes_are_read_in_the_client_timezone():
    frame = _orders_frame().assign(ordered_at=pd.to_datetime(["2024-07-01 00:30", "2024-07-01 01:30", "2024-07-02 00:00"]))
    client = client_from_frames({"orders": frame}, timezone="Europe/Paris")
    days = client.tables["orders"].ordered_at.date().to_pandas().astype(str).str[:10].tolist()
    assert sorted(days) == ["2024-07-01", "2024-07-01", "2024-07-02"]


def test_a_parquet_client_of_many_rows_is_read_through_a_view_not_copied(tmp_path):
    n = 50_000
    frame = pd.DataFrame({
        "session_id": [f"{i:08d}" for i in range(n)],
        "visitor_id": [f"v{i % 9000}" for i in range(n)],
        "started_at": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"),
        "pageviews": [1 + i % 5 for i in range(n)],
    })
    frame.to_parquet(tmp_path / "sessions.parquet", index=False)
    client = load_client(tmp_path)
    kind = client.con.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'sessions'").fetchall()[0][0]
    assert kind == "VIEW"
    assert client.tables["sessions"].count().to_pyarrow().as_py() == n


def _parquet_sessions(tmp_path, session_ids, visitor_ids, channels=None):
    n = len(session_ids)
    frame = pd.DataFrame({"session_id": session_ids, "visitor_id": visitor_ids,
                          "started_at": pd.date_range("2024-03-01", periods=n, freq="h", tz="UTC")})
    if channels is not None:
        frame["channel"] = channels
    frame.to_parquet(tmp_path / "sessions.parquet", index=False)


def test_parquet_ids_with_spaces_are_trimmed_ascii_or_unicode(tmp_path):
    # ' s1' (space), 's2\u00a0' (no-break space), 'é3' (not ASCII, but nothing to trim), 's4' clean;
    # channel '\u3000seo' (ideographic space) and '' (blank: the contract default 'unknown')
    _parquet_sessions(tmp_path, [" s1", "s2\u00a0", "é3", "s4"], ["v1", "v2", "v3", "v4 "],
                      channels=["\u3000seo", "", "direct", "email"])
    got = load_client(tmp_path).tables["sessions"].order_by("started_at").to_pandas()
    assert got.session_id.tolist() == ["s1", "s2", "é3", "s4"]
    assert got.visitor_id.tolist() == ["v1", "v2", "v3", "v4"]
    assert got.channel.tolist() == ["seo", "unknown", "direct", "email"]


def test_parquet_ids_equal_once_trimmed_are_duplicates(tmp_path):
    _parquet_sessions(tmp_path, ["s1", " s1", "s2"], ["v1", "v2", "v3"])
    with pytest.raises(KpiInputError) as info:
        load_client(tmp_path)
    [problem] = info.value.problems
    assert (problem.column, problem.count) == ("session_id", 1)
    assert "duplicated id (the first is on row 1, row 2)" in problem.message and "s1" not in str(problem)


def test_blank_parquet_ids_in_a_required_column_are_reported_with_their_rows(tmp_path):
    # row 2 is only spaces (ASCII and no-break), row 3 is null: both empty in a required column
    _parquet_sessions(tmp_path, ["s1", "s2", "s3", "s4"], ["v1", " \u00a0 ", None, "v4"])
    with pytest.raises(KpiInputError) as info:
        load_client(tmp_path)
    [problem] = info.value.problems
    assert (problem.column, problem.count) == ("visitor_id", 2)
    assert [row for row, _ in problem.examples] == ["row 2", "row 3"]


@pytest.mark.parametrize("in_memory", [True, False], ids=["distinct count", "grouping (big table)"])
def test_duplicated_ids_are_found_the_same_way_for_a_table_too_big_for_a_distinct_count(tmp_path, monkeypatch, in_memory):
    if not in_memory:  # as for 100M rows under a 1 GB memory limit: ids grouped, which spills to disk
        monkeypatch.setattr("kpi_helpers.loading.checks.distinct_rows_in_memory", lambda duck: 0)
    rows = "".join(f"o{i % 7},c{i},2024-03-01 10:00:00,1\n" for i in range(10))  # o0, o1, o2 twice
    write(tmp_path, "orders.csv", "order_id,customer_id,ordered_at,revenue\n" + rows)
    with pytest.raises(KpiInputError) as info:
        load_client(tmp_path)
    [problem] = info.value.problems
    assert problem.message == "3 duplicated ids (the first is on line 2, line 9)" and problem.count == 3
