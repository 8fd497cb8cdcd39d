"""Numbered pages for the GOV.UK pagination component, and the search box cleaned at the boundary."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nrm.core.pagination import SEARCH_LIMIT, govuk_pagination, page_number, paginate, search_text


def test_page_numbers_from_the_query_string() -> None:
    assert page_number("3") == 3
    for value in (None, "", "0", "-1", "two", "1.5", "9" * 40, "\u00b9", "\u0663"):
        assert page_number(value) == 1


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=60), st.text(max_size=4))
def test_every_row_is_on_exactly_one_page(total: int, size: int, asked: str) -> None:
    rows = list(range(total))
    seen: list[int] = []
    first = paginate(rows, "1", page_size=size)
    for number in range(1, first.pages + 1):
        page = paginate(rows, str(number), page_size=size)
        assert page.number == number
        assert len(page.items) <= size
        seen.extend(page.items)
    assert seen == rows
    any_page = paginate(rows, asked, page_size=size)
    assert 1 <= any_page.number <= any_page.pages


def test_a_page_past_the_end_shows_the_last_and_says_where_it_is() -> None:
    page = paginate(list(range(120)), "99", page_size=50)
    assert page.number == 3
    assert page.items == list(range(100, 120))
    assert page.summary == "Showing 101 to 120 of 120"
    assert paginate([], "1", page_size=50).summary == "None found"


def test_the_component_keeps_the_search_and_marks_gaps() -> None:
    page = paginate(list(range(500)), "5", page_size=50)
    params = govuk_pagination(page, {"q": "Maria Example", "show": "current", "page": "5"}, label="Pages")
    assert params is not None
    assert params["previous"] == {"href": "?q=Maria+Example&show=current&page=4"}
    assert params["next"] == {"href": "?q=Maria+Example&show=current&page=6"}
    numbers = [item.get("number") for item in params["items"]]
    assert numbers == [1, None, 4, 5, 6, None, 10]
    assert [item["current"] for item in params["items"] if "number" in item] == [False, False, True, False, False]
    assert govuk_pagination(paginate(list(range(50)), "1", page_size=50), {}, label="Pages") is None


def test_the_first_page_has_no_previous_link() -> None:
    params = govuk_pagination(paginate(list(range(60)), "1", page_size=50), {}, label="Pages")
    assert params is not None
    assert params["previous"] is None
    assert params["next"] == {"href": "?page=2"}


@given(st.text())
def test_the_search_box_is_cleaned(value: str) -> None:
    text = search_text(value)
    assert len(text) <= SEARCH_LIMIT
    assert "\x00" not in text
    assert text == text.strip()
    assert "  " not in text


def test_a_search_keeps_what_was_typed_otherwise() -> None:
    assert search_text("  NRM-000123 ") == "NRM-000123"
    assert search_text("Maria\n  Example") == "Maria Example"
    assert search_text("a\x00b") == ""
