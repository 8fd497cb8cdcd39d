#!/usr/bin/env python
"""Run a command with DATABASE_URL pointing at a PostgreSQL server.

In order: DATABASE_URL if it is already set to a PostgreSQL address; else the server on
127.0.0.1:5432 if it answers (NRM_TEST_POSTGRES=throwaway skips it); else a throwaway cluster started from the local PostgreSQL
binaries (initdb/pg_ctl) and removed afterwards. If none can be had, it stops with a message
that says how to get one. It never skips silently.

    python tools/with_postgres.py -- pytest nrm
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

HOW_TO_GET_ONE = """\
No PostgreSQL server could be found or started, and the test suite must run on PostgreSQL.
Do one of these, then run the command again:
  - set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME for a server you can use;
  - start a server on 127.0.0.1:5432 that accepts the user 'postgres';
  - install the PostgreSQL binaries (Debian: apt-get install postgresql), and this
    command will start a throwaway server by itself."""


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _can_connect(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def _binaries() -> str | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return os.path.dirname(candidates[0]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _throwaway_cluster(bindir: str) -> Iterator[str]:
    workdir = tempfile.mkdtemp(prefix="nrm-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise SystemExit("Running as root and there is no 'postgres' user to own a throwaway cluster.\n"
                             + HOW_TO_GET_ONE) from None
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(workdir, "data")
    port = _free_port()
    subprocess.run([*prefix, f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(workdir, "log"), "-o",
                    f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        if not _can_connect(url):
            raise SystemExit(f"DATABASE_URL is set but PostgreSQL does not answer there.\n{HOW_TO_GET_ONE}")
        yield url
        return
    local = "postgres://postgres@127.0.0.1:5432/postgres"
    forced = os.environ.get("NRM_TEST_POSTGRES") == "throwaway"  # to test the fallback itself
    if not forced and _answers("127.0.0.1", 5432) and _can_connect(local):
        yield local
        return
    bindir = _binaries()
    if bindir is None:
        raise SystemExit(HOW_TO_GET_ONE)
    with _throwaway_cluster(bindir) as started:
        deadline = time.monotonic() + 30
        while not _can_connect(started):
            if time.monotonic() > deadline:
                raise SystemExit("A throwaway PostgreSQL was started but does not answer.\n" + HOW_TO_GET_ONE)
            time.sleep(0.5)
        yield started


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    with postgres_url() as url:
        env = dict(os.environ, DATABASE_URL=url)
        env.setdefault("NRM_TEST_DATABASE_NAME", f"test_nrm_{os.getpid()}")
        print(f"PostgreSQL for this run: {url}", flush=True)
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
