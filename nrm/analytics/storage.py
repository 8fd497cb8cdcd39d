"""Where the statistics keep what lasts from one publication to the next.

One directory, the statistics store (``var/stats`` under the repository by default, or
``$NRM_VAR_DIR/stats``: the same place the service's ``VAR_DIR`` setting points to)::

    published/<period>/figures.parquet     every figure each publication published
    published/<period>/publication.json    when, from which extract, quality findings, overrides
    back_series/<table id>.parquet         the published historical figures (import-published)
    back_series/back_series.json

``nrm stats publish``, ``nrm stats quality`` and ``nrm stats import-published`` take it
as ``--store DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

from nrm.analytics.revisions import FiguresStore

__all__ = ["REPO_ROOT", "back_series_dir", "default_root", "figures_store"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """``$NRM_VAR_DIR/stats`` if that is set, else ``<repository>/var/stats``."""
    return Path(os.environ.get("NRM_VAR_DIR") or REPO_ROOT / "var") / "stats"


def figures_store(root: str | os.PathLike[str]) -> FiguresStore:
    """The published-figures store under the statistics store ``root``."""
    return FiguresStore(Path(root) / "published")


def back_series_dir(root: str | os.PathLike[str]) -> Path:
    """Where ``import-published`` keeps the back series under ``root``."""
    return Path(root) / "back_series"
