"""A throwaway Redis server and real Celery workers on it, for tests and benchmarks.

``RedisServer`` starts Debian's ``redis-server`` (``apt-get install
redis-server``; ``make sysdeps`` installs it) on a free loopback port, in a
temporary directory, with persistence off (no RDB snapshots, no AOF: what it
holds is thrown away), waits until it answers PING, and stops it again::

    with RedisServer() as redis:
        os.environ["CELERY_BROKER_URL"] = redis.url(0)

Every wait is bounded. The server runs in its own session, so stopping it
(SIGTERM, then SIGKILL if it lingers) touches nothing else; the directory is
removed afterwards.

``started_for_tests`` is the same for a pytest fixture: a test without
redis-server is skipped, except on the PostgreSQL pass of ``make test``.

``CeleryWorker`` runs ``celery -A hainan_window worker`` the way a deployment
does, against whatever broker and database its environment names, and can
kill it outright (``kill``) the way a lost machine would. ``celery_app_using``
points this process's Celery app at a broker, for tests that change brokers at
run time.

Standard library only at import time (pytest, kombu and the Celery app are
imported where they are used): the benchmarks import this before Django is
set up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = "install it: apt-get install redis-server (make sysdeps does)"
DEBIAN_BINARY = "/usr/bin/redis-server"


class RedisUnavailable(Exception):
    """No redis-server to start, or it did not come up; the message says why."""


def find_binary() -> str | None:
    """``$REDIS_SERVER`` if set, else redis-server on PATH, else Debian's path."""
    override = os.environ.get("REDIS_SERVER")
    if override:
        return override if os.access(override, os.X_OK) else None
    found = shutil.which("redis-server")
    if found:
        return found
    return DEBIAN_BINARY if os.access(DEBIAN_BINARY, os.X_OK) else None


def free_port() -> int:
    """A port nobody listens on now. Another process could take it before the
    server binds it; the server then fails to start and says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(port: int, *, timeout: float = 1.0) -> bool:
    """True if a Redis server answers PING on 127.0.0.1:port within `timeout`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """redis-server on 127.0.0.1:<free port>, for as long as the ``with`` block runs."""

    def __init__(self, *, start_timeout: float = 15, stop_timeout: float = 10) -> None:
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self.dir: Path | None = None
        self.process: subprocess.Popen | None = None
        self._log = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def log_path(self) -> Path:
        assert self.dir is not None
        return self.dir / "redis.log"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"

    def start(self) -> RedisServer:
        binary = find_binary()
        if binary is None:
            raise RedisUnavailable(f"no redis-server found; {INSTALL_HINT}")
        self.dir = Path(tempfile.mkdtemp(prefix="hw-redis-"))
        self.port = free_port()
        argv = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.dir),
            # Thrown away afterwards: no snapshots, no append-only file.
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--databases", "4",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                argv,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self.stop()
            raise RedisUnavailable(f"cannot run {binary}: {exc}") from exc
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_tail()
                self.stop()
                raise RedisUnavailable(
                    f"redis-server exited with {self.process.returncode} while starting:\n{tail}"
                )
            if ping(self.port, timeout=0.5):
                return self
            time.sleep(0.05)  # a port that is not open yet: nothing to wait on
        tail = self.log_tail()
        self.stop()
        raise RedisUnavailable(
            f"redis-server did not answer PING within {self.start_timeout:.0f} s:\n{tail}"
        )

    def stop(self) -> None:
        """SIGTERM (it exits at once: nothing to save), SIGKILL if it lingers. Never raises."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)  # the session we started
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=self.stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def started_for_tests() -> RedisServer:
    """A started server for a pytest fixture (stop it when done). Without
    redis-server the test is skipped, except on the PostgreSQL pass of
    ``make test`` (HW_REQUIRE_POSTGRES=1), which must run it: there it fails."""
    import pytest

    try:
        return RedisServer().start()
    except RedisUnavailable as exc:
        if os.environ.get("HW_REQUIRE_POSTGRES"):
            pytest.fail(f"the PostgreSQL pass needs a Redis server: {exc}")
        pytest.skip(f"needs a Redis server: {exc}")


# --- Celery ------------------------------------------------------------------------


@contextlib.contextmanager
def celery_app_using(broker_url: str) -> Iterator:
    """Point this process's Celery app (``hainan_window.celery.app``) at `broker_url`.

    Celery reads Django's settings once, the first time it is used, and keeps
    its broker connections in pools: a deployment sets CELERY_BROKER_URL before
    either happens, but a test that changes ``settings.CELERY_BROKER_URL``
    later would still publish to whatever the app first saw. This sets the
    app's own setting and empties its pools, and puts both back afterwards.
    """
    from kombu import pools

    from hainan_window.celery import app

    def forget_connections() -> None:
        pools.reset()  # kombu's process-wide pools, which the app's are drawn from
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    forget_connections()
    app.conf.broker_url = broker_url
    try:
        yield app
    finally:
        forget_connections()
        app.conf.broker_url = saved


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


class CeleryWorker:
    """``celery -A hainan_window worker`` in its own session, logging to a file.

    `env` is the worker's whole environment (DATABASE_URL, CELERY_BROKER_URL,
    MEDIA_ROOT, ...). ``start`` returns once the worker logs that it is ready
    to take tasks; ``stop`` asks it to finish (SIGTERM: a warm shutdown that
    lets a running task end, SIGKILL after `stop_timeout`); ``kill`` is
    SIGKILL to the worker and its pool processes at once, with no chance to
    hand anything back to the broker.
    """

    def __init__(
        self,
        *,
        env: dict[str, str],
        workdir: Path,
        name: str = "worker",
        concurrency: int = 1,
        start_timeout: float = 60,
        stop_timeout: float = 30,
    ) -> None:
        self.env = dict(env)
        self.name = name
        self.concurrency = concurrency
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.log_path = Path(workdir) / f"celery-{name}.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> CeleryWorker:
        argv = [
            sys.executable, "-m", "celery", "-A", "hainan_window", "worker",
            "--pool", "prefork", "--concurrency", str(self.concurrency),
            "--hostname", f"{self.name}@%h", "--loglevel", "info",
            # Alone on its broker: no waiting for, or chatting with, other workers.
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            argv,
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"celery worker {self.name} exited with {self.process.returncode} "
                    f"while starting:\n{self.log_tail()}"
                )
            if " ready." in self.log_text()[offset:]:
                return self
            time.sleep(0.1)  # the worker says when it is ready only in its log
        self.kill()
        raise RuntimeError(
            f"celery worker {self.name} was not ready within {self.start_timeout:.0f} s:\n"
            f"{self.log_tail()}"
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def pool_pids(self) -> list[int]:
        """The pool processes that run the tasks (children of the worker)."""
        return children_of(self.pid) if self.running else []

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(log is empty)"

    def kill(self) -> None:
        """SIGKILL to the worker and its pool at once (its process group). Never raises."""
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=self.stop_timeout)
        self._close_log()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the group if it lingers. Never raises."""
        if self.running:
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=self.stop_timeout)
        self.kill()  # also any pool process left behind by its parent

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
