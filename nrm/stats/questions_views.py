"""Answers to parliamentary questions, for analysts: the page (the API endpoint is in
``nrm/stats/api.py``), over the latest pseudonymised data cut. The engine is ``nrm.analytics.questions``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from nrm.analytics import questions
from nrm.stats.questions_service import question_answer
from nrm.stats.selectors import may_query_statistics
from nrm.stats.services import data_cut_latest, data_cut_take

NO_DATA_CUT = "There is no data cut yet. Take one from the live data first."


def _filters_from_text(text: str, where: str) -> dict[str, list[str]]:
    """One filter a line: ``dimension = value`` or ``dimension = value | value``."""
    filters: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, values = line.partition("=")
        if not sep:
            raise questions.QueryError(f"{where} line {number}: write it as 'dimension = value', like "
                                "'age_at_exploitation = Child (17 or under)'", field=where)
        filters.setdefault(name.strip(), []).extend(v.strip() for v in values.split("|") if v.strip())
    return filters


@login_required
def questions_page(request: HttpRequest) -> HttpResponse:
    if not may_query_statistics(request.user):
        raise Http404
    if request.method == "POST" and request.POST.get("action") == "refresh":
        data_cut_take(actor=request.user)
        return redirect("stats:questions")
    values = {k: request.POST.get(k, "") for k in ("measure", "date_basis", "periods", "denominator", "numerator",
                                                    "dual_nationals", "median_of", "by")}
    values["measure"] = values["measure"] or "count"
    values["date_basis"] = values["date_basis"] or "referral"
    values["dual_nationals"] = values["dual_nationals"] or "alone"
    result = None
    errors: list[dict[str, str]] = []
    cut = data_cut_latest()
    if request.method == "POST":
        try:
            if cut is None:
                raise questions.QueryError(NO_DATA_CUT, field="periods")
            query = {
                "measure": values["measure"], "date_basis": values["date_basis"], "periods": values["periods"],
                "denominator": _filters_from_text(values["denominator"], "denominator"),
                "numerator": _filters_from_text(values["numerator"], "numerator"),
                "dual_nationals": {"alone": False, "included": True}.get(values["dual_nationals"], "unknown"),
                **({"median_of": values["median_of"] or None} if values["measure"] == "median" else {}),
                **({"by": values["by"]} if values["by"] else {}),
            }
            result = question_answer(analyst=request.user, cut=cut, query=query)
        except questions.QueryError as exc:
            field = exc.field if exc.field in {"measure", "date_basis", "denominator", "numerator",
                                               "dual_nationals", "median_of", "by"} else "periods"
            errors = [{"text": exc.message, "href": f"#{field}"}]
    dimensions = questions.dimensions().values()
    return render(request, "stats/questions.html", {
        "title": "Answer a parliamentary question", "values": values, "result": result, "errors": errors,
        "data_cut": cut.name if cut else None, "dimensions": dimensions,
        "by_choices": [{"value": d.name, "text": d.label, "selected": values["by"] == d.name}
                       for d in dimensions if d.kind != "list"],
        "breakdown_rows": [
            [{"text": "Not recorded" if value is None else str(value)},
             {"text": row.display, "format": "numeric"},
             {"text": row.suppression if row.suppressed else (row.control_note or row.method)}]
            for value, row in (result.breakdown if result else ())],
    }, status=400 if errors else 200)
