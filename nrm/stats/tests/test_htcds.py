"""HTCDS: the export (command, JSON and CSV, pseudonymised unless an agreement allows identifiable
data), the import into the statistics extract with clear errors, the round trip, and the mapping
document covering every field of the standard."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from nrm.analytics import extract_schema as xs
from nrm.audit.models import AuditEvent
from nrm.reference.models import Organisation
from nrm.stats.db_extract import build_extract, referral_pseudonym
from nrm.stats.htcds import (
    MAPPINGS,
    exported_fields,
    htcds_fields,
    import_htcds,
    mapping_markdown,
    read_htcds,
)

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[3] / "docs" / "htcds.md"


def today() -> date:
    return timezone.localdate()


def export(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    first = (today() - timedelta(days=3650)).isoformat()
    call_command("export", "htcds", "--from", first, "--to", today().isoformat(), "--out", str(out), *extra,
                 stdout=StringIO())
    return out


def test_every_htcds_field_is_documented_and_the_document_is_current() -> None:
    names = [f.name for f in htcds_fields()]
    assert len(names) == 84
    assert {"cas_Status", "vic_AgreementToManagePersonalData", "prs_Citizenship", "hte_Type"} <= set(names)
    text = mapping_markdown()
    for name in names:
        assert f"| `{name}`" in text
    assert DOCS.read_text(encoding="utf-8") == text, "regenerate: nrm export htcds-mapping > docs/htcds.md"


def test_a_pseudonymised_json_export_has_the_htcds_fields_and_nothing_identifying(cases: list[Any],
                                                                                tmp_path: Path) -> None:
    document = json.loads(export(tmp_path, "cases.json").read_text())
    assert document["pseudonymised"] is True
    assert document["standard"] == "HTCDS 2.0"
    rows = {r["nrm_ReferralId"]: r for r in document["cases"]}
    assert set(rows) == {referral_pseudonym(c.reference) for c in cases}
    positive_cg = rows[referral_pseudonym(cases[2].reference)]
    assert positive_cg["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"
    assert positive_cg["cas_Status"] == "Closed"
    assert positive_cg["cas_ReasonForCaseClosure"] == "Concluded"
    assert positive_cg["vic_TraffickingStatusDecisionMakingOrg"] == "NonPoliceGovernmentalOrganization"
    assert rows[referral_pseudonym(cases[0].reference)]["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"
    assert rows[referral_pseudonym(cases[0].reference)]["cas_Status"] == "Active"
    assert rows[referral_pseudonym(cases[3].reference)]["vic_TraffickingStatus"] == "NotAVictimOfTrafficking"
    for row in rows.values():
        assert set(row) == set(exported_fields(identifiable=False))
        assert "prs_FirstName" not in row
        assert isinstance(row["prs_Citizenship"], list)
        allowed = next(f.values for f in htcds_fields() if f.name == "vic_TypeOfExploitation")
        assert set(row["vic_TypeOfExploitation"]) <= set(allowed)
        assert row["prs_Gender"] in next(f.values for f in htcds_fields() if f.name == "prs_Gender")
    flat = json.dumps(document)
    for case in cases:
        assert case.reference not in flat
        for key in ("first_names", "last_name"):
            if case.referral.answers.get(key):
                assert str(case.referral.answers[key]) not in flat


def test_an_identifiable_export_only_for_an_organisation_with_an_agreement(cases: list[Any], tmp_path: Path) -> None:
    police = Organisation.objects.get(slug="police-e23000001")
    plain = json.loads(export(tmp_path, "a.json", "--organisation", police.slug).read_text())
    assert plain["pseudonymised"] is True
    police.identifiable_data_sharing = True
    police.save()
    document = json.loads(export(tmp_path, "b.json", "--organisation", police.slug).read_text())
    assert document["pseudonymised"] is False
    assert AuditEvent.objects.filter(action="htcds.exported", after__identifiable=True).count() == 1
    by_reference = {r["nrm_Reference"]: r for r in document["cases"]}
    case = cases[0]
    row = by_reference[case.reference]
    assert row["prs_SecondName"] == str(case.referral.answers.get("last_name") or "").strip()
    assert {"prs_FirstName", "prs_Birthdate", "prs_Email", "prs_MobilePhone"} <= set(row)


def test_the_export_range_is_by_date_received(cases: list[Any], tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    call_command("export", "htcds", "--from", "2001-01-01", "--to", "2001-12-31", "--out", str(out), stdout=StringIO())
    assert list(csv.DictReader(out.open())) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2024-13-01", "--to", "2024-12-31", "--out", "x.json"], "--from must be a date"),
    (["--from", "2024-02-01", "--to", "2024-01-31", "--out", "x.json"], "--to must be the same as or after"),
    (["--from", "2024-01-01", "--to", "2024-01-31", "--out", "x.xlsx"], "must end in .json or .csv"),
    (["--from", "2024-01-01", "--to", "2024-01-31", "--out", "x.json", "--organisation", "nope"], "No organisation"),
])
def test_export_errors_are_clear(tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("export", "htcds", *args)


@pytest.mark.parametrize("name", ["cases.json", "cases.csv"])
def test_export_then_import_gives_the_extract_back(cases: list[Any], tmp_path: Path, name: str) -> None:
    path = export(tmp_path, name)
    store = tmp_path / "store"
    out = StringIO()
    call_command("stats", "import", "--format", "htcds", str(path), "--into", str(store), stdout=out)
    assert "valid" in out.getvalue()
    imported = pq.read_table(store / "htcds-cases.parquet")
    original = build_extract().referrals
    assert imported.schema.equals(xs.REFERRALS)
    assert sorted(imported.to_pylist(), key=lambda r: r["referral_id"]) == sorted(
        original.to_pylist(), key=lambda r: r["referral_id"])


def test_a_file_from_another_system_with_htcds_fields_only() -> None:
    rows = [{
        "cas_IncomingReferralDate": "2024-02-03", "prs_Gender": "TransgenderFeminine", "prs_Citizenship": "VN;AL",
        "vic_TypeOfExploitation": ["SexualExploitation", "ForcedBegging"], "vic_AgeWhenTrafficked": "16",
        "hte_Country": "GB", "org_Type": "LawEnforcement", "cas_ReferringOrganisation": "A police service",
        "cas_Status": "Active", "prs_FirstName": "Ana", "prs_SecondName": "Popescu", "prs_Birthdate": "2008-01-02",
    }]
    result = import_htcds(rows, source="partner", competent_authority="SCA")
    assert result.problems == []
    assert result.table is not None
    [row] = result.table.to_pylist()
    assert row["gender"] == "Female"
    assert row["age_at_exploitation"] == "Child (17 or under)"
    assert row["exploitation_types"] == "Sexual;Criminal"
    assert row["location_of_exploitation"] == "UK"
    assert row["first_responder_type"] == "Police"
    assert row["status"] == "Awaiting RG"
    assert len(row["person_id"]) == 64
    assert "Popescu" not in json.dumps(row, default=str)
    again = import_htcds([{**rows[0], "prs_FirstName": "ANA"}], source="other", competent_authority="SCA")
    assert again.table is not None
    assert again.table.to_pylist()[0]["person_id"] == row["person_id"], "the same person, the same keyed id"


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_loaded(tmp_path: Path) -> None:
    good = {"cas_IncomingReferralDate": "2024-02-03", "nrm_CompetentAuthority": "SCA"}
    rows = [good, {"cas_IncomingReferralDate": "03/02/2024", "prs_Gender": "F", "prs_Citizenship": "XQ",
                   "vic_TypeOfExploitation": "Slavery", "cas_Status": "Closed", "nrm_CountyLines": "perhaps"}]
    result = import_htcds(rows, source="bad")
    assert result.table is None
    found = {(p.row, p.field) for p in result.problems}
    assert found == {(2, "cas_IncomingReferralDate"), (2, "prs_Gender"), (2, "prs_Citizenship"),
                     (2, "vic_TypeOfExploitation"), (2, "cas_Status"), (2, "nrm_CountyLines"),
                     (2, "nrm_CompetentAuthority")}
    assert "row 2, cas_IncomingReferralDate: '03/02/2024' is not a date like 2024-03-31" in map(str, result.problems)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows))
    err = StringIO()
    with pytest.raises(CommandError, match="7 problem"):
        call_command("stats", "import", "--format", "htcds", str(path), "--into", str(tmp_path / "s"), stderr=err)
    assert "row 2, prs_Gender: 'F' is not one of" in err.getvalue()
    assert not (tmp_path / "s").exists()


def test_the_extracts_own_checks_apply_to_imported_rows(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["cas_IncomingReferralDate", "nrm_CompetentAuthority", "nrm_RgOutcome",
                                               "nrm_RgDate"])
        writer.writeheader()
        writer.writerow({"cas_IncomingReferralDate": "2024-02-03", "nrm_CompetentAuthority": "SCA",
                         "nrm_RgOutcome": "Positive", "nrm_RgDate": "2024-01-01"})
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("stats", "import", "--format", "htcds", str(path), stderr=err)
    assert str(path) in err.getvalue()
    assert "rg_date" in err.getvalue()


@pytest.mark.parametrize("content", ["{not json", '{"cases": 3}', "[1, 2]"])
def test_unreadable_files_are_refused_clearly(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("stats", "import", "--format", "htcds", str(path))


def test_read_htcds_takes_a_list_or_a_document(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"cas_Status": "Active"}]')
    assert read_htcds(path) == [{"cas_Status": "Active"}]


def test_identifiable_fields_are_marked() -> None:
    identifiable = {n for n, m in MAPPINGS.items() if m.identifiable}
    assert identifiable == {"prs_FirstName", "prs_SecondName", "prs_Birthdate", "prs_Email", "prs_MobilePhone",
                            "prs_MailingStreet"}
    assert not identifiable & set(exported_fields(identifiable=False))
