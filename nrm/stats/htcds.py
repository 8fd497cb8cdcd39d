"""Cases in the UN Migration Human Trafficking Case Data Standard (HTCDS 2.0, CC BY 4.0), out and in.

Export (``nrm export htcds``, ``GET /api/v1/exports/htcds``): one row per case received in a date
range, the HTCDS fields by their prefixed names (``prs_Gender``, ``cas_Status``, ...), plus the
``nrm_`` fields that carry what HTCDS has no place for (the NRM decisions and their dates, the UK
exploitation categories). Pseudonymised by default: the same keyed hashes as the statistics
extract, no names, dates of birth or contact details; those are added only for a receiving
organisation whose data-sharing agreement allows identifiable data.

Import (``nrm stats import --format htcds FILE``): rows from any system in that layout become
rows of the statistics extract's referrals table (:data:`nrm.analytics.extract_schema.REFERRALS`),
checked field by field; nothing is loaded if any row has a problem. Names and dates of birth in
the file are used only to derive the keyed person id and never stored.

``docs/htcds.md`` is :func:`mapping_markdown` (a test keeps them equal); the field reference is
``nrm/stats/data/htcds_fields.csv``, read from the standard's ``HTCDS Field Standards 2.0.ods``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from nrm.analytics import extract_schema as xs
from nrm.stats.db_extract import person_id, referral_rows_with_cases

FIELDS_FILE = Path(__file__).parent / "data" / "htcds_fields.csv"
STANDARD = "HTCDS 2.0"
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class HtcdsField:
    section: str
    status: str
    core: bool
    name: str
    label: str
    type: str
    values: tuple[str, ...]


@cache
def htcds_fields() -> tuple[HtcdsField, ...]:
    with FIELDS_FILE.open(newline="", encoding="utf-8") as f:
        return tuple(HtcdsField(section=r["section"], status=r["status"], core=r["core"] == "Core", name=r["field"],
                                label=r["label"], type=r["type"], values=tuple(v for v in r["values"].split("|") if v))
                     for r in csv.DictReader(f))


# --- value maps (both ways where the import reads them) -----------------------------------------

ORGANISATION_TYPES = {
    "Police": "LawEnforcement", "Local authority": "LocalGovernmentOrganisation",
    "Government agency": "CentralGovernmentOrganisation", "NGO and third sector": "NGO",
    "Health and social care": "HealthServiceOrganisation",
}
FIRST_RESPONDER_TYPES = {v: k for k, v in ORGANISATION_TYPES.items()} | {"ImmigrationService": "Government agency"}
GENDERS = {"Female": "Feminine", "Male": "Masculine", "Other": "NonConforming", "Not specified or unknown": "Unknown"}
GENDERS_IN = {"Feminine": "Female", "TransgenderFeminine": "Female", "Masculine": "Male", "TransgenderMasculine": "Male",
              "NonConforming": "Other", "NonSpecified": "Not specified or unknown", "Unknown": "Not specified or unknown"}
EXPLOITATION = {"Labour": "ForcedLabour", "Sexual": "SexualExploitation", "Criminal": "Other", "Domestic": "Servitude",
                "Organ Harvesting": "OrganRemoval"}
EXPLOITATION_IN = {"ForcedLabour": "Labour", "ChildLabour": "Labour", "ForcedMilitaryByNonStateActors": "Labour",
                   "SexualExploitation": "Sexual", "Servitude": "Domestic", "OrganRemoval": "Organ Harvesting",
                   "ForcedBegging": "Criminal"}
CLOSED_STATUSES = {"Concluded", "Withdrawn", "Disqualified"}
CASE_OWNERS = {"SCA": "Single Competent Authority", "IECA": "Immigration Enforcement Competent Authority"}
AGE_IN_BANDS = {"Adult (18 or over)": 18, "Child (17 or under)": 17}

# The nrm_ fields: the statistics extract's columns HTCDS cannot express, under its own prefix.
EXTENSION = {
    "nrm_ReferralId": "referral_id", "nrm_PersonId": "person_id", "nrm_CompetentAuthority": "competent_authority",
    "nrm_FirstResponderType": "first_responder_type", "nrm_AgeAtExploitation": "age_at_exploitation",
    "nrm_Nationality": "nationality", "nrm_ExploitationTypes": "exploitation_types",
    "nrm_LocationOfExploitation": "location_of_exploitation", "nrm_PoliceForce": "police_force",
    "nrm_CountyLines": "county_lines", "nrm_RgOutcome": "rg_outcome", "nrm_RgDate": "rg_date",
    "nrm_RgReason": "rg_reason", "nrm_CgOutcome": "cg_outcome", "nrm_CgDate": "cg_date", "nrm_CgReason": "cg_reason",
    "nrm_Status": "status", "nrm_StatusDate": "status_date",
}


def _list(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(v for v in values if v)


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(LIST_SEPARATOR) if v.strip()]


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _trafficking_status(row: dict[str, Any]) -> str:
    if row["cg_outcome"] == "Positive":
        return "ActualVictimOfTrafficking"
    if "Negative" in (row["rg_outcome"], row["cg_outcome"]):
        return "NotAVictimOfTrafficking"
    return "PossibleVictimOfTrafficking"


def _e164(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+44" + digits[1:]
    return digits if re.fullmatch(r"\+\d{7,15}", digits) else ""


# --- the mapping: every HTCDS field, what fills it or why nothing does ----------------------------

Exporter = Callable[[dict[str, Any], dict[str, Any]], Any]


@dataclass(frozen=True)
class Mapping:
    note: str
    export: Exporter | None = None
    identifiable: bool = False


NOT_HELD = "Not recorded by the service."
FREE_TEXT = "Free text in the referral; never exported (it may identify the person or others)."


def _names(answers: dict[str, Any]) -> tuple[str, str]:
    return str(answers.get("first_names") or "").strip(), str(answers.get("last_name") or "").strip()


def _birthdate(answers: dict[str, Any]) -> str:
    from nrm.stats.db_extract import _date_of_birth

    born = _date_of_birth(answers.get("dob"))
    return born.isoformat() if born else ""


MAPPINGS: dict[str, Mapping] = {
    "org_Name": Mapping("The referring (first responder) organisation's name.", lambda r, a: r["first_responder"]),
    "org_Type": Mapping("The referring organisation's type: Police → LawEnforcement, Local authority → "
                        "LocalGovernmentOrganisation, Government agency → CentralGovernmentOrganisation, NGO and third "
                        "sector → NGO, Health and social care → HealthServiceOrganisation; Other → empty.",
                        lambda r, a: ORGANISATION_TYPES.get(r["first_responder_type"], "")),
    "prs_FirstName": Mapping("First names as entered (identifiable export only).", lambda r, a: _names(a)[0], True),
    "prs_SecondName": Mapping("Last name as entered (identifiable export only).", lambda r, a: _names(a)[1], True),
    "prs_Birthdate": Mapping("Date of birth, ISO 8601 (identifiable export only).", lambda r, a: _birthdate(a), True),
    "prs_Gender": Mapping("Female → Feminine, Male → Masculine, Other → NonConforming, not known → Unknown. "
                          "Imported: Transgender* → Female/Male, NonSpecified → not known.",
                          lambda r, a: GENDERS.get(r["gender"], "Unknown")),
    "prs_Citizenship": Mapping("Nationalities as ISO 3166-1 alpha-2 codes (';'-separated in CSV, a list in JSON); "
                               "stateless and unknown have no ISO code and are left out (nrm_Nationality keeps them).",
                               lambda r, a: [c for c in (a.get("nationalities") or []) if re.fullmatch(r"[A-Z]{2}", c)]),
    "prs_Email": Mapping("The person's contact email, if given (identifiable export only).",
                         lambda r, a: str(a.get("contact_email") or ""), True),
    "prs_MobilePhone": Mapping("The person's contact phone, as E.164 when it can be read as one (identifiable "
                               "export only).", lambda r, a: _e164(str(a.get("contact_phone") or "")), True),
    "prs_MailingStreet": Mapping("The person's contact address as entered, one field (identifiable export only).",
                                 lambda r, a: " ".join(str(a.get("contact_address") or "").split()), True),
    "vic_AgreementToManagePersonalData": Mapping(
        "Deprecated in HTCDS 2.0 (use con_Consent); filled with the same value for older receivers.",
        lambda r, a: a.get("consent") == "yes" if a.get("consent") in {"yes", "no"} else None),
    "vic_TraffickingStatus": Mapping("From the NRM decisions: positive conclusive grounds → ActualVictimOfTrafficking; "
                                     "a negative decision → NotAVictimOfTrafficking; otherwise (waiting, or positive "
                                     "reasonable grounds) → PossibleVictimOfTrafficking.",
                                     lambda r, a: _trafficking_status(r)),
    "vic_TraffickingStatusDecisionMakingOrg": Mapping(
        "NonPoliceGovernmentalOrganization (the competent authority) once a decision is made, else empty.",
        lambda r, a: "NonPoliceGovernmentalOrganization" if r["rg_outcome"] else ""),
    "vic_AgeWhenTrafficked": Mapping("The service records only whether the person was a child or an adult when "
                                     "exploited, not an age: empty (nrm_AgeAtExploitation has the band). Imported: "
                                     "under 18 → child, 18 or over → adult."),
    "vic_TypeOfExploitation": Mapping("Labour → ForcedLabour, Sexual → SexualExploitation, Domestic → Servitude, "
                                      "Organ Harvesting → OrganRemoval, Criminal → Other (HTCDS has no criminal "
                                      "exploitation; nrm_ExploitationTypes keeps the UK categories). Imported: "
                                      "ForcedLabour, ChildLabour, ForcedMilitaryByNonStateActors → Labour; "
                                      "ForcedBegging → Criminal; ForcedMarriage, ForcedAdoption, Surrogacy, Other → "
                                      "not known.",
                                      lambda r, a: sorted({EXPLOITATION[t] for t in _split(r["exploitation_types"])
                                                           if t in EXPLOITATION})),
    "vic_LocationOfExploitation": Mapping("GB when exploitation was in the UK (alone or with overseas), else empty: "
                                          "overseas countries are not recorded. Imported: GB → UK, other codes → "
                                          "Overseas, both → UK and Overseas.",
                                          lambda r, a: "GB" if "UK" in r["location_of_exploitation"] else ""),
    "cas_Status": Mapping("Concluded, withdrawn or disqualified → Closed; everything else (waiting for a decision, "
                          "suspended) → Active. FollowUp and ClosedReferred are not used.",
                          lambda r, a: "Closed" if r["status"] in CLOSED_STATUSES else "Active"),
    "cas_ReasonForCaseClosure": Mapping("For a closed case, the NRM status that closed it (Concluded, Withdrawn or "
                                        "Disqualified); never the decision's reasons, which are free text.",
                                        lambda r, a: r["status"] if r["status"] in CLOSED_STATUSES else ""),
    "cas_CaseOwner": Mapping("A lookup to a user (the caseworker): not exported; the deciding authority is "
                             "nrm_CompetentAuthority."),
    "cas_ReferringOrganisation": Mapping("The first responder organisation's name.", lambda r, a: r["first_responder"]),
    "cas_IncomingReferralDate": Mapping("The date the NRM received the referral.", lambda r, a: _iso(r["referral_date"])),
    "cas_ReferringPrimaryCaseWorker": Mapping("The first responder in person: staff personal data, not exported."),
    "cas_ReasonForIncomingReferral": Mapping("Always Other: an NRM referral (the picklist's other values are about "
                                             "services and moves).", lambda r, a: "Other"),
    "cas_IncomingReferralDetails": Mapping(FREE_TEXT),
    "hte_Country": Mapping("One exploitation event: GB when exploitation was in the UK, else empty.",
                           lambda r, a: "GB" if "UK" in r["location_of_exploitation"] else ""),
    "hte_State": Mapping("The region of the police force area where the exploitation was reported.",
                         lambda r, a: r["region"] or ""),
    "hte_Type": Mapping("Exploitation (the event above).", lambda r, a: "Exploitation"),
    "con_Consent": Mapping("The adult's consent to the referral (yes/no); empty for a child, who needs none.",
                           lambda r, a: a.get("consent") == "yes" if a.get("consent") in {"yes", "no"} else None),
}
NOT_MAPPED_BY_PREFIX = {
    "org_": "The organisation's address, geolocation and phone are not recorded by the service.",
    "per_": "Perpetrators are not recorded by the service.",
    "spl_": "Support plans are kept by support providers, not in this service's case record.",
    "cco_": FREE_TEXT,
}
NOT_MAPPED = {
    "prs_Salutation": NOT_HELD, "prs_MiddleName": "Middle names are part of the first names as entered.",
    "prs_Deceased": NOT_HELD, "prs_MaritalStatus": NOT_HELD, "prs_NumberOfChildren": NOT_HELD,
    "prs_PrimaryLanguage": "Languages are recorded for interpreting, not exported (with so few speakers of some "
                           "languages they can identify a person).",
    "prs_SecondaryLanguage": "As prs_PrimaryLanguage.", "prs_HighestLevelOfEducation": NOT_HELD,
    "prs_IdentityNumber": "Identity document numbers are never exported.", "prs_Title": NOT_HELD,
    "prs_HomePhone": "One contact phone is recorded: prs_MobilePhone.",
    "prs_MailingCity": "The contact address is one field: prs_MailingStreet.", "prs_MailingCountry": NOT_HELD,
    "prs_MailingState": "As prs_MailingCity.", "prs_MailingPostalCode": "As prs_MailingCity.",
    "prs_MailingLongitude": NOT_HELD, "prs_MailingLatitude": NOT_HELD,
    "vic_RelationshipToTrafficker": FREE_TEXT, "vic_RecruitmentWebsitesAndApps": NOT_HELD,
    "vic_MethodOfRecruitment": FREE_TEXT, "vic_LocationOfRecruitment": NOT_HELD,
    "vic_MethodsOfControl": "The referral's indicators are not the HTCDS methods of control one for one; not "
                            "exported rather than guessed.",
    "vic_ForcedLabourIndustry": NOT_HELD, "vic_TypeOfSexExploitation": NOT_HELD,
    "vic_ExploitationWebsitesAndApps": NOT_HELD,
    "vic_Vulnerabilities": "Deprecated in HTCDS 2.0; not exported.", "vic_DetailsOfVulnerabilities": "Deprecated.",
    "cas_ReferredOrganisation": "Onward (support) referrals are in the support records, not exported yet.",
    "cas_ReferredPrimaryCaseWorker": "Staff personal data, not exported.",
    "cas_ReasonForOutgoingReferral": "As cas_ReferredOrganisation.", "cas_OutgoingReferralDate": "As "
    "cas_ReferredOrganisation.", "cas_OutgoingReferralDetails": FREE_TEXT,
    "hte_Longitude": NOT_HELD, "hte_Latitude": NOT_HELD, "hte_City": NOT_HELD, "hte_Street": NOT_HELD,
    "hte_PostalCode": NOT_HELD, "hte_Date": NOT_HELD, "hte_Description": FREE_TEXT,
}


def field_note(name: str) -> str:
    if name in MAPPINGS:
        return MAPPINGS[name].note
    if name in NOT_MAPPED:
        return "Not mapped. " + NOT_MAPPED[name]
    return "Not mapped. " + NOT_MAPPED_BY_PREFIX[name[:4]]


def exported_fields(*, identifiable: bool) -> list[str]:
    order = [f.name for f in htcds_fields()]
    htcds = [n for n in order if n in MAPPINGS and MAPPINGS[n].export and (identifiable or not MAPPINGS[n].identifiable)]
    return htcds + list(EXTENSION)


# --- export ---------------------------------------------------------------------------------------


def _export_value(value: Any) -> Any:
    return _iso(value) if isinstance(value, date) else value


def export_rows(*, received_from: date, received_to: date, identifiable: bool = False) -> Iterator[dict[str, Any]]:
    """One HTCDS row per case received in the range (inclusive)."""
    names = exported_fields(identifiable=identifiable)
    for case, row in referral_rows_with_cases(received_to, received_from=received_from):
        answers = case.referral.answers or {}
        out: dict[str, Any] = {}
        for name in names:
            if name in EXTENSION:
                out[name] = _export_value(row[EXTENSION[name]])
            else:
                exporter = MAPPINGS[name].export
                out[name] = exporter(row, answers) if exporter else None
        if identifiable:
            out["nrm_Reference"] = case.reference
        yield out


def write_export(rows: Iterable[dict[str, Any]], out: io.TextIOBase | Any, *, fmt: str, identifiable: bool,
                 received_from: date, received_to: date) -> int:
    """Write JSON (a document with the rows under ``cases``) or CSV (lists ';'-separated); the row count."""
    materialised = list(rows)
    if fmt == "json":
        json.dump({"standard": STANDARD, "received_from": received_from.isoformat(),
                   "received_to": received_to.isoformat(), "pseudonymised": not identifiable,
                   "cases": materialised}, out, ensure_ascii=False, indent=1)
        return len(materialised)
    header = exported_fields(identifiable=identifiable) + (["nrm_Reference"] if identifiable else [])
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in materialised:
        writer.writerow({k: _csv_value(v) for k, v in row.items()})
    return len(materialised)


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return _list(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def format_for(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in {".json", ".csv"}:
        raise ValueError("The file name must end in .json or .csv")
    return suffix[1:]


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ImportProblem:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportResult:
    table: pa.Table | None
    problems: list[ImportProblem] = field(default_factory=list)


def read_htcds(path: Path) -> list[dict[str, Any]]:
    """The rows of an HTCDS file (.json: a list of rows or a document with ``cases``; .csv: a header row)."""
    fmt = format_for(path)
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    data = json.loads(text)
    rows = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("The JSON must be a list of cases, or an object with the cases under \"cases\"")
    return rows


class _Row:
    """One row being read: values by field, problems collected against its number."""

    def __init__(self, number: int, values: dict[str, Any], problems: list[ImportProblem]) -> None:
        self.number, self.values, self.problems = number, values, problems

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value).strip()

    def problem(self, name: str, message: str) -> None:
        self.problems.append(ImportProblem(self.number, name, message))

    def date(self, name: str, *, required: bool = False) -> date | None:
        text = self.text(name)
        if not text:
            if required:
                self.problem(name, "Enter the date, like 2024-03-31")
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(name, f"'{text}' is not a date like 2024-03-31")
            return None

    def choice(self, name: str, allowed: Iterable[str]) -> str | None:
        text = self.text(name)
        if text and text not in set(allowed):
            self.problem(name, f"'{text}' is not one of: {', '.join(allowed)}")
            return None
        return text or None

    def many(self, name: str, allowed: Iterable[str]) -> list[str]:
        values = _split(self.values.get(name))
        known = set(allowed)
        for value in values:
            if value not in known:
                self.problem(name, f"'{value}' is not one of: {', '.join(allowed)}")
        return [v for v in values if v in known]


def _allowed(name: str) -> tuple[str, ...]:
    return next(f.values for f in htcds_fields() if f.name == name)


def _pseudonym(key: str) -> str:
    import hashlib
    import hmac

    from django.conf import settings

    return hmac.new(settings.PSEUDONYMISATION_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def _age(row: _Row) -> str:
    band = row.choice("nrm_AgeAtExploitation", xs.AGES)
    if band:
        return band
    text = row.text("vic_AgeWhenTrafficked")
    if not text:
        return xs.AGES[2]
    if not text.isdigit() or int(text) > 120:
        row.problem("vic_AgeWhenTrafficked", f"'{text}' is not an age in whole years")
        return xs.AGES[2]
    return xs.AGES[1] if int(text) < 18 else xs.AGES[0]


def _exploitation_in(row: _Row) -> str:
    if row.text("nrm_ExploitationTypes"):
        return _list(row.many("nrm_ExploitationTypes", xs.EXPLOITATION_TYPES))
    mapped = {EXPLOITATION_IN.get(v, "Not specified or unknown")
              for v in row.many("vic_TypeOfExploitation", _allowed("vic_TypeOfExploitation"))}
    if len(mapped) > 1:
        mapped.discard("Not specified or unknown")
    return _list(t for t in xs.EXPLOITATION_TYPES if t in mapped) or "Not specified or unknown"


def _location_in(row: _Row) -> str:
    chosen = row.choice("nrm_LocationOfExploitation", xs.LOCATIONS)
    if chosen:
        return chosen
    codes = {c.upper() for c in _split(row.values.get("hte_Country")) + _split(row.values.get("vic_LocationOfExploitation"))}
    uk, abroad = "GB" in codes, bool(codes - {"GB"})
    return {(True, True): "UK and Overseas", (True, False): "UK", (False, True): "Overseas"}.get(
        (uk, abroad), "Not specified or unknown")


def _nationality_in(row: _Row, demonyms: dict[str, str]) -> str:
    if row.text("nrm_Nationality"):
        return row.text("nrm_Nationality")
    names = []
    for code in _split(row.values.get("prs_Citizenship")):
        if code.upper() not in demonyms:
            row.problem("prs_Citizenship", f"'{code}' is not an ISO 3166-1 alpha-2 country code")
        else:
            names.append(demonyms[code.upper()])
    return _list(names) or "Unknown"


def _ids(row: _Row, source: str) -> tuple[str, str]:
    referral_id = row.text("nrm_ReferralId") or "H-" + _pseudonym(f"htcds:{source}:{row.number}")[:24]
    given = row.text("nrm_PersonId")
    if given:
        if not re.fullmatch(r"[0-9a-f]{64}", given):
            row.problem("nrm_PersonId", "must be the keyed hash (64 lowercase hexadecimal characters)")
        return referral_id, given
    answers = {"first_names": row.text("prs_FirstName"), "last_name": row.text("prs_SecondName"),
               "dob": row.text("prs_Birthdate")}
    return referral_id, person_id(answers, f"{source}:{row.number}")


def _decisions(row: _Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stage in ("rg", "cg"):
        title = stage.capitalize()
        out[f"{stage}_outcome"] = row.choice(f"nrm_{title}Outcome", xs.OUTCOMES)
        out[f"{stage}_date"] = row.date(f"nrm_{title}Date")
        out[f"{stage}_reason"] = row.text(f"nrm_{title}Reason") or None
    return out


def _status_in(row: _Row, decisions: dict[str, Any]) -> str | None:
    status = row.choice("nrm_Status", xs.CASE_STATUSES)
    if status:
        return status
    htcds_status = row.choice("cas_Status", _allowed("cas_Status"))
    if htcds_status in {None, "Active", "FollowUp"}:
        return "Awaiting CG" if decisions["rg_outcome"] == "Positive" and not decisions["cg_outcome"] else (
            "Awaiting RG" if not decisions["rg_outcome"] else "Concluded")
    if decisions["cg_outcome"] or decisions["rg_outcome"] == "Negative":
        return "Concluded"
    row.problem("cas_Status", f"a {htcds_status} case needs its NRM decision (nrm_RgOutcome and nrm_RgDate, "
                "nrm_CgOutcome and nrm_CgDate) or nrm_Status to be placed in the statistics")
    return None


def _boolean(row: _Row, name: str) -> bool:
    text = row.text(name).lower()
    if text in {"", "false", "0", "no"}:
        return False
    if text in {"true", "1", "yes"}:
        return True
    row.problem(name, f"'{row.text(name)}' is not true or false")
    return False


def _first_responder_type(row: _Row) -> str:
    chosen = row.choice("nrm_FirstResponderType", xs.FIRST_RESPONDER_TYPES)
    if chosen:
        return chosen
    org_type = row.choice("org_Type", _allowed("org_Type"))
    return FIRST_RESPONDER_TYPES.get(org_type or "", "Other")


def _import_row(row: _Row, *, source: str, competent_authority: str | None, demonyms: dict[str, str],
                regions: dict[str, str]) -> dict[str, Any]:
    referral_id, person = _ids(row, source)
    authority = row.choice("nrm_CompetentAuthority", xs.COMPETENT_AUTHORITIES) or competent_authority
    if authority is None:
        row.problem("nrm_CompetentAuthority", "Give SCA or IECA in the file, or --competent-authority for the "
                    "whole file")
    gender = row.choice("prs_Gender", _allowed("prs_Gender"))
    decisions = _decisions(row)
    force = row.text("nrm_PoliceForce") or None
    if force and force not in regions:
        row.problem("nrm_PoliceForce", f"'{force}' is not a police force area")
    return {
        "referral_id": referral_id, "person_id": person,
        "referral_date": row.date("cas_IncomingReferralDate", required=True),
        "competent_authority": authority or "",
        "first_responder_type": _first_responder_type(row),
        "first_responder": row.text("cas_ReferringOrganisation") or row.text("org_Name") or "Not recorded",
        "age_at_exploitation": _age(row),
        "gender": GENDERS_IN.get(gender or "", "Not specified or unknown"),
        "nationality": _nationality_in(row, demonyms),
        "exploitation_types": _exploitation_in(row),
        "location_of_exploitation": _location_in(row),
        "police_force": force if force in regions else None,
        "region": regions.get(force or ""),
        "county_lines": _boolean(row, "nrm_CountyLines"),
        **decisions,
        "status": _status_in(row, decisions) or "",
        "status_date": row.date("nrm_StatusDate"),
    }


def import_htcds(rows: list[dict[str, Any]], *, source: str, competent_authority: str | None = None,
                 max_problems: int = 100) -> ImportResult:
    """HTCDS rows as the extract's referrals table, or the problems (row numbers from 1) if any."""
    from nrm.reference.models import Country, PoliceForce

    demonyms = dict(Country.objects.values_list("code", "demonym"))
    regions = dict(PoliceForce.objects.values_list("name", "region"))
    problems: list[ImportProblem] = []
    out = []
    for number, values in enumerate(rows, start=1):
        out.append(_import_row(_Row(number, values, problems), source=source, competent_authority=competent_authority,
                               demonyms=demonyms, regions=regions))
        if len(problems) >= max_problems:
            break
    if problems:
        return ImportResult(None, problems[:max_problems])
    return ImportResult(pa.Table.from_pylist(out, schema=xs.REFERRALS))


