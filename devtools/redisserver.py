"""A throwaway Redis server and real Celery workers on it, for tests and benchmarks.

The server is pytest-redis's: the tests use its ``redis_proc`` fixture (set
up in tests/conftest.py, as ``redis_server``), the benchmarks, which run
outside pytest, its executor through ``RedisServer``::

    with RedisServer() as redis:
        os.environ["CELERY_BROKER_URL"] = redis.url(0)

Either way it is Debian's ``redis-server`` (``apt-get install redis-server``;
``make sysdeps`` installs it) on a free loopback port, in a temporary
directory, with persistence off (no snapshots, no append-only file) and no
idle-client timeout (a worker's broker connection may sit idle).

``CeleryWorker`` runs ``celery -A hainan_window worker`` the way a deployment
does, against whatever broker and database its environment names, and can
kill it outright (``kill``) the way a lost machine would. ``celery_app_using``
points this process's Celery app at a broker, for tests that change brokers at
run time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kombu import pools
from pytest_redis.executor import RedisExecutor

from devtools.ports import free_port

INSTALL_HINT = "install it: apt-get install redis-server (make sysdeps does)"
DEBIAN_BINARY = "/usr/bin/redis-server"
# What the executor passes on as redis-server's `save`: the empty value, which
# turns snapshots off (an empty string here would mean "leave the default").
NO_SNAPSHOTS = '""'
DATABASES = 4


def find_binary() -> str:
    """``$REDIS_SERVER`` if set, else redis-server on PATH, else Debian's path (whether
    or not it is there: the server then fails to start and says so)."""
    return os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or DEBIAN_BINARY


def url(server: RedisExecutor, db: int = 0) -> str:
    """The URL of database `db` on a started server."""
    return f"redis://{server.host}:{server.port}/{db}"


class RedisServer:
    """redis-server on 127.0.0.1:<free port>, for as long as the ``with`` block runs
    (pytest-redis's executor, outside pytest); ``process`` is the server's."""

    def __init__(self) -> None:
        self.dir: Path | None = None
        self.executor: RedisExecutor | None = None

    @property
    def process(self) -> subprocess.Popen:
        return self.executor.process

    def url(self, db: int = 0) -> str:
        return url(self.executor, db)

    def __enter__(self) -> RedisServer:
        self.dir = Path(tempfile.mkdtemp(prefix="hw-redis-"))
        try:
            self.executor = RedisExecutor(
                executable=find_binary(),
                databases=DATABASES,
                redis_timeout=0,
                loglevel="notice",
                host="127.0.0.1",
                port=free_port(),
                save=NO_SNAPSHOTS,
                datadir=self.dir,
            )
            self.executor.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            with contextlib.suppress(Exception):
                self.executor.stop()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)


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
    # Imported here, not above: the benchmarks import this module before their
    # environment (DJANGO_SETTINGS_MODULE, the database) is set for Django.
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
