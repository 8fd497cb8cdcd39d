"""Answering an analyst's question under the publication's disclosure control (ADR 0032):
the published cells in the statistics store, the analyst's ledger of earlier answers, and
the ledger entry and audit record of this one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from nrm.analytics import protection, questions, storage
from nrm.analytics import question_control as qc
from nrm.audit.services import audit_record
from nrm.stats.models import QuestionAsked


def stats_store_root() -> Path:
    """The statistics store the publications are kept in (``nrm stats publish --store``)."""
    return Path(settings.VAR_DIR) / "stats"


def published_cells(root: Path | None = None) -> qc.Published:
    """Every cell the statistics store has published, with its relations."""
    store = storage.figures_store(root or stats_store_root())
    return qc.Published.of(
        (label, protection.results_from_figures(label, store.load(label).figures)) for label in store.labels()
    )


def _key(raw: Any) -> protection.CellKey:
    """A cell key back from its JSON form (nested lists)."""
    population, when, dims = raw
    source, date_column, snapshot, rest = population
    return ((str(source), str(date_column), bool(snapshot), tuple(str(r) for r in rest)), str(when),
            tuple((str(a), str(b), str(c)) for a, b, c in dims))


def analyst_ledger(analyst: Any) -> qc.Ledger:
    """The exact counts over protected cells already given to ``analyst``."""
    ledger = qc.Ledger()
    for entry in QuestionAsked.objects.filter(analyst=analyst).exclude(relations=[]).only("relations"):
        for rel in entry.relations:
            ledger.relations.append(qc.Relation(int(rel["value"]), tuple(_key(m) for m in rel["members"])))
    return ledger


def question_answer(*, analyst: Any, cut: Path, query: questions.Query | Mapping[str, Any]) -> questions.Answer:
    """Answer ``query`` from the data cut for ``analyst``, under the control, and add it to
    their ledger. Raises :class:`questions.QueryError` (``QuestionRefused`` for a refusal,
    which is recorded too)."""
    refused: questions.QuestionRefused | None = None
    with transaction.atomic():
        # one analyst's questions are decided one at a time, each against all earlier ones
        get_user_model().objects.select_for_update().filter(pk=analyst.pk).first()
        control = qc.Control(published_cells(), analyst_ledger(analyst))
        try:
            result = questions.answer(cut, query, control=control)
        except questions.QuestionRefused as exc:
            refused = exc
            _record_refusal(analyst, cut, query, exc)
        else:
            relations = [{"value": r.value, "members": [list(m) for m in r.members]} for r in control.relations]
            QuestionAsked.objects.create(analyst=analyst, data_cut=cut.name, query=result.query.to_dict(),
                                         method=result.method, display=result.display,
                                         reason=result.control_note or "", relations=relations)
            audit_record(actor=analyst, action="stats.question_answered", target=analyst,
                         after={"query": result.query.to_dict(), "display": result.display,
                                "method": result.method})
    if refused is not None:
        raise refused
    return result


def _record_refusal(analyst: Any, cut: Path, query: questions.Query | Mapping[str, Any],
                    exc: questions.QuestionRefused) -> None:
    asked = query.to_dict() if isinstance(query, questions.Query) else dict(query)
    QuestionAsked.objects.create(analyst=analyst, data_cut=cut.name, query=asked, method="refused", reason=exc.message)
    audit_record(actor=analyst, action="stats.question_refused", target=analyst,
                 after={"query": asked, "reason": exc.message})