# --- the mapping document ---------------------------------------------------------------------------


def mapping_markdown() -> str:
    lines = [
        "# HTCDS export and import: the mapping, field by field",
        "",
        "Open NRM writes cases in the UN Migration [Human Trafficking Case Data Standard]"
        "(https://github.com/UNMigration/HTCDS) 2.0 (CC BY 4.0) field layout, and reads files in it into the "
        "statistics extract. Generated from `nrm/stats/htcds.py` (`nrm export htcds-mapping > docs/htcds.md`; a "
        "test keeps it current); the field list is the standard's `HTCDS Field Standards 2.0.ods`, kept in "
        "`nrm/stats/data/htcds_fields.csv`.",
        "",
        "- `nrm export htcds --from 2024-01-01 --to 2024-03-31 --out cases.json` (or `.csv`), optionally "
        "`--organisation SLUG` for the receiving organisation; `GET /api/v1/exports/htcds?from=...&to=...` "
        "(`&output=csv`), scope `exports:htcds`, for the calling client's organisation.",
        "- One row per case received in the range. JSON: `{\"standard\", \"received_from\", \"received_to\", "
        "\"pseudonymised\", \"cases\": [...]}` with multi-select fields as lists; CSV: one column per field, lists "
        "separated by `;`, booleans `true`/`false`, dates ISO 8601.",
        "- **Pseudonymised** unless the receiving organisation's data-sharing agreement allows identifiable data "
        "(`identifiable_data_sharing` on the organisation): no names, dates of birth or contact details, and the "
        "ids are the statistics extract's keyed hashes. Fields marked *identifiable* are only in identifiable "
        "exports, which also carry `nrm_Reference` (the NRM reference).",
        "- `nrm stats import --format htcds FILE [--into DIR] [--competent-authority SCA|IECA]` reads a file in "
        "this layout (from this service or another system) into the extract's referrals table; every problem is "
        "named by row and field and nothing is loaded if there is one. Names and dates of birth in the file only "
        "derive the keyed person id.",
        "",
        "## HTCDS fields",
        "",
        "| Field | Section | Core | Mapping |",
        "| --- | --- | --- | --- |",
    ]
    for f in htcds_fields():
        flag = " *identifiable*" if f.name in MAPPINGS and MAPPINGS[f.name].identifiable else ""
        status = " (deprecated)" if f.status == "DEPRECATED" else ""
        lines.append(f"| `{f.name}`{status} | {f.section} | {'yes' if f.core else ''} | {field_note(f.name)}{flag} |")
    lines += [
        "",
        "## Open NRM extension fields (`nrm_`)",
        "",
        "What HTCDS has no field for, so that an export read back by `nrm stats import --format htcds` gives the "
        "statistics extract's row exactly. Other systems may leave them out; the import then reads the HTCDS "
        "fields above.",
        "",
        "| Field | Statistics extract column (docs/statistics/extract.md) |",
        "| --- | --- |",
        *(f"| `{name}` | `{column}` |" for name, column in EXTENSION.items()),
        "| `nrm_Reference` | identifiable exports only: the NRM reference |",
        "",
    ]
    return "\n".join(lines)

