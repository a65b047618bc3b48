"""A private PostgreSQL server for tests that need their own: other authentication,
or a server they may stop, restart or break (never the machine's shared one).

``PrivatePostgres`` runs ``initdb`` as the ``postgres`` OS user (initdb refuses
root) in a temporary folder and serves on a free local port; ``start()``,
``stop()``, ``restart()`` and ``close()`` (stop and remove everything).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError("PostgreSQL server binaries are not installed in /usr/lib/postgresql")
    return versions[-1]


def free_port(start: int = 54329) -> int:
    for port in range(start, start + 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a private PostgreSQL instance")


class PrivatePostgres:
    """One throwaway server. ``password`` switches on scram-sha-256 for user root;
    without it the server trusts local connections."""

    def __init__(self, password: str | None = None) -> None:
        self.bin = _pg_bin()
        self.base = Path(tempfile.mkdtemp(prefix="ferryman-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.running = False
        shutil.chown(self.base, "postgres", "postgres")
        args = ["-D", str(self.data), "-U", "root", "--no-sync"]
        if password is not None:
            pwfile = self.base / "pw"
            pwfile.write_text(password + "\n")
            shutil.chown(pwfile, "postgres", "postgres")
            args += ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["-A", "trust"]
        self._run("initdb", *args)

    @property
    def address(self) -> str:
        """``host:port`` for URLs."""
        return f"127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c shared_buffers=16MB"
        )
        log = str(self.base / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "30",
                  "start")  # fmt: skip
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
