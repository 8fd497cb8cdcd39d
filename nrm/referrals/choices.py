"""Options that come from reference data, for the journey's questions, in force on a date."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.utils import timezone

from nrm.reference.models import Country, ExploitationType, LocalAuthority, Organisation, PoliceForce
from nrm.referrals.journey import Option, OptionLookup


def _nationalities(on: date) -> tuple[Option, ...]:
    rows = Country.objects.in_force(on).exclude(demonym="").values_list("code", "demonym")
    options = [Option(code, "British" if demonym == "UK" else demonym) for code, demonym in rows]
    return tuple(sorted(options, key=lambda o: o.text.lower()))


def _countries(on: date) -> tuple[Option, ...]:
    rows = Country.objects.in_force(on).exclude(code__startswith="ZZ").values_list("code", "name")
    return tuple(Option(code, name) for code, name in sorted(rows, key=lambda r: r[1].lower()))


def _police_forces(on: date) -> tuple[Option, ...]:
    rows = PoliceForce.objects.in_force(on).values_list("code", "name", "nation")
    return tuple(Option(code, name, nation=nation) for code, name, nation in rows)


def _local_authorities(on: date) -> tuple[Option, ...]:
    return tuple(Option(code, name) for code, name in LocalAuthority.objects.in_force(on).values_list("code", "name"))


EXPLOITATION_TYPE_ORDER = ("labour", "sexual", "criminal", "domestic", "organ_harvesting", "other", "unknown")


def _exploitation_types(on: date) -> tuple[Option, ...]:
    rows = list(ExploitationType.objects.in_force(on).values_list("code", "name"))
    rows.sort(key=lambda r: EXPLOITATION_TYPE_ORDER.index(r[0]) if r[0] in EXPLOITATION_TYPE_ORDER else 99)
    return tuple(Option(code, "Not known" if code == "unknown" else name) for code, name in rows)


def _first_responder_organisations(on: date) -> tuple[Option, ...]:
    rows = Organisation.objects.in_force(on).filter(is_first_responder=True).values_list("slug", "name")
    return tuple(Option(slug, name) for slug, name in sorted(rows, key=lambda r: r[1].lower()))


SOURCES = {
    "nationalities": _nationalities,
    "countries": _countries,
    "police_forces": _police_forces,
    "local_authorities": _local_authorities,
    "exploitation_types": _exploitation_types,
    "first_responder_organisations": _first_responder_organisations,
}


@lru_cache(maxsize=64)
def _cached(source: str, on: date) -> tuple[Option, ...]:
    return SOURCES[source](on)


def options_on(on: date | None = None) -> OptionLookup:
    """A lookup for :mod:`nrm.referrals.journey`: source name -> options in force on ``on``."""
    day = on or timezone.localdate()

    def lookup(source: str) -> tuple[Option, ...]:
        return _cached(source, day)

    return lookup


def options_cache_clear() -> None:
    _cached.cache_clear()
