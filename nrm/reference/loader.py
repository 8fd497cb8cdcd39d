"""Load the reference data files in ``nrm/reference/data`` into the database.

Migrations call :func:`load_all` so a fresh database always has the data the code expects;
a later data change ships as a new data file version plus a migration that calls it again.
Loading is an upsert on each file's natural key, so it can run any number of times.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

NATION_CODES = {
    "england": "england",
    "wales": "wales",
    "scotland": "scotland",
    "northern ireland": "northern_ireland",
    "northern_ireland": "northern_ireland",
    "uk": "uk",
    "united kingdom": "uk",
    "great britain": "uk",
    "england and wales": "england",
    "national": "uk",
}


def rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _dates(row: dict[str, str]) -> dict[str, date | None]:
    return {
        "effective_from": date.fromisoformat(row["effective_from"]),
        "effective_to": date.fromisoformat(row["effective_to"]) if row.get("effective_to") else None,
    }


def nation(text: str) -> str:
    return NATION_CODES.get(text.strip().lower(), "uk")


class _Upserter:
    """update_or_create per row, or one bulk insert when the table starts empty (a fresh
    database, or a test database after a flush)."""

    def __init__(self) -> None:
        self.pending: dict[Any, list[Any]] = {}
        self.empty: dict[Any, bool] = {}

    def __call__(self, model: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
        if model not in self.empty:
            self.empty[model] = not model.objects.exists()
        if self.empty[model]:
            self.pending.setdefault(model, []).append(model(**key, **values))
        else:
            model.objects.update_or_create(**key, defaults=values)

    def flush(self, model: Any) -> None:
        rows = self.pending.pop(model, [])
        if rows:
            model.objects.bulk_create(rows, batch_size=500)


def _designations_in_force(models: Any) -> dict[str, dict[str, Any]]:
    """Organisation slug -> the fields an administrator decided (first responder or not, the roles
    its members may hold) in the decision in force: these win over the data file's values. None
    before the migration that makes the table (an older migration's state has no such model)."""
    try:
        Designation = models("OrganisationDesignation")
    except LookupError:
        return {}
    return {d.organisation.slug: {"is_first_responder": d.is_first_responder, "roles": d.roles}
            for d in Designation.objects.filter(effective_to__isnull=True).select_related("organisation")}


def load_all(models: Any) -> None:
    """``models`` maps a model name to its class (``apps.get_model`` in a migration)."""
    _upsert = _Upserter()
    PoliceForce = models("PoliceForce")
    for row in rows("police_forces.csv"):
        _upsert(PoliceForce, {"code": row["code"]},
                {"name": row["name"], "nation": nation(row["nation"]), "region": row["region"], **_dates(row)})
    _upsert.flush(PoliceForce)
    forces = {f.code: f for f in PoliceForce.objects.all()}

    LocalAuthority = models("LocalAuthority")
    for row in rows("local_authorities.csv"):
        _upsert(LocalAuthority, {"code": row["code"]}, {
            "name": row["name"], "nation": nation(row["nation"]),
            "police_force": forces[row["police_force_code"]],
            "upper_tier_code": row.get("upper_tier_code") or row["code"],
            "upper_tier_name": row.get("upper_tier_name") or row["name"],
            **_dates(row),
        })

    _upsert.flush(LocalAuthority)

    Country = models("Country")
    for row in rows("countries.csv"):
        _upsert(Country, {"code": row["code"]}, {"name": row["name"], "demonym": row["demonym"], **_dates(row)})

    _upsert.flush(Country)

    ExploitationType = models("ExploitationType")
    for row in rows("exploitation_types.csv"):
        _upsert(ExploitationType, {"code": row["code"]},
                {"name": row["name"], "reported_as": row["reported_as"], **_dates(row)})

    _upsert.flush(ExploitationType)

    Organisation = models("Organisation")
    decided = _designations_in_force(models)
    for row in rows("organisations.csv"):
        _upsert(Organisation, {"slug": row["slug"]}, {
            "name": row["name"], "short_name": row.get("short_name") or row["name"],
            "organisation_type": row["organisation_type"], "nation": nation(row["nation"]),
            "is_first_responder": row["is_first_responder"].strip().lower() in {"1", "true", "yes", "y"},
            "roles": row["roles"], **_dates(row),
            **decided.get(row["slug"], {}),
        })

    _upsert.flush(Organisation)

    Reason = models("NegativeDecisionReason")
    for row in rows("negative_decision_reasons.csv"):
        _upsert(Reason, {"stage": row["stage"], "code": row["code"]},
                {"label": row["label"], "description": row.get("description", ""), **_dates(row)})
    _upsert.flush(Reason)


def reload_operation() -> Any:
    """The migration operation that (re)loads every data file: a data change ships as a new
    migration whose operations are ``[reload_operation()]``."""
    from django.db import migrations

    def load(apps: Any, schema_editor: Any) -> None:
        load_all(lambda name: apps.get_model("reference", name))

    return migrations.RunPython(load, migrations.RunPython.noop)
