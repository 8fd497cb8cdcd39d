"""No recovery-period or move-on length is written into the code: they are dated policy data
(``nrm/core/data/policy.csv``), read through ``nrm.core.rules`` or ``policy.schedule(key)``.

The source is read with ``ast``, so formatting, comments and strings cannot hide a length or
fake one. A length is flagged where it is used as a duration:

- the first argument of ``timedelta``, ``timedelta64``, ``Timedelta``, ``relativedelta`` or
  ``DateOffset``, or a ``days=`` argument of any call (``pl.duration(days=90)``);
- added to or taken from something (``rg_date + 45``, ``day += 30``);
- chosen by hand (``45 if rg_date < date(2023, 1, 30) else 30``);

as a number or as a name the module binds to that number (``SHORTEST = 30 ... timedelta(days=SHORTEST)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nrm.core import policy

REPOSITORY = Path(__file__).resolve().parents[3]
SCANNED = ("nrm", "bench")
# Every length the recovery period and move-on support have had, and the "90 days of support" total.
LENGTHS = frozenset({14, 30, 45, 90})
DURATIONS = frozenset({"timedelta", "timedelta64", "Timedelta", "relativedelta", "DateOffset"})

# Test modules (test_*.py) are not scanned: a test states the length it expects on purpose, so that
# a change to the policy data shows up as a failing test rather than passing silently. Factories,
# builders and fixtures beside them are scanned: they make cases as the service does.

# Arithmetic that is not a recovery-period or move-on length, checked by hand:
# (file, expression) -> what it is instead.
NOT_POLICY_LENGTHS: dict[tuple[str, str], str] = {
    ("nrm/analytics/charts.py", "top + len(values) * (bar_h + gap) + 30"): "SVG height in pixels",
    ("nrm/analytics/charts.py", "top + 14"): "SVG coordinate in pixels",
    ("nrm/analytics/synthetic/report.py", "top2 - 14"): "SVG coordinate in pixels",
    ("bench/queue.py", "time.monotonic() + 30"): "a timeout in seconds",
    ("nrm/api/admin_views.py", "timedelta(days=30)"): "the window of an API client's calls shown to administrators",
    ("nrm/analytics/synthetic/extract.py", "referred + 14"):
        "synthetic data: a second-line review takes at least two weeks (a modelling choice, not policy)",
}

# Files that still write a length into code, each with its owner, who removes the entry when the
# file reads the policy (nrm.core.rules, or policy.schedule for vectorised code). The test fails
# when a listed file is clean, so the list cannot go stale.
PENDING: dict[str, str] = {
    # outbox: draft expiry of 30 days (policy draft_expiry_days) and requests for information due in
    # 14 calendar days (policy rfi_response_working_days: 10 working days).
    "bench/queue.py": "outbox",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    expression: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.expression}"


def _constants(tree: ast.Module) -> dict[str, int]:
    """Names the module binds to a length (anywhere in it)."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if isinstance(value, ast.Constant) and type(value.value) is int and value.value in LENGTHS:
            found.update({t.id: value.value for t in targets if isinstance(t, ast.Name)})
    return found


