"""Statistics pages: the public list of publications with their downloads and a feedback form,
and, for analysts, what users said."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from nrm.core.errors import ServiceError
from nrm.core.forms import error_list, field_error
from nrm.stats.forms import FeedbackForm
from nrm.stats.selectors import feedback_visible_to, may_query_statistics, publication_file, publications_public
from nrm.stats.services import feedback_record


def publications(request: HttpRequest) -> HttpResponse:
    items = list(publications_public())
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        publication = next((p for p in items if str(p.pk) == request.POST.get("publication")), None)
        try:
            feedback_record(publication=publication, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else "useful_breakdowns", exc.message)
        else:
            messages.success(request, "Thank you for your feedback. The statistics team reads every response.")
            return redirect("stats:publications")
    errors = error_list(form, first_field="useful_breakdowns")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {}
    return render(request, "stats/publications.html", {
        "title": "National Referral Mechanism statistics", "publications": items, "errors": errors,
        "values": values, "field_errors": {name: field_error(form, name) for name in form.fields},
        "may_read_feedback": may_query_statistics(request.user),
    }, status=400 if errors else 200)


@require_GET
def publication_detail(request: HttpRequest, publication_id: str) -> HttpResponse:
    publication = get_object_or_404(publications_public(), pk=publication_id)
    return render(request, "stats/publication.html", {
        "title": publication.title, "publication": publication, "back_url": "/statistics/",
        "files": publication.manifest.get("files", []), "tables": publication.manifest.get("tables", []),
    })


@require_GET
def publication_download(request: HttpRequest, publication_id: str, path: str) -> FileResponse:
    publication = get_object_or_404(publications_public(), pk=publication_id)
    file_path = publication_file(publication, path)
    content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
    if file_path.suffix == ".ods":
        content_type = "application/vnd.oasis.opendocument.spreadsheet"
    response = FileResponse(file_path.open("rb"), content_type=content_type,
                            as_attachment=file_path.suffix not in {".html", ".svg"})
    if file_path.suffix in {".html", ".svg"}:
        # The bulletin and charts are static documents of our own; they run no script.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@login_required
@require_GET
def feedback_list(request: HttpRequest) -> HttpResponse:
    if not may_query_statistics(request.user):
        raise Http404
    return render(request, "stats/feedback.html", {
        "title": "What users said about the statistics", "feedback": feedback_visible_to(request.user)[:500],
        "back_url": "/statistics/",
    })
