"""Services of the statistics domain that touch the service's database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError
from nrm.stats.models import Publication, PublicationFeedback
from nrm.stats.selectors import publications_root


def publication_register(*, out_dir: Path, source: str, actor: Any = None, override_reason: str = "") -> Publication:
    """Copy a finished publication into the service's store and list it on the statistics page."""
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.exists():
        raise ServiceError(f"{out_dir} has no manifest.json: it is not a finished publication.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    directory = f"{manifest['period']}-{len(Publication.objects.filter(period=manifest['period'])) + 1}"
    target = publications_root() / directory
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(out_dir, target, dirs_exist_ok=False)
    with transaction.atomic():
        publication = Publication.objects.create(
            period=manifest["period"], title=manifest["title"], directory=directory, manifest=manifest,
            source=source, published_by=actor, quality_override_reason=override_reason,
        )
        audit_record(actor=actor, action="publication.registered", target=publication,
                     after={"period": publication.period, "directory": directory})
    return publication


def feedback_record(*, publication: Publication | None, useful_breakdowns: str, missing: str, role: str) -> PublicationFeedback:
    if not (useful_breakdowns.strip() or missing.strip()):
        raise ServiceError("Tell us which breakdowns are useful or what is missing", field="useful_breakdowns")
    return PublicationFeedback.objects.create(
        publication=publication, useful_breakdowns=useful_breakdowns.strip()[:5000],
        missing=missing.strip()[:5000], role=role.strip()[:120],
    )


def extracts_root() -> Path:
    return Path(settings.VAR_DIR) / "extracts"


def data_cut_latest() -> Path | None:
    """The newest analytical extract taken from the live database, if any."""
    root = extracts_root()
    found = sorted(p for p in root.glob("extract-*.parquet") if not p.stem.count("_")) if root.exists() else []
    return found[-1] if found else None


def data_cut_take(*, actor: Any) -> Path:
    """Take a new pseudonymised extract of the live database for analysts to query."""
    from django.utils import timezone

    from nrm.analytics.extract_io import write_extract
    from nrm.stats.db_extract import build_extract

    root = extracts_root()
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"extract-{timezone.now():%Y%m%dT%H%M%S%f}.parquet"
    extract = build_extract()
    write_extract(extract, path)
    audit_record(actor=actor, action="stats.data_cut_taken", target=actor,
                 after={"file": path.name, "referrals": extract.referrals.num_rows})
    return path
