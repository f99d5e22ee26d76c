"""kpi_helpers.loading.cache: a folder validated once, loaded again without reading its rows."""

from __future__ import annotations

import fcntl
import os
import shutil

import pytest

from kpi_helpers.errors import KpiInputError
from kpi_helpers.loading import cache, checks, load_client
from kpi_helpers.paths import SAMPLE_DIR

SESSIONS = "session_id,visitor_id,started_at\ns1,v1,2026-03-02 10:00:00\ns2,v2,2026-03-03 11:00:00\n"


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _client(tmp_path, sessions=SESSIONS):
    folder = tmp_path / "client"
    folder.mkdir(exist_ok=True)
    (folder / "sessions.csv").write_text(sessions)
    return folder


def test_an_unchanged_folder_is_loaded_from_what_its_validation_concluded(tmp_path, own_cache, monkeypatch):
    from kpi_helpers.scorecard import scorecard

    folder = tmp_path / "maison-lune"
    shutil.copytree(SAMPLE_DIR / "maison-lune", folder)
    first = load_client(folder)
    expected = scorecard(first)
    monkeypatch.setattr("kpi_helpers.loading.client.build_table", lambda *a, **k: pytest.fail("validated again"))
    again = load_client(folder)
    assert scorecard(again) == expected
    assert again.provided == first.provided and [str(w) for w in again.warnings] == [str(w) for w in first.warnings]
    assert again.sources["sessions"].describe() == first.sources["sessions"].describe()
    assert len([p for p in (own_cache / "clients").iterdir() if not p.name.startswith(".")]) == 1


def test_a_parquet_client_is_read_where_it_is_not_copied_into_the_cache(tmp_path, own_cache, monkeypatch):
    folder = tmp_path / "bureau-direct"
    shutil.copytree(SAMPLE_DIR / "bureau-direct", folder)
    rows = load_client(folder).summary()["rows"].tolist()
    assert not list(cache.entry_dir(folder).glob("*.parquet"))  # only the views' SQL is kept
    monkeypatch.setattr("kpi_helpers.loading.client.build_table", lambda *a, **k: pytest.fail("validated again"))
    assert load_client(folder).summary()["rows"].tolist() == rows


def test_a_changed_file_is_validated_again(tmp_path, own_cache):
    folder = _client(tmp_path)
    assert load_client(folder).summary()["rows"].tolist() == [2]
    with open(folder / "sessions.csv", "a") as fh:
        fh.write("s3,v3,2026-03-04 12:00:00\n")
    assert load_client(folder).summary()["rows"].tolist() == [3]


def test_same_size_and_time_but_other_content_is_seen_by_the_quick_hash(tmp_path, own_cache):
    folder = _client(tmp_path)
    load_client(folder)
    st = (folder / "sessions.csv").stat()
    (folder / "sessions.csv").write_text(SESSIONS.replace("v2", "v9"))  # same size
    os.utime(folder / "sessions.csv", ns=(st.st_atime_ns, st.st_mtime_ns))
    visitors = load_client(folder).tables["sessions"].visitor_id.to_pandas().tolist()
    assert sorted(visitors) == ["v1", "v9"]


def test_another_timezone_is_another_validation(tmp_path, own_cache):
    folder = _client(tmp_path)
    assert str(load_client(folder).tables["sessions"].started_at.min().to_pandas().tz_convert("UTC")) == \
        "2026-03-02 09:00:00+00:00"  # 10:00 in Paris
    (folder / "client.yml").write_text("timezone: Pacific/Kiritimati\n")  # UTC+14
    client = load_client(folder)
    assert str(client.tables["sessions"].started_at.min().to_pandas().tz_convert("UTC")) == "2026-03-01 20:00:00+00:00"


def test_a_broken_folder_is_never_cached(tmp_path, own_cache):
    folder = _client(tmp_path, "session_id,visitor_id,started_at\ns1,v1,hier\n")
    for _ in range(2):
        with pytest.raises(KpiInputError):
            load_client(folder)
    assert not [p for p in (own_cache / "clients").glob("*") if not p.name.startswith(".")]


def test_with_the_cache_off_nothing_is_written(tmp_path, own_cache, monkeypatch):
    monkeypatch.setenv("KPI_CACHE", "off")
    load_client(_client(tmp_path))
    assert not own_cache.exists()


def test_while_another_process_writes_the_entry_a_load_goes_on_without_it(tmp_path, own_cache):
    folder = _client(tmp_path)
    entry = cache.entry_dir(folder)
    entry.parent.mkdir(parents=True)
    with open(entry.parent / f".{entry.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # "another process" is writing it
        assert load_client(folder).summary()["rows"].tolist() == [2]
        assert not entry.exists()
    load_client(folder)
    assert (entry / "manifest.json").is_file()


def test_rows_dated_after_tomorrow_are_counted_again_on_another_day(tmp_path, own_cache, monkeypatch):
    folder = _client(tmp_path, SESSIONS + "s3,v3,2062-03-04 10:00:00\n")
    assert any("dated after today" in str(w) for w in load_client(folder).warnings)
    calls = []
    original = checks.future_warnings
    monkeypatch.setattr("kpi_helpers.loading.client.future_warnings", lambda *a: calls.append(1) or original(*a))
    monkeypatch.setattr(cache, "today_iso", lambda tz: "2031-01-01")
    assert any("dated after today" in str(w) for w in load_client(folder).warnings)
    assert calls == [1]


def test_an_entry_in_use_is_neither_evicted_nor_replaced_while_its_client_lives(tmp_path, own_cache, monkeypatch):
    import gc

    from kpi_helpers import traffic

    folder = _client(tmp_path)
    load_client(folder)  # validated: the entry is written
    held = load_client(folder)  # from the entry: its sessions are the entry's Parquet copy of the CSV
    entry = cache.entry_dir(folder)
    assert cache.in_use(entry)
    monkeypatch.setattr(cache, "MAX_ENTRIES", 1)
    for i in range(3):  # other folders loaded meanwhile: least recently used entries are evicted
        other = tmp_path / f"other-{i}"
        other.mkdir()
        (other / "sessions.csv").write_text(SESSIONS)
        load_client(other)
    os.utime(folder / "sessions.csv")  # the folder changes: its next load validates again, and would replace the entry
    load_client(folder)
    assert (entry / "sessions.parquet").is_file()
    assert traffic.sessions(held)["numerator"].iloc[0] == 2  # the held client still reads its tables
    del held
    gc.collect()
    assert not cache.in_use(entry)
    load_client(tmp_path / "other-0")  # the next entry written evicts the idle ones
    assert not entry.exists()
