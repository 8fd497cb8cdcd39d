"""Decision letters: one content, three forms (HTML for the service, PDF to keep, plain text
for the message). Services call :func:`letters_issue` inside their transaction when a
decision is served; the messages go through the outbox after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from fpdf import FPDF

from nrm.cases.access import deciding_body_name
from nrm.cases.models import Decision, DecisionLetter, Outcome, Stage
from nrm.core import rules
from nrm.notify.models import MessageKind
from nrm.notify.services import outbox_add


@dataclass(frozen=True)
class LetterContent:
    title: str
    reference: str
    letter_date: date
    sender: str
    recipient_name: str
    opening: list[str]
    standard: str
    guidance: str = ""  # the reasonable grounds guidance the decision was made under
    reasons: list[tuple[str, str]] = field(default_factory=list)
    rationale: str = ""
    closing: list[str] = field(default_factory=list)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _recorded(decision: Decision, key: str) -> int | None:
    """A number the decision's policy snapshot recorded, if it did."""
    found = decision.policy.get(key) if decision.policy else None
    return int(found) if found is not None else None


def letter_content(decision: Decision, *, recipient_name: str, letter_date: date) -> LetterContent:
    """What a letter about ``decision`` says; the same words for every form it takes."""
    case = decision.case
    authority = deciding_body_name(case)
    stage_name = "reasonable grounds" if decision.stage == Stage.RG else "conclusive grounds"
    positive = decision.outcome == Outcome.POSITIVE
    title = f"{stage_name.capitalize()} decision: {'positive' if positive else 'negative'}"
    opening: list[str] = []
    closing: list[str] = []
    if decision.stage == Stage.RG:
        if positive:
            opening.append(
                f"On {_day(decision.decided_on)} the {authority} decided that there are reasonable grounds to "
                f"believe that the person referred under reference {case.reference} is a victim of modern slavery."
            )
            period = rules.recovery_period(rg_date=decision.decided_on, days=_recorded(decision, "recovery_period_days"))
            closing.append(
                f"Recovery period: the person is entitled to a recovery period of at least {period.days} days from "
                f"{_day(period.start)}, that is until at least {_day(period.end)}. During it they are protected "
                "from removal and can receive support. A conclusive grounds decision will not be made before "
                "the recovery period has ended."
            )
        else:
            opening.append(
                f"On {_day(decision.decided_on)} the {authority} decided that there are not reasonable grounds "
                f"to believe that the person referred under reference {case.reference} is a victim of modern "
                "slavery. A senior decision maker reviewed the decision before it was served."
            )
    else:
        if positive:
            opening.append(
                f"On {_day(decision.decided_on)} the {authority} decided, on the balance of probabilities, that "
                f"the person referred under reference {case.reference} is a victim of modern slavery."
            )
            support_days = rules.move_on_period(cg_date=decision.decided_on).days
            closing.append(
                f"Move-on support: the person is entitled to at least {support_days} days of move-on support from "
                "the date of this decision. Their support provider will agree a recovery needs assessment."
            )
        else:
            mode = str(decision.policy.get("independent_review_mode", "")) if decision.policy else ""
            reviewer = {
                "panel": "a Multi-Agency Assurance Panel",
                "second_line": "a senior decision maker who took no part in the decision",
            }.get(mode, "an independent reviewer")
            opening.append(
                f"On {_day(decision.decided_on)} the {authority} decided, on the balance of probabilities, that "
                f"the person referred under reference {case.reference} is not a victim of modern slavery. The "
                f"decision was reviewed by {reviewer} before it was served."
            )
    if not positive:
        closing.append(
            "Reconsideration: if you or the person's support provider have further information, or think the "
            "decision is wrong, you can ask for it to be reconsidered. Sign in to the service, open the case "
            "and choose 'Ask for reconsideration'. A different decision maker will take the fresh decision."
        )
    reasons = [(r.label, r.description) for r in decision.reasons.all()] if not positive else []
    guidance = ""
    if decision.stage == Stage.RG:
        guidance = str(decision.policy.get("rg_guidance_version") or "") if decision.policy else ""
        guidance = guidance or rules.rg_guidance_version(on=decision.decided_on)
    return LetterContent(
        title=title,
        reference=case.reference,
        letter_date=letter_date,
        sender=authority,
        recipient_name=recipient_name,
        opening=opening,
        standard=decision.standard_applied,
        guidance=guidance,
        reasons=reasons,
        rationale=decision.rationale,
        closing=closing,
    )


