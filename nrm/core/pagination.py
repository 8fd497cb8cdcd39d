"""Numbered pages of a list, for the GOV.UK pagination component.

Every list a user works through (the support provider's people, the review lists, the partner
inbox) shows one page at a time, in a stable order that the caller gives (it must end with a
unique column, such as the primary key, so no row appears on two pages or none), and the page
links keep the list's search and filter. ``PAGE_SIZE`` is read when a page is taken, not when
this module is imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator

from nrm.core.input import has_unsafe_characters

PAGE_SIZE = 50
_PAGE = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    number: int
    pages: int
    total: int
    first: int  # the position of the first item shown (1-based), 0 when there are none
    last: int

    @property
    def summary(self) -> str:
        """"Showing 51 to 100 of 292", for the line above the list."""
        if not self.total:
            return "None found"
        return f"Showing {self.first:,} to {self.last:,} of {self.total:,}"


def page_number(value: Any) -> int:
    """The page asked for, from a query string value: a positive whole number, else 1."""
    text = str(value or "").strip()
    # ASCII digits only: str.isdigit also accepts superscripts and other scripts' digits.
    return int(text) if _PAGE.fullmatch(text) and int(text) > 0 else 1


def paginate(rows: Sequence[Any] | Any, value: Any, *, page_size: int | None = None) -> ListPage:
    """The page ``value`` (from the query string) of ``rows``, an ordered query set or list. A
    page past the end shows the last page."""
    size = page_size or PAGE_SIZE
    paginator = Paginator(rows, size)
    number = min(page_number(value), max(paginator.num_pages, 1))
    page = paginator.page(number)
    items = list(page.object_list)
    total = paginator.count
    return ListPage(items=items, number=number, pages=max(paginator.num_pages, 1), total=total,
                    first=page.start_index() if items else 0, last=page.end_index() if items else 0)


def _href(params: Mapping[str, str], number: int, param: str = "page") -> str:
    kept = {k: v for k, v in params.items() if v and k != param}
    return "?" + urlencode({**kept, param: number})


def _numbers(current: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and the current with its neighbours; ``None``
    for a gap (an ellipsis), as the Design System shows them."""
    wanted = sorted({1, pages, current - 1, current, current + 1} & set(range(1, pages + 1)))
    shown: list[int | None] = []
    previous = 0
    for n in wanted:
        if previous and n - previous > 1:
            shown.append(None)
        shown.append(n)
        previous = n
    return shown


def govuk_pagination(page: ListPage, params: Mapping[str, str], *, label: str,
                     param: str = "page") -> dict[str, Any] | None:
    """The parameters of ``govukPagination`` for ``page``; None when everything fits on one page.
    ``params`` are kept in the links (a search, another list's page on the same screen); ``param``
    names this list's page."""
    if page.pages <= 1:
        return None
    items = [{"ellipsis": True} if n is None else
             {"number": n, "href": _href(params, n, param), "current": n == page.number,
              "visuallyHiddenText": f"Page {n}"} for n in _numbers(page.number, page.pages)]
    return {
        "previous": {"href": _href(params, page.number - 1, param)} if page.number > 1 else None,
        "next": {"href": _href(params, page.number + 1, param)} if page.number < page.pages else None,
        "items": items,
        "landmarkLabel": label,
    }


SEARCH_LIMIT = 100


def search_text(value: Any) -> str:
    """A list's search box, cleaned at the boundary: spaces collapsed, at most ``SEARCH_LIMIT``
    characters, and nothing at all if it holds a character that cannot be stored or searched."""
    text = " ".join(str(value or "").split())[:SEARCH_LIMIT]
    return "" if has_unsafe_characters(text) else text
