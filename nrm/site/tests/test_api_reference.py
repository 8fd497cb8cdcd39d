import pytest
from django.test import Client
from django.urls import reverse

from nrm.api.scopes import Scope


@pytest.mark.django_db
def test_the_api_reference_lists_every_operation_scope_and_answer() -> None:
    response = Client().get(reverse("site:api_reference"))
    body = response.content.decode()
    assert response.status_code == 200
    for scope in Scope:
        assert f"<code>{scope}</code>" in body
    assert "<code>/api/v1/cases/{case_id}</code>" in body
    assert 'id="cases_list"' in body
    assert "Parameters of GET /api/v1/cases/{case_id}" in body
    assert "Answers of POST /api/v1/messages/{message_id}/acknowledge" in body
    assert "<td class=\"govuk-table__cell\">403</td>" in body


@pytest.mark.django_db
def test_the_footer_links_to_the_api_reference() -> None:
    body = Client().get("/").content.decode()
    assert f'href="{reverse("site:api_reference")}"' in body
