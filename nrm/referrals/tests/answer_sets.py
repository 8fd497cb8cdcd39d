"""Complete, valid answers for each kind of referral, in the journey's own names and codes, for
tests anywhere in the service."""

from __future__ import annotations

from typing import Any

FIRST_RESPONDER = {
    "fr_name": "Priya Shah", "fr_job_title": "Detective Constable", "fr_email": "priya.shah@met.police.example",
    "fr_phone": "020 7946 0000", "fr_police_force": "E23000001",
}

CHILD: dict[str, Any] = {
    **FIRST_RESPONDER,
    "age_at_exploitation": "child", "under_18_now": "yes",
    "first_names": "Ana", "last_name": "Popescu", "other_names": "Anna P",
    "dob": {"day": "3", "month": "4", "year": "2010"}, "estimated_age": "",
    "gender": "female", "nationalities": ["RO"],
    "language": "Romanian", "other_languages": "", "interpreter": "yes", "interpreter_details": "Romanian, female",
    "safe_contact": "Only through her social worker.", "contact_address": "", "contact_phone": "", "contact_email": "",
    "exploitation_types": ["sexual", "criminal"], "exploitation_when": "ongoing", "exploitation_when_details": "",
    "location": "uk", "exploitation_police_force": "E23000005", "exploitation_local_authority": "E08000003",
    "indicators_sexual": ["sexual_moved"], "indicators_criminal": ["criminal_phones"],
    "account": "She was moved between flats in Manchester by two older men and made to carry drugs.",
    "county_lines": "yes", "safety_risk": "yes", "safeguarding_actions": "Placed in emergency foster care.",
    "agencies": ["police", "childrens_social_care"], "agencies_details": "",
    "child_local_authority": "E09000007", "routing": ["none"],
}

ADULT: dict[str, Any] = {
    **{k: v for k, v in CHILD.items() if k not in {"child_local_authority", "indicators_sexual", "indicators_criminal",
                                                    "county_lines"}},
    "age_at_exploitation": "adult", "under_18_now": "no", "consent": "yes",
    "consent_record": "Explained with an interpreter; signed consent form on file.",
    "police_consent": "yes",
    "first_names": "Tomasz", "last_name": "Nowak", "gender": "male", "nationalities": ["PL", "DE"],
    "dob": {"day": "1", "month": "2", "year": "1980"},
    "exploitation_types": ["labour"], "indicators_labour": ["labour_wages", "labour_documents"],
    "location": "both", "exploitation_police_force": "E23000029", "exploitation_local_authority": "E07000178",
    "exploitation_countries": ["PL"], "account": "He worked 14 hours a day at a car wash and was paid nothing.",
    "agencies": ["none"], "routing": ["detention"],
}

DUTY_TO_NOTIFY: dict[str, Any] = {
    **FIRST_RESPONDER,
    "age_at_exploitation": "adult", "under_18_now": "no", "consent": "no",
    "gender": "female", "nationalities": ["AL"], "age_band": "25 to 34",
    "exploitation_types": ["sexual"], "location": "uk", "exploitation_police_force": "E23000014",
    "what_happened": "Forced to work in a flat above a nail bar for two years.",
    "about_exploiters": "Two men who call themselves Bash and Kris; a silver van.",
}
