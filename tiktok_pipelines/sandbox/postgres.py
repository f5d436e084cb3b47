"""A throwaway PostgreSQL server on loopback, for tests and benchmarks: `initdb` in a new folder,
`pg_ctl start` on a free port with trust authentication, stopped and removed on exit. The server
binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin; as root they run as `postgres`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tiktok_pipelines.sandbox.server import free_port


def postgres_command(binary: str) -> list[str] | None:
    """How to run a PostgreSQL server binary here (as the `postgres` user when we are root), or None."""
    path = shutil.which(binary)
    if path is None:
        found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{binary}"))
        path = str(found[-1]) if found else None
    if path is None:
        return None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        return [runuser, "-u", "postgres", "--", path] if runuser else None
    return [path]


def postgres_installed() -> bool:
    return postgres_command("initdb") is not None and postgres_command("pg_ctl") is not None


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields the SQLAlchemy URL of a new server (`postgresql+psycopg2://postgres@127.0.0.1:<port>`,
    without a database name); RuntimeError where PostgreSQL is not installed."""
    initdb, pg_ctl = postgres_command("initdb"), postgres_command("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb / pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="ttp-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([*initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True, **quiet)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400"
    subprocess.run(
        [*pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        **quiet,
    )
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-D", str(data), "-m", "immediate", "stop"], **quiet)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Creates database `name` on the server; returns its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{server_url}/{name}"
