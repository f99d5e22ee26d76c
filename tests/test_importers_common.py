"""The importers' shared reading of raw exports: encodings, title lines, headers, numbers, lines."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_helpers.errors import KpiInputError
from kpi_helpers.importers._raw import Col, norm_label, read_export

SPEC = {"day": Col(("Day",), ("Jour",)), "cost": Col(("Cost",), ("Coût",)), "note": Col(("Note",), ("Note",))}


def export(tmp_path: Path, text: str, *, encoding: str = "utf-8", bom: bytes = b"", name: str = "x.csv"):
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return read_export(path, SPEC, required=("day", "cost"), what="a test export")


def french(value: float, space: str) -> str:
    whole, cents = f"{value:,.2f}".split(".")
    return whole.replace(",", space) + "," + cents


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False), min_size=1, max_size=8),
       space=st.sampled_from([" ", "\u00a0", "\u202f"]))
def test_numbers_written_for_people_read_back_exactly_in_both_languages(tmp_path_factory, values, space):
    tmp = tmp_path_factory.mktemp("n")
    fr = "Jour;Coût\n" + "".join(f"2025-03-01;{french(float(v), space)} €\n" for v in values)
    en = "Day,Cost\n" + "".join(f'2025-03-01,"{float(v):,.2f}"\n' for v in values)
    for text, decimal in ((fr, ","), (en, ".")):
        got = export(tmp, text).numbers("cost", decimal=decimal)
        assert [round(g, 2) for g in got] == [float(v) for v in values]


def test_dashes_are_none_percent_signs_dropped_and_unreadable_values_refused(tmp_path):
    x = export(tmp_path, 'Jour,Coût\n2025-03-01,--\n2025-03-02,"3,92 %"\n2025-03-03,"−1,5"\n')
    got = x.numbers("cost", decimal=",")
    assert got.isna().tolist() == [True, False, False] and got.tolist()[1:] == [3.92, -1.5]
    assert x.numbers("cost", decimal=",", none=0.0).tolist()[0] == 0.0
    bad = export(tmp_path, "Day,Cost\n2025-03-01,12.5\n2025-03-02,twelve\n", name="bad.csv")
    with pytest.raises(KpiInputError, match=r"bad\.csv, column 'Cost': 1 value\(s\) cannot be read") as err:
        bad.numbers("cost", decimal=".")
    assert err.value.problems[0].examples == (("line 3", "twelve"),)


@pytest.mark.parametrize("encoding, bom, sep", [
    ("utf-8", codecs.BOM_UTF8, ","), ("utf-8", b"", ";"), ("cp1252", b"", ";"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "\t"), ("utf-16-be", codecs.BOM_UTF16_BE, "\t"),
])
def test_every_encoding_and_separator_of_the_tools_reads_the_same_rows(tmp_path, encoding, bom, sep):
    text = f"Rapport sur les campagnes\r\n1 mars 2025 - 31 mars 2025\r\nJour{sep}Coût{sep}Note\r\n" \
           f"2025-03-01{sep}12{sep}Élan d’été\r\nTotal : compte{sep}12{sep}\r\n"
    x = export(tmp_path, text, encoding=encoding, bom=bom)
    assert x.language == "fr" and x.title == ["Rapport sur les campagnes", "1 mars 2025 - 31 mars 2025"]
    assert x.text("note").tolist() == ["Élan d’été", ""] and x.text("day").tolist()[1] == "Total : compte"


def test_headers_match_whatever_the_case_apostrophe_or_no_break_space():
    assert norm_label("J’aime") == norm_label("j'aime") == "j'aime"
    assert norm_label("\ufeffMontant\u00a0dépensé  (EUR)") == norm_label("montant\u202fdépensé (eur)")


def test_a_cut_line_is_a_truncated_download_named_by_its_line(tmp_path):
    text = 'Day,Cost,Note\n2025-03-01,1,"two\nlines"\n2025-03-02,2,ok\n2025-03-03,3'
    with pytest.raises(KpiInputError, match=r"line has 2 field\(s\) where the header has 3.*line 5"):
        export(tmp_path, text)


def test_a_value_on_a_line_after_a_quoted_line_break_is_named_by_its_own_line(tmp_path):
    x = export(tmp_path, 'Day,Cost,Note\n2025-03-01,1,"two\nlines"\n2025-03-02,oops,ok\n')
    with pytest.raises(KpiInputError) as err:
        x.numbers("cost", decimal=".")
    assert err.value.problems[0].examples == (("line 4", "oops"),)


@pytest.mark.parametrize("text, message", [
    ("", r"file is empty \(0 bytes\)"),
    ("Day,Cost\n", r"has a header but no data rows.*line 1"),
    ("Date,Amount\n2025-03-01,1\n", r"no header row with the expected columns.*line 1"),
])
def test_empty_header_only_and_unknown_files_are_refused_with_the_file(tmp_path, text, message):
    with pytest.raises(KpiInputError, match=message):
        export(tmp_path, text)


# -- the client folder's table order and id checks (client_folder._in_order, _all_distinct) -----------------

_TEXT = st.one_of(st.none(), st.text(alphabet="aàbé Z0-\u00a0\U0001f600", max_size=4))


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), _TEXT), max_size=25))
def test_tables_are_written_in_the_order_of_a_stable_sort_with_missing_values_first(rows):
    import pandas as pd

    from kpi_helpers.importers.client_folder import _all_distinct, _in_order

    frame = pd.DataFrame({"t": pd.array([r[0] for r in rows], dtype="Int64"),
                          "id": pd.array([r[1] for r in rows], dtype="str"), "row": range(len(rows))})
    got = _in_order(frame, ["t", "id"])
    # the same order written out by hand: missing first, text by code point, ties in input order
    want = sorted(range(len(rows)), key=lambda i: (rows[i][0] is not None, rows[i][0] or 0,
                                                    rows[i][1] is not None, rows[i][1] or "", i))
    assert got["row"].tolist() == want
    assert _all_distinct(frame, ["id"]) == (len({r[1] for r in rows}) == len(rows))
