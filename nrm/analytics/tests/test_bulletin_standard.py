"""The bulletin to the standard: comparisons with the previous quarter and the same quarter a year
earlier, the SCA/IECA, gender and adult/child splits, chart titles that state the message computed
from the figures, and every colour of every chart at 4.5:1 or more against its background."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from nrm.analytics import charts as C
from nrm.analytics import extract_io
from nrm.analytics.publish import Manifest, publish
from nrm.analytics.synthetic.generator import fixture_extract

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def bulletin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest, str]:
    """A quarter at about the real volume, published under the default (linked) protection."""
    root = tmp_path_factory.mktemp("bulletin")
    extract = root / "extract.parquet"
    extract_io.write_extract(fixture_extract(17000, seed=7, start=date(2019, 10, 1), end=date(2020, 9, 30)), extract)
    manifest = publish(extract, "2020-Q3", root / "out", progress=False, store=None)
    return root / "out", manifest, unescape((root / "out" / "index.html").read_text(encoding="utf-8"))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _total(rows: list[dict[str, str]], **dims: str) -> int | None:
    """The published count of a row (None where it is suppressed, [c])."""
    for r in rows:
        if all(r[k] == dims.get(k, "Total") for k in r if k not in ("People", "Shorthand")):
            return None if r["People"] == "[c]" else int(r["People"])
    raise KeyError(dims)


def _headline(rows: list[dict[str, str]], quarter: str) -> int:
    """A quarter's total: never suppressed."""
    count = _total(rows, Quarter=quarter)
    assert count is not None, f"{quarter}'s total is suppressed"
    return count


def test_the_palette_and_every_chart_colour_reach_4_5_to_1(bulletin: tuple[Path, Manifest, str]) -> None:
    out, manifest, _html = bulletin
    for colour in C.PALETTE:
        assert C.contrast_ratio(colour) >= C.MIN_CONTRAST, colour
    assert round(C.contrast_ratio("#000000", "#FFFFFF"), 1) == 21.0
    assert C.contrast_ratio("#28A197") < C.MIN_CONTRAST  # the palette's turquoise as published is too light
    svgs = [f.path for f in manifest.files if f.path.endswith(".svg")]
    assert len(svgs) >= 5
    for path in svgs:
        root = ET.parse(out / path).getroot()  # noqa: S314 - our own output
        background = root.find(f"{SVG}rect")
        assert background is not None
        bg = background.get("fill") or ""
        assert bg.upper() == C.BACKGROUND
        for el in root.iter():
            if el is background:
                continue
            for attr in ("fill", "stroke"):
                v = el.get(attr)
                if v is None or v == "none":
                    continue
                assert re.fullmatch(r"#[0-9A-Fa-f]{6}", v), (path, el.tag, v)
                ratio = C.contrast_ratio(v, bg)
                assert ratio >= C.MIN_CONTRAST, f"{path}: {el.tag} {attr}={v} has contrast {ratio:.2f}:1 on {bg}"


def test_chart_titles_state_the_message_computed_from_the_figures(bulletin: tuple[Path, Manifest, str]) -> None:
    out, _manifest, html = bulletin
    rows = _csv(out / "csv" / "referrals_by_quarter_age_location.csv")
    now, before = _headline(rows, "2020-Q3"), _headline(rows, "2020-Q2")
    change = round((now - before) / before * 100)
    word = "rose" if now > before else "fell"
    titles = re.findall(r"<h3>Figure \d+: ([^<]*)</h3>", html)
    assert f"NRM referrals {word} {abs(change)}% on the previous quarter, to {now:,} in 2020-Q3" in titles
    adults = _total(rows, **{"Quarter": "2020-Q3", "Age at exploitation": "Adult (18 or over)"})
    children = _total(rows, **{"Quarter": "2020-Q3", "Age at exploitation": "Child (17 or under)"})
    if adults is None or children is None:  # a suppressed count is not compared (nor read as zero)
        assert "NRM referrals by age at exploitation and quarter" in titles
        assert not any(t.startswith("More ") for t in titles)
    else:
        assert any(t.startswith("More adults than children" if adults > children else "More children than adults")
                   for t in titles)
    nat = _csv(out / "csv" / "referrals_by_nationality_age.csv")
    top = max((r for r in nat if r["Age at exploitation"] == "Total" and r["People"] != "[c]" and r["Nationality"]
               not in ("Total", "Other nationalities")), key=lambda r: int(r["People"]))
    assert any(t.startswith(f"{top['Nationality']} was the most common nationality") for t in titles)
    assert any("of Reasonable Grounds and" in t and "decisions were positive in 2020-Q3" in t for t in titles)
    # every title is a sentence with a figure or a category in it, not just a description of the axes
    assert all(" by quarter" not in t for t in titles), titles


