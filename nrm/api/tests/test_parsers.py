"""The API's request parser: bounded size and depth, the service's text rules, JSON only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from nrm.api.parsers import MAX_BODY_BYTES, MAX_DEPTH, RequestTooLarge, nesting_depth, parse_json_body
from nrm.core.input import has_unsafe_characters


def test_depth_is_measured_without_recursion_and_ignores_brackets_in_strings() -> None:
    assert nesting_depth("[" * 100_000) == 100_000
    assert nesting_depth('{"a": "[[[{{\\"]]"}') == 1
    with pytest.raises(RequestTooLarge, match="nested"):
        parse_json_body(("[" * 5000 + "]" * 5000).encode())
    assert parse_json_body(("[" * MAX_DEPTH + "]" * MAX_DEPTH).encode()) is not None


@pytest.mark.parametrize("body", [
    b'{"a": "\\u0000"}', b'{"\\ud800": 1}', b'["\\udc00"]', b"\xff\xfe", b'{"a": NaN}', b"1" * 5000, b"{",
])
def test_unreadable_or_unsafe_documents_are_refused(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_json_body(body)


def test_a_body_over_the_limit_is_too_large() -> None:
    with pytest.raises(RequestTooLarge):
        parse_json_body(b" " * (MAX_BODY_BYTES + 1))


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20))
def test_a_document_is_read_back_as_sent_unless_its_text_is_unsafe(document: object) -> None:
    body = json.dumps(document).encode()
    if has_unsafe_characters(document):
        with pytest.raises(ParseError):
            parse_json_body(body)
    else:
        assert parse_json_body(body) == document