def _length(node: ast.expr, constants: dict[str, int]) -> int | None:
    """The length ``node`` is, directly: a number, a name bound to one, or either negated."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _length(node.operand, constants)
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value in LENGTHS:
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _durations(node: ast.expr, constants: dict[str, int]) -> bool:
    """Whether ``node``, given as a duration, is or may be a length (``recovery or 30`` too)."""
    if isinstance(node, ast.BoolOp):
        return any(_durations(v, constants) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _durations(node.body, constants) or _durations(node.orelse, constants)
    return _length(node, constants) is not None


def _called(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_length_use(node: ast.AST, constants: dict[str, int]) -> bool:
    if isinstance(node, ast.Call):
        # The first positional argument of a duration is its days (or its count, with a unit).
        given = [*node.args[:1]] if _called(node.func) in DURATIONS else []
        given += [k.value for k in node.keywords if k.arg == "days"]
        return any(_durations(a, constants) for a in given)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        sides = ((node.left, node.right), (node.right, node.left))
        return any(_length(length, constants) is not None and not isinstance(other, ast.Constant)
                   for other, length in sides)
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
        return _length(node.value, constants) is not None
    if isinstance(node, ast.IfExp):
        return _length(node.body, constants) is not None and _length(node.orelse, constants) is not None
    return False


def findings_in(path: Path, source: str) -> Iterator[Finding]:
    tree = ast.parse(source, filename=str(path))
    constants = _constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.expr | ast.stmt) and _is_length_use(node, constants):
            yield Finding(path.as_posix(), node.lineno, ast.unparse(node))


def scanned_files() -> Iterator[Path]:
    for root in SCANNED:
        for path in sorted((REPOSITORY / root).rglob("*.py")):
            relative = path.relative_to(REPOSITORY)
            if not relative.name.startswith("test_"):
                yield relative


def all_findings() -> list[Finding]:
    return [f for path in scanned_files()
            for f in findings_in(path, (REPOSITORY / path).read_text(encoding="utf-8"))
            if (f.path, f.expression) not in NOT_POLICY_LENGTHS]


def test_no_recovery_period_or_move_on_length_is_written_into_the_code() -> None:
    found = [f for f in all_findings() if f.path not in PENDING]
    assert not found, ("A recovery-period or move-on length is written into the code; read it from the "
                       "policy (nrm.core.rules, or policy.schedule for vectorised code):\n"
                       + "\n".join(map(str, found)))


def test_the_pending_and_not_dates_lists_are_current() -> None:
    findings = all_findings()
    clean = sorted(set(PENDING) - {f.path for f in findings})
    assert not clean, f"These files no longer write a length into the code; remove them from PENDING: {clean}"
    seen = {(f.path, f.expression) for path in scanned_files()
            for f in findings_in(path, (REPOSITORY / path).read_text(encoding="utf-8"))}
    stale = sorted(set(NOT_POLICY_LENGTHS) - seen)
    assert not stale, f"These NOT_POLICY_LENGTHS entries match nothing any more; remove them: {stale}"


def test_the_lengths_checked_are_the_policy_lengths() -> None:
    # If the policy gains a new length, the scan must look for it too.
    lengths = {int(step.value) for key in ("recovery_period_days", "move_on_support_min_days")
               for step in policy.schedule(key)}
    assert lengths <= LENGTHS
    assert 90 in LENGTHS  # the minimum of 90 days of support the 2019 reform announced


@pytest.mark.parametrize("source", [
    "from datetime import timedelta\nends = rg_date + timedelta(days=45)",
    "from datetime import timedelta\nends = rg_date + timedelta(45)",
    "import datetime\nends = rg_date + datetime.timedelta(days=-30)",
    "ends = rg_date + timedelta(\n    days=(\n        90\n    )\n)",
    "ends = rg_date + timedelta(days=recovery or 30)",
    "ends = rg_date + timedelta(days=14 if old else 45)",
    "SHORTEST = 30\nfirst = today - timedelta(days=SHORTEST)",
    "DAYS: int = 45\nends = start + DAYS",
    "ends = cg_day + 90 + jitter",
    "ends = 45 + rg_day",
    "day += 30",
    "recovery = 45 if rg_date < date(2023, 1, 30) else 30",
    "ends = np.timedelta64(90, 'D') + cg",
    "moves = pl.col('cg_date') + pl.duration(days=45)",
])
def test_a_length_is_found_however_it_is_written(source: str) -> None:
    assert list(findings_in(Path("example.py"), source)), source


@pytest.mark.parametrize("source", [
    "ends = rg_date + timedelta(days=policy.recovery_period_days(on=rg_date))",
    "asked = rg_date + timedelta(days=rng.randint(7, 30))",  # a random delay, not a length
    "total = 45 + 30",  # arithmetic on numbers alone
    "label = '45 days'",
    "# rg_date + timedelta(days=45)",
    "tomorrow = day + timedelta(days=1)",
    "horizon = day + timedelta(days=max(REMINDER_DAYS_BEFORE))",
    "deadline = now + timedelta(minutes=30)",
])
def test_other_code_is_not_flagged(source: str) -> None:
    assert not list(findings_in(Path("example.py"), source)), source


def test_factories_and_builders_are_scanned_and_tests_are_not() -> None:
    files = set(scanned_files())
    assert {Path("nrm/cases/tests/factories.py"), Path("nrm/reviews/tests/builders.py"), Path("bench/queue.py"),
            Path("nrm/synth/database.py")} <= files
    assert not any(p.name.startswith("test_") for p in files)
