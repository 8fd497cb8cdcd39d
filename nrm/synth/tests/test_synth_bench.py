"""bench/synth.py runs and times the `nrm synth` command itself beside the in-process generation,
so the figure users see is the one measured (issue 15)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_synth_benchmark_times_the_command_users_run() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "--referrals", "3000"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"nrm synth command : \d+\.\d+ s wall from start to exit, [\d,]+ rows/s, peak memory [\d,]+ MiB",
                     out), out
    assert re.search(r"command / in-process: \d+\.\d+x", out), out
    assert re.search(r"rows per second   : [\d,]+", out), out
