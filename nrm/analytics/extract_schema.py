"""The analytical extract: one row per referral, pseudonymised.

This module is the single source of truth for the extract's columns and the values
each may take. The synthetic generator (``nrm.synth``), the extract builder
(``nrm stats extract``), the importer (``nrm stats import``) and the publication all
use it. The prose description lives in ``docs/statistics/extract.md``.
"""

from __future__ import annotations

import pyarrow as pa

LIST_SEPARATOR = ";"

COMPETENT_AUTHORITIES = ("SCA", "IECA")
FIRST_RESPONDER_TYPES = (
    "Government agency",
    "NGO and third sector",
    "Police",
    "Local authority",
    "Health and social care",
    "Other",
)
AGES = ("Adult (18 or over)", "Child (17 or under)", "Not specified or unknown")
GENDERS = ("Female", "Male", "Other", "Not specified or unknown")
EXPLOITATION_TYPES = (
    "Labour",
    "Sexual",
    "Criminal",
    "Domestic",
    "Organ Harvesting",
    "Not specified or unknown",
)
LOCATIONS = ("UK", "Overseas", "UK and Overseas", "Not specified or unknown")
OUTCOMES = ("Positive", "Negative")
CASE_STATUSES = (
    "Awaiting RG",
    "Awaiting CG",
    "Concluded",
    "Withdrawn",
    "Suspended",
    "Disqualified",
)

# Dates are ISO dates (pyarrow date32). Lists are ';'-separated strings so the
# file reads the same in CSV and Parquet.
REFERRALS = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),  # keyed hash (HMAC-SHA256)
        pa.field("referral_date", pa.date32(), nullable=False),
        pa.field("competent_authority", pa.string(), nullable=False),
        pa.field("first_responder_type", pa.string(), nullable=False),
        pa.field("first_responder", pa.string(), nullable=False),
        pa.field("age_at_exploitation", pa.string(), nullable=False),
        pa.field("gender", pa.string(), nullable=False),
        pa.field("nationality", pa.string(), nullable=False),
        pa.field("exploitation_types", pa.string(), nullable=False),
        pa.field("location_of_exploitation", pa.string(), nullable=False),
        pa.field("police_force", pa.string(), nullable=True),  # name of the force area; null if overseas/unknown
        pa.field("region", pa.string(), nullable=True),  # region of that force
        pa.field("county_lines", pa.bool_(), nullable=False),
        pa.field("rg_outcome", pa.string(), nullable=True),
        pa.field("rg_date", pa.date32(), nullable=True),
        pa.field("rg_reason", pa.string(), nullable=True),  # reason code for negative decisions
        pa.field("cg_outcome", pa.string(), nullable=True),
        pa.field("cg_date", pa.date32(), nullable=True),
        pa.field("cg_reason", pa.string(), nullable=True),
        pa.field("status", pa.string(), nullable=False),  # at the extract date
        pa.field("status_date", pa.date32(), nullable=True),  # when the case entered that status
    ]
)

# Duty to Notify reports are about adults; the service records these bands
# (nrm.referrals.models.AgeBand holds the same values, checked by a test).
DTN_AGE_BANDS = ("18 to 24", "25 to 34", "35 to 44", "45 to 54", "55 and over", "Not specified or unknown")

DUTY_TO_NOTIFY = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("report_date", pa.date32(), nullable=False),
        pa.field("first_responder_type", pa.string(), nullable=False),
        pa.field("first_responder", pa.string(), nullable=False),
        pa.field("gender", pa.string(), nullable=False),
        pa.field("nationality", pa.string(), nullable=False),
        pa.field("age_band", pa.string(), nullable=False),  # one of DTN_AGE_BANDS
        pa.field("exploitation_types", pa.string(), nullable=False),
        pa.field("location_of_exploitation", pa.string(), nullable=False),
        pa.field("police_force", pa.string(), nullable=True),
    ]
)

REVIEW_KINDS = ("Multi-Agency Assurance Panel", "Second-line review")
REVIEW_OUTCOMES = ("Agree", "Disagree")

REVIEWS = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("decision_stage", pa.string(), nullable=False),  # "RG" or "CG"
        pa.field("review_kind", pa.string(), nullable=False),
        pa.field("referred_date", pa.date32(), nullable=False),
        pa.field("outcome", pa.string(), nullable=True),  # null while under review
        pa.field("outcome_date", pa.date32(), nullable=True),
    ]
)

SUPPORT_KINDS = (
    "Accommodation",
    "Outreach",
    "Financial",
    "Legal advice",
    "Counselling",
    "Interpreter",
    "Recovery needs assessment",
)

PROVIDER_TYPES = ("Victim care contract", "Local authority")

SUPPORT = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("provider_type", pa.string(), nullable=False),  # "Victim care contract" or "Local authority"
        pa.field("start_date", pa.date32(), nullable=False),
        pa.field("end_date", pa.date32(), nullable=True),
        pa.field("outcome", pa.string(), nullable=True),  # assessments only
    ]
)

# Public order disqualification requests (Nationality and Borders Act 2022, s.63): one row per
# request, with the competent authority's decision once made.
DISQUALIFICATION_GROUNDS = ("Public order", "Bad faith")
DISQUALIFICATION_OUTCOMES = ("Disqualified", "Not disqualified")

DISQUALIFICATIONS = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("ground", pa.string(), nullable=False),
        pa.field("requested_date", pa.date32(), nullable=False),
        pa.field("outcome", pa.string(), nullable=True),  # null while waiting for a decision
        pa.field("outcome_date", pa.date32(), nullable=True),
    ]
)

# Requests to reconsider a negative Reasonable Grounds or Conclusive Grounds decision: one row per
# request, with the fresh decision once it has been made (served). The stage is written as the
# decisions of the tables are ("Reasonable Grounds", "Conclusive Grounds").
RECONSIDERATION_STAGES = ("Reasonable Grounds", "Conclusive Grounds")

RECONSIDERATIONS = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),  # one of RECONSIDERATION_STAGES
        pa.field("requested_date", pa.date32(), nullable=False),
        pa.field("outcome", pa.string(), nullable=True),  # the fresh decision, one of OUTCOMES; null while waiting
        pa.field("outcome_date", pa.date32(), nullable=True),
    ]
)

# How each referral was decided (ADR 0028): one row per referral, with the nation whose rules apply,
# the devolved children's decision panel that decides it (null: the competent authority), and the
# guidance recorded on its standing decisions (null until one is served). The referrals table
# keeps its columns and their meaning.
NATIONS = ("England", "Wales", "Scotland", "Northern Ireland")
CASEWORK = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),
        pa.field("nation", pa.string(), nullable=False),  # one of NATIONS
        pa.field("decision_panel", pa.string(), nullable=True),  # the panel's name
        pa.field("rg_guidance_version", pa.string(), nullable=True),  # recorded on the served RG decision
        pa.field("cg_standard", pa.string(), nullable=True),  # the standard recorded on the served CG decision
    ]
)

TABLES: dict[str, pa.Schema] = {
    "referrals": REFERRALS,
    "duty_to_notify": DUTY_TO_NOTIFY,
    "reviews": REVIEWS,
    "support": SUPPORT,
    "disqualifications": DISQUALIFICATIONS,
    "casework": CASEWORK,
    "reconsiderations": RECONSIDERATIONS,
}
