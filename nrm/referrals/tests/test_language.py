"""Language guidance: the word list is data, every entry is usable, and matching is whole-word."""

from __future__ import annotations

import re

import pytest

from nrm.referrals.language import guidance_for_browser, guidance_terms, language_flags

REQUIRED_TERMS = {"prostitute", "gang member", "streetwise", "consented", "lifestyle choice", "runner", "promiscuous"}


def test_the_word_list_has_the_terms_the_service_promises() -> None:
    assert REQUIRED_TERMS <= {t.term for t in guidance_terms()}


def test_every_entry_has_a_reason_and_factual_wording_instead() -> None:
    terms = guidance_terms()
    assert len({t.term for t in terms}) == len(terms), "terms are unique"
    for term in terms:
        assert term.forms, term.term
        assert term.term in term.forms, term.term
        assert len(term.reason) > 20, term.term
        assert term.reason.endswith("."), term.term
        assert len(term.instead) > 20, term.term
        re.compile(term.pattern)


@pytest.mark.parametrize(("text", "expected"), [
    ("She was described as a prostitute by staff.", ["prostitute"]),
    ("He is a known GANG MEMBER and very streetwise.", ["gang member", "streetwise"]),
    ("She consented to go with them; it was a lifestyle choice.", ["consented", "lifestyle choice"]),
    ("He acted as a runner for the line.", ["runner"]),
    ("Described at school as promiscuous", ["promiscuous"]),
    ("He is a gang-member", ["gang member"]),
    ("gang\nmember", ["gang member"]),
])
def test_flags_are_found(text: str, expected: list[str]) -> None:
    assert [f.term for f in language_flags(text)] == expected


@pytest.mark.parametrize("text", [
    "She was sexually exploited by two men.",
    "The frontrunner in the race",  # "runner" only as a whole word
    "He was recruited by older men who threatened him.",
    "",
])
def test_factual_wording_is_not_flagged(text: str) -> None:
    assert language_flags(text) == []


def test_a_flag_says_what_was_written_why_and_what_to_write_instead() -> None:
    [flag] = language_flags("They said she was Promiscuous. Very promiscuous.")
    assert flag.found == "Promiscuous"
    assert flag.count == 2
    assert "blames" in flag.reason
    assert flag.instead.startswith("Describe")


def test_the_browser_gets_the_same_patterns() -> None:
    browser = guidance_for_browser()
    assert [t["term"] for t in browser] == [t.term for t in guidance_terms()]
    assert all(t["pattern"] == term.pattern for t, term in zip(browser, guidance_terms(), strict=True))
    # The patterns use only syntax JavaScript reads the same way.
    for t in browser:
        assert "(?i" not in t["pattern"]
        assert "(?P" not in t["pattern"]