def letter_html(content: LetterContent) -> str:
    return render_to_string("cases/letters/decision_letter.html", {"letter": content})


def letter_text(content: LetterContent) -> str:
    lines = [
        content.sender,
        f"To: {content.recipient_name}",
        f"Date: {_day(content.letter_date)}",
        f"Reference: {content.reference}",
        "",
        content.title,
        "",
        *[p + "\n" for p in content.opening],
        f"Standard applied: {content.standard}",
        "",
    ]
    if content.guidance:
        lines.extend([f"Guidance applied: {content.guidance}", ""])
    if content.reasons:
        lines.append("Reasons:")
        lines.extend(f"- {label}: {description}" for label, description in content.reasons)
        lines.append("")
    if content.rationale:
        lines.extend(["Reasoning:", content.rationale, ""])
    lines.extend(p + "\n" for p in content.closing)
    return "\n".join(lines).rstrip() + "\n"


_PDF_REPLACEMENTS = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u00a0": " ", "\u2022": "-",
})


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1: map typographic punctuation, replace anything else."""
    return text.translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def letter_pdf(content: LetterContent) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"{content.title} - {content.reference}"))
    pdf.set_author(_latin1(content.sender))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()

    def para(text: str, *, size: float = 11, style: str = "", gap: float = 3) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(0, size * 0.5, _latin1(text), align="L")
        pdf.ln(gap)

    para(content.sender, size=13, style="B", gap=6)
    para(f"To: {content.recipient_name}", gap=1)
    para(f"Date: {_day(content.letter_date)}", gap=1)
    para(f"Reference: {content.reference}", gap=6)
    para(content.title, size=16, style="B", gap=5)
    for text in content.opening:
        para(text)
    para("Standard applied", style="B", gap=1)
    para(content.standard)
    if content.guidance:
        para("Guidance applied", style="B", gap=1)
        para(content.guidance)
    if content.reasons:
        para("Reasons", style="B", gap=1)
        for label, description in content.reasons:
            para(f"- {label}: {description}", gap=2)
        pdf.ln(1)
    if content.rationale:
        para("Reasoning", style="B", gap=1)
        para(content.rationale)
    for text in content.closing:
        para(text)
    return bytes(pdf.output())


def letters_issue(decision: Decision, *, letter_date: date) -> list[DecisionLetter]:
    """Write the letters for a served decision and put them in the outbox: to the first responder's
    organisation, and to the person's representative where there is one."""
    case = decision.case
    organisation = case.first_responder_organisation
    recipients: list[dict[str, Any]] = [
        {"name": organisation.name, "email": "", "organisation": organisation},
    ]
    if case.representative_email:
        recipients.append({"name": case.representative_name or "The person's representative",
                           "email": case.representative_email, "organisation": None})
    letters = []
    for recipient in recipients:
        content = letter_content(decision, recipient_name=recipient["name"], letter_date=letter_date)
        letter = DecisionLetter(
            decision=decision,
            recipient_organisation=recipient["organisation"],
            recipient_name=recipient["name"],
            recipient_email=recipient["email"],
            html=letter_html(content),
        )
        letter.store_pdf(letter_pdf(content))
        letter.save(force_insert=True)
        subject, body = letter_notice(case, to_representative=recipient["organisation"] is None)
        outbox_add(
            kind=MessageKind.DECISION_LETTER,
            subject=subject,
            body=body,
            recipient_organisation=recipient["organisation"],
            recipient_email=recipient["email"],
            about=letter,
        )
        letters.append(letter)
    return letters


def letter_notice(case: Any, *, to_representative: bool, what: str = "a decision letter") -> tuple[str, str]:
    """The email that says a letter or decision is ready, never what it says: email is not secure,
    and a representative's address is typed by staff, not verified. The first responder's
    organisation reads the letter in the service; a representative asks for it by reference."""
    authority = deciding_body_name(case)
    subject = f"Case {case.reference}: {what} is ready"
    if to_representative:
        body = (f"The {authority} has issued {what} in the National Referral Mechanism case with reference "
                f"{case.reference}, for a person you represent.\n\nFor the person's privacy this email does not say "
                f"what was decided. The first responder who made the referral can read it in Open NRM and share it "
                f"with the person; you can ask the {authority} for a copy, quoting the reference.")
    else:
        body = (f"The {authority} has issued {what} in case {case.reference}.\n\n"
                "Sign in to Open NRM and open the case from 'Your referred cases' to read it.")
    return subject, body
