"""Who publishes a release and when: the contact, the responsible statistician, the release
date and the next release date that the Code of Practice asks every release to state.

They come from ``nrm/analytics/release.toml`` (or the file named by ``NRM_STATS_RELEASE_CONFIG``),
each overridable by an environment variable ``NRM_STATS_<KEY>`` (``NRM_STATS_CONTACT_EMAIL``,
``NRM_STATS_RELEASE_DATE`` ...). Nothing is read from the clock, so the same configuration gives
the same files.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

__all__ = ["DEFAULT_CONFIG", "ENV_PREFIX", "ReleaseConfigError", "ReleaseInfo", "load"]

DEFAULT_CONFIG = Path(__file__).with_name("release.toml")
ENV_PREFIX = "NRM_STATS_"
TO_BE_ANNOUNCED = "to be announced"


class ReleaseConfigError(ValueError):
    """The release configuration cannot be read or holds a bad value."""


@dataclass(frozen=True)
class ReleaseInfo:
    contact_name: str = ""
    contact_email: str = ""
    responsible_statistician: str = ""
    release_date: date | None = None
    next_release_date: date | None = None

    @staticmethod
    def _when(d: date | None) -> str:
        return f"{d:%-d %B %Y}" if d else TO_BE_ANNOUNCED

    def cover_rows(self) -> list[str]:
        """The cover sheet's lines about who and when."""
        contact = " ".join(x for x in (self.contact_name, f"({self.contact_email})" if self.contact_email else "") if x)
        return [
            f"Release date: {self._when(self.release_date)}",
            f"Next release date: {self._when(self.next_release_date)}",
            f"Responsible statistician: {self.responsible_statistician or TO_BE_ANNOUNCED}",
            f"Contact: {contact or TO_BE_ANNOUNCED}",
        ]


def _date(key: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReleaseConfigError(f"{key} must be a date like 2024-02-29, not {text!r}") from None


def load(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> ReleaseInfo:
    """The release information: the configuration file, then the ``NRM_STATS_*`` variables over it."""
    env = os.environ if environ is None else environ
    p = Path(path or env.get(f"{ENV_PREFIX}RELEASE_CONFIG") or DEFAULT_CONFIG)
    try:
        with p.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ReleaseConfigError(f"{p}: cannot read the release configuration: {e}") from None
    known = {f.name for f in fields(ReleaseInfo)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ReleaseConfigError(f"{p}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, str] = {k: str(v) for k, v in raw.items()}
    for k in known:
        override = env.get(f"{ENV_PREFIX}{k.upper()}")
        if override is not None:
            values[k] = override
    return ReleaseInfo(
        contact_name=values.get("contact_name", "").strip(),
        contact_email=values.get("contact_email", "").strip(),
        responsible_statistician=values.get("responsible_statistician", "").strip(),
        release_date=_date("release_date", values.get("release_date", "")),
        next_release_date=_date("next_release_date", values.get("next_release_date", "")),
    )
