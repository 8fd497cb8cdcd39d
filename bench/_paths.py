"""Imported first by every benchmark script: puts the repository on the import path and takes
bench/ off it, because bench/queue.py (named as the casework issue asks) would otherwise hide
the standard library's queue module from psycopg, pyarrow and Django."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
