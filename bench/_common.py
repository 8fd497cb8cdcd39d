"""Imported first by every benchmark script: puts the repository on the import path and takes
bench/ off it, because bench/queue.py (named as the casework issue asks) would otherwise hide
the standard library's queue module from psycopg, pyarrow and Django. Also describes the
machine for the printed results."""

import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