def test_findings_compare_with_the_previous_quarter_and_a_year_earlier(bulletin: tuple[Path, Manifest, str]) -> None:
    out, _manifest, html = bulletin
    rows = _csv(out / "csv" / "referrals_by_quarter_age_location.csv")
    now, before = _headline(rows, "2020-Q3"), _headline(rows, "2020-Q2")
    findings = re.findall(r"<li>([^<]*)</li>", html)
    referrals = next(f for f in findings if f.startswith(f"There were {now:,} referrals"))
    assert "July to September 2019" in referrals  # the same quarter a year earlier
    change = round(abs(now - before) / before * 100)
    assert (f"Referrals {'rose' if now > before else 'fell'} {change}% on the previous quarter, April to June 2020 "
            f"({before:,}).") in referrals
    # decisions and Duty to Notify reports too
    for table, start, noun in (("rg_decisions", "Reasonable Grounds", "Decisions"),
                               ("duty_to_notify_by_quarter", "Duty to Notify", "Reports")):
        series = _csv(out / "csv" / f"{table}.csv")
        measure = "Decisions" if noun == "Decisions" else "Reports"
        prev = next(int(r[measure]) for r in series
                    if r["Quarter"] == "2020-Q2" and all(v == "Total" for k, v in r.items()
                                                         if k not in ("Quarter", measure, "Shorthand")))
        sentence = next(f for f in findings if start in f and "previous quarter" in f)
        assert f"on the previous quarter, April to June 2020 ({prev:,})." in sentence


def test_findings_split_by_authority_gender_and_age(bulletin: tuple[Path, Manifest, str]) -> None:
    out, _manifest, html = bulletin
    findings = re.findall(r"<li>([^<]*)</li>", html)
    ca = _csv(out / "csv" / "referrals_by_competent_authority.csv")
    sca = _total(ca, **{"Competent authority": "SCA"})
    ieca = _total(ca, **{"Competent authority": "IECA"})
    split = next(f for f in findings if f.startswith("By competent authority"))

    def shown(count: int | None) -> str:  # a suppressed count is written [c], with no percentage
        return "[c]" if count is None else f"{count:,} ("

    assert f"SCA {shown(sca)}" in split
    assert f"IECA {shown(ieca)}" in split or ieca == 0
    ex = _csv(out / "csv" / "referrals_by_exploitation_age_gender.csv")
    gender = next(f for f in findings if f.startswith("By gender"))
    for g in ("Male", "Female"):
        assert f"{shown(_total(ex, Gender=g)).rstrip(' (')} {g.lower()}" in gender
    by_age = next(f for f in findings if f.startswith("By age at exploitation"))
    for age, who in (("Adult (18 or over)", "adults"), ("Child (17 or under)", "children")):
        # a share of a suppressed total is not given
        assert (f"for {who}, " in by_age) == (_total(ex, **{"Age at exploitation": age}) is not None)
    children = [r for r in ex if r["Age at exploitation"] == "Child (17 or under)" and r["Gender"] == "Total"
                and r["Exploitation type"] not in ("Total", "Not specified or unknown") and r["People"] != "[c]"]
    most = max(int(r["People"]) for r in children)
    leaders = sorted(r["Exploitation type"] for r in children if int(r["People"]) == most)
    assert f"for children, {' and '.join(leaders) if len(leaders) < 3 else ''}" in by_age
    assert any("exploitation type" in t and "of children" in t
               for t in re.findall(r"<h3>Figure \d+: ([^<]*)</h3>", html))
