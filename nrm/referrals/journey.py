"""The referral journey as data: its steps, their questions, the checks on each answer and
the rules that decide which steps apply. Pure Python, no database: the options that come from
reference data are looked up through a function the caller passes in, so the whole flow can be
tested without a browser or a database.

Answers are stored as they were typed (strings, lists of strings, and dates as
``{"day", "month", "year"}``), so nothing is lost when an answer is not valid yet; the checks
below decide whether a step is complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from nrm.core import rules
from nrm.core.dates import DateProblem, date_parts, date_problem, parse_date
from nrm.core.input import has_unsafe_characters, unsafe_message
from nrm.reference.loader import nation as reference_nation
from nrm.reference.loader import rows as reference_rows
from nrm.referrals.indicators import indicators_by_type

Answers = Mapping[str, Any]
Predicate = Callable[[Answers], bool]


class Kind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    NUMBER = "number"
    DATE = "date"
    RADIOS = "radios"
    CHECKBOXES = "checkboxes"
    SELECT = "select"
    SELECTS = "selects"  # one or more values, as repeated selects (enhanced to autocompletes by JavaScript)


@dataclass(frozen=True)
class Option:
    value: str
    text: str
    hint: str = ""
    exclusive: bool = False  # "None of these": cannot be chosen with another option
    nation: str = ""  # for places (police force areas): the nation's code, as the reference data give it


OptionLookup = Callable[[str], Sequence[Option]]  # reference data source name -> options


def always(answers: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    hint: str = ""
    required: bool | Predicate = True
    error: str = ""  # message when a required answer is missing ("Enter ...", "Select ...")
    options: tuple[Option, ...] = ()
    source: str = ""  # name of a reference data source for the options
    applies: Predicate = always
    reveal: tuple[str, str] | None = None  # shown under this (field, option value) of the same step
    max_length: int = 500
    repeat: int = 1  # SELECTS: how many selects are shown
    min_value: int | None = None
    max_value: int | None = None
    width: str = ""
    autocomplete: str = ""
    rows: int = 5
    summary_label: str = ""
    spellcheck: bool | None = None
    others_label: str = ""  # the summary label for anyone but the first responder who made the referral

    @property
    def short_label(self) -> str:
        return self.summary_label or self.label

    def label_for(self, *, own: bool) -> str:
        """The label on a summary of answers: ``own`` for the first responder who gave them."""
        return self.short_label if own else (self.others_label or self.short_label)

    def is_required(self, answers: Answers) -> bool:
        return self.required(answers) if callable(self.required) else self.required


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    section: str
    fields: tuple[Field, ...] = ()
    applies: Predicate = always
    description: str = ""
    include: str = ""  # a template shown before the questions (explanations, uploads)
    include_after: str = ""  # a template shown after the questions (language guidance)
    heading_field: bool = False  # the single question is the page heading
    stops: bool = False  # the journey cannot go on from this page (nothing can be sent)

    def top_level_fields(self) -> list[Field]:
        return [f for f in self.fields if f.reveal is None]


# --- The rules that decide the kind of referral -------------------------------------------------

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
YES_NO_UNKNOWN = (*YES_NO, Option("unknown", "Not known"))


def asks_age_now(answers: Answers) -> bool:
    """Someone exploited at 18 or over is an adult now: only a child or an unknown age is asked again."""
    return answers.get("age_at_exploitation") != "adult"


def under_18_now(answers: Answers) -> str | None:
    """"yes", "disputed" or "no" once known. An answer left from before the age when exploited was
    changed to "18 or over" is not read: that person is an adult."""
    return answers.get("under_18_now") if asks_age_now(answers) else "no"


def treated_as_child(answers: Answers) -> bool:
    """Under 18 now, or may be (age disputed or unknown): a child for the NRM."""
    return under_18_now(answers) in {"yes", "disputed"}


def needs_consent(answers: Answers) -> bool:
    return under_18_now(answers) == "no"


@lru_cache(maxsize=1)
def _police_forces_from_file() -> tuple[Option, ...]:
    return tuple(Option(row["code"], row["name"], nation=reference_nation(row["nation"]))
                 for row in reference_rows("police_forces.csv"))


_FILE_SOURCES: dict[str, Callable[[], tuple[Option, ...]]] = {"police_forces": _police_forces_from_file}


def file_options(source: str) -> Sequence[Option]:
    """The options of a reference data source read from its file in ``nrm/reference/data`` (the file
    the database's reference tables are loaded from), for rules that are asked without a lookup."""
    return _FILE_SOURCES[source]()


def first_responder_nation(answers: Answers, lookup: OptionLookup | None = None) -> str | None:
    """Where the first responder works: the nation of the police force area they gave, as the
    reference data (``police_forces.csv``) record it. British Transport Police works across Great
    Britain (``uk``); the policy registry says what applies to it."""
    code = str(answers.get("fr_police_force") or "")
    if not code:
        return None
    force = next((o for o in (lookup or file_options)("police_forces") if o.value == code), None)
    return force.nation or None if force else None


def duty_to_notify_applies(answers: Answers, today: date | None = None) -> bool:
    """The Duty to Notify binds public authorities in England and Wales only (dated policy by nation).
    Until the first responder has said where they work, it is taken to apply."""
    nation = first_responder_nation(answers)
    return nation is None or rules.duty_to_notify_applies(nation=nation, on=today or date.today())


def refuses_consent(answers: Answers) -> bool:
    return needs_consent(answers) and answers.get("consent") == "no"


def is_duty_to_notify(answers: Answers) -> bool:
    """An adult who does not consent, where the duty applies: an anonymous Duty to Notify report."""
    return refuses_consent(answers) and duty_to_notify_applies(answers)


def cannot_refer(answers: Answers) -> bool:
    """An adult who does not consent where there is no Duty to Notify (Scotland, Northern Ireland):
    nothing can be sent; the page says what to do instead."""
    return refuses_consent(answers) and not duty_to_notify_applies(answers)


def is_nrm(answers: Answers) -> bool:
    return not refuses_consent(answers)


def _nrm_and(predicate: Predicate) -> Predicate:
    return lambda answers: is_nrm(answers) and predicate(answers)


def _location_in(*values: str) -> Predicate:
    return lambda answers: answers.get("location") in values


def _has_type(code: str) -> Predicate:
    return lambda answers: code in (answers.get("exploitation_types") or [])


ROUTING_TO_IECA = frozenset({"detention", "fno", "inadmissible"})


def competent_authority(answers: Answers) -> str:
    """IECA for immigration detention, a foreign national offender facing deportation or an
    inadmissible asylum claim; otherwise the SCA."""
    return "IECA" if ROUTING_TO_IECA & set(answers.get("routing") or []) else "SCA"


# --- The steps -----------------------------------------------------------------------------------

def _indicator_fields() -> tuple[Field, ...]:
    labels = {"labour": "Labour exploitation", "sexual": "Sexual exploitation", "criminal": "Criminal exploitation",
              "domestic": "Domestic servitude", "organ_harvesting": "Organ harvesting"}
    return tuple(
        Field(
            f"indicators_{code}", Kind.CHECKBOXES, labels.get(code, code.replace("_", " ").capitalize()),
            hint="Select all that you have seen or been told about.",
            required=False, options=tuple(Option(i.code, i.text) for i in items), applies=_has_type(code),
        )
        for code, items in indicators_by_type().items()
    )


INDICATOR_FIELDS = _indicator_fields()

SECTION_YOU = "Your details"
SECTION_AGE = "Age and consent"
SECTION_PERSON = "About the person"
SECTION_EXPLOITATION = "The exploitation"
SECTION_SAFEGUARDING = "Safeguarding"
SECTION_EVIDENCE = "Evidence"
SECTION_ROUTING = "Decision maker"
# Section titles as anyone but the first responder who made the referral reads them.
SECTION_TITLES_FOR_OTHERS = {SECTION_YOU: "First responder"}


def section_title(section: str, *, own: bool) -> str:
    return section if own else SECTION_TITLES_FOR_OTHERS.get(section, section)

AGE_BANDS = ("18 to 24", "25 to 34", "35 to 44", "45 to 54", "55 and over")

STEPS: tuple[Step, ...] = (
    Step("first-responder", "Your contact details", SECTION_YOU, (
        Field("fr_name", Kind.TEXT, "Full name", error="Enter your full name", autocomplete="name",
              spellcheck=False, max_length=200),
        Field("fr_job_title", Kind.TEXT, "Job title", error="Enter your job title",
              autocomplete="organization-title", max_length=120),
        Field("fr_email", Kind.EMAIL, "Email address", error="Enter your email address",
              hint="We send the receipt and any questions about this referral here.", autocomplete="email",
              spellcheck=False, max_length=254),
        Field("fr_phone", Kind.PHONE, "Telephone number", error="Enter your telephone number", autocomplete="tel",
              width="govuk-input--width-20", max_length=40),
        Field("fr_police_force", Kind.SELECT, "Which police force area do you work in?", source="police_forces",
              error="Select the police force area you work in",
              hint="If the exploitation happened overseas, or you do not know where it happened, "
                   "we send the crime referral to this force.", summary_label="Your police force area",
              others_label="Police force area they work in"),
    ), description="We have filled these in from your account. Check them and change anything that is not right."),
    Step("age", "Age when exploited", SECTION_AGE, (
        Field("age_at_exploitation", Kind.RADIOS, "How old was the person when the exploitation happened?",
              error="Select how old the person was when the exploitation happened",
              hint="If it started before they were 18, choose 'Under 18'.",
              options=(Option("child", "Under 18"), Option("adult", "18 or over"), Option("unknown", "Not known")),
              summary_label="Age when exploited"),
    ), heading_field=True),
    Step("age-now", "Age now", SECTION_AGE, (
        Field("under_18_now", Kind.RADIOS, "Is the person under 18 now?",
              error="Select whether the person is under 18 now",
              hint="A person who may be a child is treated as a child: you do not need their consent, "
                   "and we tell the local authority's children's social care.",
              options=(Option("yes", "Yes"),
                       Option("disputed", "They may be", hint="Their age is disputed or not known"),
                       Option("no", "No, they are 18 or over")),
              summary_label="Under 18 now"),
    ), applies=asks_age_now, heading_field=True),
    Step("consent", "Informed consent", SECTION_AGE, (
        Field("consent", Kind.RADIOS, "Has the person given informed consent to be referred?",
              error="Select whether the person has given informed consent",
              options=(Option("yes", "Yes, they have given informed consent"),
                       Option("no", "No, they do not consent")),
              summary_label="Informed consent"),
    ), applies=needs_consent, include="referrals/includes/consent.html"),
    Step("no-consent", "A referral needs consent", SECTION_AGE, (), applies=cannot_refer,
         include="referrals/includes/no_consent.html", stops=True),
    Step("consent-record", "Recording consent", SECTION_AGE, (
        Field("consent_record", Kind.TEXTAREA, "How did you explain the referral and record their consent?",
              error="Enter how you explained the referral and recorded consent",
              hint="For example: 'Explained with a Romanian interpreter on 3 May. Signed consent form on file.'",
              max_length=2000, rows=4, summary_label="How consent was recorded"),
    ), applies=lambda a: needs_consent(a) and a.get("consent") == "yes", heading_field=True),
    # Every NRM referral goes to the police as a crime referral; an adult decides whether their
    # details go with it (a child's always do, without consent).
    Step("police-consent", "Sharing with the police", SECTION_AGE, (
        Field("police_consent", Kind.RADIOS, "Does the person agree to the police being given their details?",
              error="Select whether the person agrees to the police being given their details",
              hint="The police will be told about the crime either way. If the person does not agree, the police "
                   "get only details that do not identify them.",
              options=(Option("yes", "Yes, the police may have their details"),
                       Option("no", "No, do not give the police their details")),
              summary_label="Agrees to the police having their details"),
    ), applies=lambda a: needs_consent(a) and a.get("consent") == "yes", heading_field=True),
    # An adult who does not consent: only non-identifying details are asked.
    Step("anonymous-details", "About the person", SECTION_PERSON, (
        Field("gender", Kind.RADIOS, "Gender", error="Select the person's gender",
              options=(Option("female", "Female"), Option("male", "Male"), Option("other", "Other"),
                       Option("unknown", "Not known"))),
        Field("nationalities", Kind.SELECTS, "Nationality", source="nationalities", repeat=3,
              error="Select the person's nationality", hint="Choose 'Unknown' if you do not know."),
        Field("age_band", Kind.RADIOS, "Age", error="Select the person's age",
              options=(*(Option(b, b) for b in AGE_BANDS), Option("Not specified or unknown", "Not known"))),
    ), applies=is_duty_to_notify, include="referrals/includes/anonymous.html"),
    Step("person-name", "The person's name", SECTION_PERSON, (
        Field("first_names", Kind.TEXT, "First names", error="Enter the person's first names",
              hint="If you do not know, write 'Not known'.", spellcheck=False, max_length=200),
        Field("last_name", Kind.TEXT, "Last name", error="Enter the person's last name",
              hint="If you do not know, write 'Not known'.", spellcheck=False, max_length=200),
        Field("other_names", Kind.TEXTAREA, "Other names or aliases (optional)", required=False,
              hint="Include other spellings and names they have used. Put each on a new line.",
              max_length=2000, rows=3, spellcheck=False, summary_label="Other names or aliases"),
    ), applies=is_nrm),
    Step("person-birth", "Date of birth or age", SECTION_PERSON, (
        Field("dob", Kind.DATE, "Date of birth", hint="For example, 27 3 2007. Leave this blank if you do not know it.",
              required=lambda a: not str(a.get("estimated_age") or "").strip(),
              error="Enter the person's date of birth, or their estimated age"),
        Field("estimated_age", Kind.NUMBER, "If you do not know their date of birth, their estimated age in years",
              required=False, min_value=0, max_value=120, width="govuk-input--width-3",
              summary_label="Estimated age"),
    ), applies=is_nrm),
    Step("person-gender", "Gender", SECTION_PERSON, (
        Field("gender", Kind.RADIOS, "What is the person's gender?", error="Select the person's gender",
              options=(Option("female", "Female"), Option("male", "Male"), Option("other", "Other"),
                       Option("unknown", "Not known")), summary_label="Gender"),
    ), applies=is_nrm, heading_field=True),
    Step("person-nationality", "Nationality", SECTION_PERSON, (
        Field("nationalities", Kind.SELECTS, "Nationality", source="nationalities", repeat=3,
              error="Select the person's nationality",
              hint="If they have more than one nationality, add the others. Choose 'Unknown' if you do not know."),
    ), applies=is_nrm),
    Step("person-language", "Language", SECTION_PERSON, (
        Field("language", Kind.TEXT, "What is the person's main language?", error="Enter the person's main language",
              max_length=100, width="govuk-input--width-20", summary_label="Main language"),
        Field("other_languages", Kind.TEXT, "Other languages they speak (optional)", required=False,
              max_length=200, summary_label="Other languages"),
        Field("interpreter", Kind.RADIOS, "Does the person need an interpreter?",
              error="Select whether the person needs an interpreter", options=YES_NO,
              summary_label="Needs an interpreter"),
    ), applies=is_nrm),
    Step("person-interpreter", "Interpreter", SECTION_PERSON, (
        Field("interpreter_details", Kind.TEXT, "Which language and dialect should the interpreter speak?",
              error="Enter the language and dialect for the interpreter",
              hint="Say if they need an interpreter of a particular gender.", max_length=200,
              summary_label="Interpreter"),
    ), applies=lambda a: is_nrm(a) and a.get("interpreter") == "yes", heading_field=True),
    Step("person-contact", "Contacting the person", SECTION_PERSON, (
        Field("safe_contact", Kind.TEXTAREA, "How can the person be contacted safely?",
              error="Enter how the person can be contacted safely",
              hint="For example, only through their support worker, or only at certain times. "
                   "Say if it is not safe to call, text or write to them.", max_length=2000, rows=3,
              summary_label="Safe way to make contact"),
        Field("contact_address", Kind.TEXTAREA, "Current address (optional)", required=False, max_length=500,
              rows=3, autocomplete="off", summary_label="Current address"),
        Field("contact_phone", Kind.PHONE, "Telephone number (optional)", required=False, max_length=40,
              width="govuk-input--width-20", autocomplete="off", summary_label="Telephone number"),
        Field("contact_email", Kind.EMAIL, "Email address (optional)", required=False, max_length=254,
              autocomplete="off", spellcheck=False, summary_label="Email address"),
    ), applies=is_nrm),
    Step("exploitation-types", "Type of exploitation", SECTION_EXPLOITATION, (
        Field("exploitation_types", Kind.CHECKBOXES, "What type of exploitation was it?",
              source="exploitation_types", error="Select the type of exploitation",
              hint="Select all that apply.", summary_label="Type of exploitation"),
        Field("other_exploitation", Kind.TEXT, "Describe the other exploitation", reveal=("exploitation_types", "other"),
              error="Describe the other exploitation", max_length=200, summary_label="Other exploitation"),
    ), heading_field=True),
    Step("exploitation-when", "When it happened", SECTION_EXPLOITATION, (
        Field("exploitation_when", Kind.RADIOS, "When did the exploitation happen?",
              error="Select when the exploitation happened",
              options=(Option("ongoing", "It is still happening"), Option("recent", "In the last 12 months"),
                       Option("earlier", "More than 12 months ago"), Option("unknown", "Not known")),
              summary_label="When"),
        Field("exploitation_when_details", Kind.TEXTAREA, "Dates or period, if known (optional)", required=False,
              max_length=500, rows=2, summary_label="Dates or period"),
    ), applies=is_nrm),
    Step("exploitation-where", "Where it happened", SECTION_EXPLOITATION, (
        Field("location", Kind.RADIOS, "Where did the exploitation happen?", error="Select where the exploitation happened",
              options=(Option("uk", "In the UK"), Option("overseas", "Overseas"),
                       Option("both", "In the UK and overseas"), Option("unknown", "Not known")),
              summary_label="Where"),
    ), heading_field=True),
    Step("exploitation-where-uk", "Where in the UK", SECTION_EXPLOITATION, (
        Field("exploitation_police_force", Kind.SELECT, "Police force area", source="police_forces",
              error="Select the police force area where the exploitation happened",
              hint="We send the crime referral to this force."),
        Field("exploitation_local_authority", Kind.SELECT, "Local authority area (optional)",
              source="local_authorities", required=False, applies=is_nrm, summary_label="Local authority area"),
    ), applies=_location_in("uk", "both")),
    Step("exploitation-where-overseas", "Countries", SECTION_EXPLOITATION, (
        Field("exploitation_countries", Kind.SELECTS, "Country", source="countries", repeat=3,
              error="Select the country where the exploitation happened",
              hint="If it happened in more than one country, add the others.",
              summary_label="Countries"),
    ), applies=_location_in("overseas", "both")),
    # The Duty to Notify report collects what happened and who the exploiters are, for intelligence,
    # without anything that identifies the person.
    Step("dtn-intelligence", "What happened", SECTION_EXPLOITATION, (
        Field("what_happened", Kind.TEXTAREA, "What happened to the person?", required=False, max_length=2000,
              hint="Where and how they were exploited, for how long, and how they came to your attention. "
                   "Do not include their name, date of birth, address or anything else that could identify them.",
              rows=6, summary_label="What happened"),
        Field("about_exploiters", Kind.TEXTAREA, "What do you know about the people who exploited them?",
              required=False, max_length=2000,
              hint="For example names, nicknames, descriptions, phone numbers, vehicles, addresses and places "
                   "used. This goes to intelligence about the exploiters, not about the person.",
              rows=6, summary_label="About the exploiters"),
    ), applies=is_duty_to_notify,
       description="These questions are optional. What you tell us helps find and stop the people responsible."),
    Step("indicators", "Indicators of exploitation", SECTION_EXPLOITATION, INDICATOR_FIELDS,
         applies=_nrm_and(lambda a: any(f.applies(a) for f in INDICATOR_FIELDS)),
         description="Select what you have seen or been told about. These help the decision maker; "
                     "leave anything that does not apply."),
    Step("account", "What happened", SECTION_EXPLOITATION, (
        Field("account", Kind.TEXTAREA, "What happened to the person?", error="Describe what happened to the person",
              hint="Describe in your own words how they were recruited, moved, controlled and exploited, by whom, "
                   "and what they told you. Use their own words where you can. Say what you saw yourself.",
              max_length=20000, rows=14, summary_label="Account of exploitation"),
    ), applies=is_nrm, include_after="referrals/includes/language_guidance.html", heading_field=True),
    Step("county-lines", "County lines", SECTION_EXPLOITATION, (
        Field("county_lines", Kind.RADIOS, "Is this a county lines case?", error="Select whether this is a county lines case",
              hint="County lines is where gangs use children or vulnerable adults to move and sell drugs "
                   "across areas, often using a dedicated phone line.", options=YES_NO_UNKNOWN,
              summary_label="County lines"),
    ), applies=_nrm_and(_has_type("criminal")), heading_field=True),
    Step("safeguarding", "Keeping the person safe", SECTION_SAFEGUARDING, (
        Field("safety_risk", Kind.RADIOS, "Is the person at risk of harm now?", options=YES_NO,
              error="Select whether the person is at risk of harm now", summary_label="At risk of harm now"),
        Field("safeguarding_actions", Kind.TEXTAREA, "What have you done to keep the person safe?",
              error="Enter what you have done to keep the person safe",
              hint="For example, emergency accommodation, a strategy meeting, a referral to a support provider.",
              max_length=5000, rows=5, summary_label="Safeguarding actions taken"),
    ), applies=is_nrm),
    Step("agencies", "Other agencies", SECTION_SAFEGUARDING, (
        Field("agencies", Kind.CHECKBOXES, "Which other agencies are involved?",
              error="Select the agencies involved, or 'None'", hint="Select all that apply.",
              options=(Option("police", "Police"), Option("childrens_social_care", "Children's social care"),
                       Option("adult_social_care", "Adult social care"), Option("health", "Health services"),
                       Option("education", "School or college"), Option("housing", "Housing"),
                       Option("immigration", "Home Office immigration"),
                       Option("support", "A charity or support organisation"),
                       Option("none", "None", exclusive=True)),
              summary_label="Agencies involved"),
        Field("agencies_details", Kind.TEXTAREA, "Names and contact details of the people involved (optional)",
              required=False, max_length=2000, rows=3, summary_label="Contacts at other agencies"),
    ), applies=is_nrm),
    Step("child-local-authority", "Children's social care", SECTION_SAFEGUARDING, (
        Field("child_local_authority", Kind.SELECT, "Which local authority area does the child live in now?",
              source="local_authorities", error="Select the local authority area the child lives in",
              hint="We send a child safeguarding notification to this area's children's social care. "
                   "If you do not know, choose the area where the child was found.",
              summary_label="Local authority for children's social care"),
    ), applies=_nrm_and(treated_as_child), heading_field=True),
    Step("evidence", "Evidence", SECTION_EVIDENCE, (), applies=is_nrm, include="referrals/includes/evidence.html",
         description="Add documents, photographs or notes that support the referral. This is optional."),
    Step("routing", "Immigration status", SECTION_ROUTING, (
        Field("routing", Kind.CHECKBOXES, "Do any of these apply to the person?",
              error="Select which of these apply, or 'None of these'",
              hint="These decide which competent authority makes the decision. Select all that apply.",
              options=(Option("detention", "They are in immigration detention"),
                       Option("fno", "They are a foreign national offender facing deportation"),
                       Option("inadmissible", "Their asylum claim has been declared inadmissible"),
                       Option("none", "None of these", exclusive=True)),
              summary_label="Immigration circumstances"),
    ), applies=is_nrm, heading_field=True),
)

STEPS_BY_SLUG: dict[str, Step] = {s.slug: s for s in STEPS}
FIELDS_BY_NAME: dict[str, list[Field]] = {}
for _step in STEPS:
    for _field in _step.fields:
        FIELDS_BY_NAME.setdefault(_field.name, []).append(_field)


# --- Moving through the journey --------------------------------------------------------------------

def journey_path(answers: Answers) -> list[Step]:
    """The steps that apply, in order, given the answers so far, up to a page that stops the journey."""
    path = []
    for step in STEPS:
        if step.applies(answers):
            path.append(step)
            if step.stops:
                break
    return path


def next_step(current: Step, answers: Answers) -> Step | None:
    """The step after ``current`` on the path, or None when the next page is 'Check your answers'."""
    path = journey_path(answers)
    slugs = [s.slug for s in path]
    if current.slug in slugs:
        index = slugs.index(current.slug)
        return path[index + 1] if index + 1 < len(path) else None
    # The current step no longer applies (an earlier answer changed): go to the first later step.
    order = [s.slug for s in STEPS]
    later = [s for s in path if order.index(s.slug) > order.index(current.slug)]
    return later[0] if later else None


def previous_step(current: Step, answers: Answers) -> Step | None:
    order = [s.slug for s in STEPS]
    earlier = [s for s in journey_path(answers) if order.index(s.slug) < order.index(current.slug)]
    return earlier[-1] if earlier else None


def field_applies(f: Field, step: Step, answers: Answers) -> bool:
    """Whether a question is asked, given the answers: its own rule, and its parent's answer if
    it is revealed by one."""
    if not f.applies(answers):
        return False
    if f.reveal is None:
        return True
    parent_name, value = f.reveal
    parent = next((p for p in step.fields if p.name == parent_name), None)
    if parent is None or not field_applies(parent, step, answers):
        return False
    chosen = answers.get(parent_name)
    return value in chosen if isinstance(chosen, list) else chosen == value


# --- Reading a submitted page ---------------------------------------------------------------------

class FormData(Protocol):
    def get(self, key: str, default: Any = ...) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def _clean_text(value: Any) -> str:
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_step(step: Step, data: FormData, answers: Answers) -> dict[str, Any]:
    """The answers on a submitted page, as typed. Questions not shown on the page are left alone."""
    values: dict[str, Any] = {}
    for f in step.fields:
        if not f.applies(answers):
            continue
        if f.kind == Kind.CHECKBOXES:
            values[f.name] = list(dict.fromkeys(_clean_text(v) for v in data.getlist(f.name) if _clean_text(v)))
        elif f.kind == Kind.SELECTS:
            values[f.name] = list(dict.fromkeys(_clean_text(v) for v in data.getlist(f.name)[: f.repeat]
                                                if _clean_text(v)))
        elif f.kind == Kind.DATE:
            values[f.name] = {part: _clean_text(data.get(f"{f.name}-{part}", "")) for part in ("day", "month", "year")}
        else:
            values[f.name] = _clean_text(data.get(f.name, ""))
    return values


def values_to_save(step: Step, values: Answers, answers: Answers) -> dict[str, Any]:
    """What of a submitted page to store over the saved ``answers``: everything, except that a blank
    never replaces a saved answer to a question that must be answered (a page sent empty by mistake,
    or by "Save and come back later", loses nothing). Clearing an optional answer still clears it."""
    required = {f.name for f in step.fields if f.applies(answers) and f.is_required({**answers, **values})}
    by_name = {f.name: f for f in step.fields}
    return {
        name: value for name, value in values.items()
        if not (name in required and _is_empty(by_name[name], value) and not _is_empty(by_name[name], answers.get(name)))
    }


# --- Checking answers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldError:
    step: str
    field: str
    message: str
    anchor: str  # the id of the input to focus from the error summary


def _is_empty(f: Field, value: Any) -> bool:
    if f.kind == Kind.DATE:
        return not isinstance(value, dict) or not any(value.get(p) for p in ("day", "month", "year"))
    if isinstance(value, list):
        return not value
    return value is None or str(value).strip() == ""


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")
WHOLE_NUMBER_RE = re.compile(r"^-?[0-9]{1,9}$")


def options_for(f: Field, lookup: OptionLookup | None) -> Sequence[Option]:
    if f.source:
        return lookup(f.source) if lookup else ()
    return f.options


def _label_for_message(f: Field) -> str:
    label = f.short_label
    return label[:-len(" (optional)")] if label.endswith(" (optional)") else label


def date_field_problem(f: Field, value: Any, today: date | None = None) -> DateProblem | None:
    """What is wrong with a typed date of the journey (dates asked are all in the past)."""
    return date_problem(value, label=_label_for_message(f), required=False, past=True, today=today or date.today())


def _date_error(f: Field, value: Any, today: date) -> tuple[str, str] | None:
    problem = date_field_problem(f, value, today)
    return (problem.message, f"{f.name}-{problem.first_part}") if problem else None


def _length_error(f: Field, value: Any, label: str) -> tuple[str, str] | None:
    if len(str(value)) > f.max_length:
        return f"{label} must be {f.max_length:,} characters or fewer", f.name
    return None


def _text_error(f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date) -> tuple[str, str] | None:
    return _length_error(f, value, label)


def _email_error(f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date) -> tuple[str, str] | None:
    if problem := _length_error(f, value, label):
        return problem
    if not EMAIL_RE.match(str(value)):
        return f"Enter {label.lower()} in the correct format, like name@example.com", f.name
    return None


def _phone_error(f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date) -> tuple[str, str] | None:
    if problem := _length_error(f, value, label):
        return problem
    if not PHONE_RE.match(str(value)):
        return f"Enter {label.lower()} in the correct format, like 01632 960 001 or +44 808 157 0192", f.name
    return None


def _number_error(
    f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date
) -> tuple[str, str] | None:
    if not WHOLE_NUMBER_RE.match(str(value)):
        return f"{label} must be a whole number", f.name
    number = int(str(value))
    if (f.min_value is not None and number < f.min_value) or (f.max_value is not None and number > f.max_value):
        return f"{label} must be between {f.min_value} and {f.max_value}", f.name
    return None


def _date_kind_error(
    f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date
) -> tuple[str, str] | None:
    return _date_error(f, value, today)


def _choice_error(
    f: Field, value: Any, label: str, lookup: OptionLookup | None, today: date
) -> tuple[str, str] | None:
    options = options_for(f, lookup)
    if not options and f.source:  # without a lookup, reference answers cannot be checked here
        return None
    allowed = {o.value for o in options}
    chosen = value if isinstance(value, list) else [value]
    if any(v not in allowed for v in chosen):
        return (f.error or f"Select {label.lower()}"), f.name
    exclusive = {o.value for o in options if o.exclusive}
    if len(chosen) > 1 and exclusive & set(chosen):
        return f"Select '{next(o.text for o in options if o.value in exclusive & set(chosen))}' "\
               "on its own, or the options that apply", f.name
    return None


_KIND_ERRORS: dict[Kind, Callable[[Field, Any, str, OptionLookup | None, date], tuple[str, str] | None]] = {
    Kind.TEXT: _text_error,
    Kind.TEXTAREA: _text_error,
    Kind.EMAIL: _email_error,
    Kind.PHONE: _phone_error,
    Kind.NUMBER: _number_error,
    Kind.DATE: _date_kind_error,
    Kind.RADIOS: _choice_error,
    Kind.SELECT: _choice_error,
    Kind.CHECKBOXES: _choice_error,
    Kind.SELECTS: _choice_error,
}


def field_error(f: Field, value: Any, answers: Answers, lookup: OptionLookup | None,
                today: date | None = None) -> tuple[str, str] | None:
    """(message, anchor) for an answer that is missing or not valid, or None."""
    anchor = f"{f.name}-day" if f.kind == Kind.DATE else f.name
    if _is_empty(f, value):
        if f.is_required(answers):
            return (f.error or f"Enter {_label_for_message(f).lower()}"), anchor
        return None
    label = _label_for_message(f)
    if has_unsafe_characters(value):
        return unsafe_message(label), anchor
    check = _KIND_ERRORS.get(f.kind)
    return check(f, value, label, lookup, today or date.today()) if check else None


def step_errors(step: Step, answers: Answers, lookup: OptionLookup | None = None,
                today: date | None = None) -> list[FieldError]:
    errors: list[FieldError] = []
    for f in step.fields:
        if not field_applies(f, step, answers):
            continue
        problem = field_error(f, answers.get(f.name), answers, lookup, today)
        if problem:
            errors.append(FieldError(step.slug, f.name, problem[0], problem[1]))
    return errors


def journey_errors(answers: Answers, lookup: OptionLookup | None = None,
                   today: date | None = None) -> list[FieldError]:
    """Every missing or invalid answer on the path: empty when the referral can be sent."""
    errors = [e for step in journey_path(answers) for e in step_errors(step, answers, lookup, today)]
    if cannot_refer(answers):
        errors.insert(0, FieldError(step="consent", field="consent", message=NO_CONSENT_NO_DUTY, anchor="consent"))
    return errors


NO_CONSENT_NO_DUTY = ("The person has not consented, and there is no Duty to Notify where you work: "
                      "nothing can be sent without their consent")


def first_incomplete_step(answers: Answers, lookup: OptionLookup | None = None,
                          after: Step | None = None, today: date | None = None) -> Step | None:
    order = [s.slug for s in STEPS]
    for step in journey_path(answers):
        if after is not None and order.index(step.slug) <= order.index(after.slug):
            continue
        if step_errors(step, answers, lookup, today):
            return step
    return None


# --- The task list ---------------------------------------------------------------------------------

class TaskStatus(StrEnum):
    COMPLETED = "Completed"
    INCOMPLETE = "Incomplete"
    NOT_STARTED = "Not yet started"
    CANNOT_START = "Cannot start yet"


@dataclass(frozen=True)
class Task:
    section: str
    status: TaskStatus
    step: Step  # where the link goes: the first page with something to answer, else the first page


def task_list(answers: Answers, lookup: OptionLookup | None = None, today: date | None = None) -> list[Task]:
    """The sections of the journey as a GOV.UK task list. Which pages apply depends on the age and
    consent answers, so the sections after them cannot start until that section is complete."""
    path = journey_path(answers)
    sections: dict[str, list[Step]] = {}
    for step in path:
        sections.setdefault(step.section, []).append(step)
    tasks: list[Task] = []
    gate_open = True
    for section, steps in sections.items():
        unfinished = [s for s in steps if step_errors(s, answers, lookup, today)]
        answered = any(not _is_empty(f, answers.get(f.name)) for s in steps for f in s.fields)
        if not gate_open:
            status = TaskStatus.CANNOT_START
        elif not unfinished:
            status = TaskStatus.COMPLETED
        else:
            status = TaskStatus.INCOMPLETE if answered else TaskStatus.NOT_STARTED
        tasks.append(Task(section, status, unfinished[0] if unfinished else steps[0]))
        if section == SECTION_AGE and status != TaskStatus.COMPLETED:
            gate_open = False
    return tasks


# --- Showing answers ------------------------------------------------------------------------------

def _option_text(options: Iterable[Option], value: str) -> str:
    return next((o.text for o in options if o.value == value), value)


def display_lines(f: Field, value: Any, lookup: OptionLookup | None = None) -> list[str]:
    """An answer as lines of text for 'Check your answers' and the copy of the referral."""
    if _is_empty(f, value):
        return []
    options = options_for(f, lookup)
    if f.kind == Kind.DATE:
        parsed = parse_date(value)
        if parsed is not None:
            return [f"{parsed.day} {parsed:%B %Y}"]
        parts = date_parts(value)
        return [f"{parts['day']}/{parts['month']}/{parts['year']}"]
    if isinstance(value, list):
        return [_option_text(options, v) for v in value]
    if f.kind in {Kind.RADIOS, Kind.SELECT}:
        return [_option_text(options, str(value))]
    return str(value).split("\n")


@dataclass(frozen=True)
class SummaryRow:
    step: Step
    field: Field
    lines: list[str]
    error: str = ""


def summary_rows(step: Step, answers: Answers, lookup: OptionLookup | None = None,
                 today: date | None = None) -> list[SummaryRow]:
    errors = {e.field: e.message for e in step_errors(step, answers, lookup, today)}
    return [
        SummaryRow(step, f, display_lines(f, answers.get(f.name), lookup), errors.get(f.name, ""))
        for f in step.fields
        if field_applies(f, step, answers)
    ]


def parsed_date(value: Any) -> date | None:
    return parse_date(value)
