"""Run a command against a throwaway PostgreSQL server.

    python -m devtools.postgres -- <command> [args...]

The server is pytest-postgresql's ``PostgreSQLExecutor`` (initdb, start and
stop through ``pg_ctl``), driven here rather than through its
``postgresql_proc`` fixture, because:

* the fixture puts the data directory under pytest's base temporary
  directory, which pytest makes mode 0700 for root; PostgreSQL refuses to run
  as root, and the postgres user cannot enter that directory ("initdb: error:
  could not access directory .../pytest-postgresql-proc0/data-NNNN:
  Permission denied"); the fixture has no option to put it elsewhere;
* Django reads DATABASE_URL once, when the settings are imported, and derives
  the PostgreSQL-only options from it (lock timeout, connection pool): the
  server must be up before pytest starts, not from a fixture within it;
* the benchmarks need the same server outside pytest.

So: the cluster lives in a fresh temporary directory owned by the postgres
user (when we are root), the executor's ``pg_ctl`` is ``devtools/pg_ctl``,
which runs the real one as that user, and the command runs with
``DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres`` (Django's test
runner makes its test database from it). The command also gets what a fault
test needs to stop, start or restart the server under its own feet
(``stop_server``, ``start_server``, ``restart_server`` below): ``HW_PG_CTL``,
``HW_PG_BINDIR``, ``HW_PG_DATA``, ``HW_PG_LOG``, ``HW_PG_OPTIONS`` (same port,
same settings) and ``HW_PG_RUN_AS`` (the user, empty unless we are root).

The server is ALWAYS stopped and the directory removed, also when the command
fails or on Ctrl-C / SIGTERM; the exit status is the command's. If no server
can be started it says why, shows the tail of the server log and exits with 3,
never running the command without one.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_postgresql.executors import PostgreSQLExecutor

from devtools.ports import free_port

# Exit status when no server could be started (distinct from the command's
# usual 0/1 and from pytest's 2..5).
EXIT_NO_SERVER = 3
INSTALL_HINT = "install the PostgreSQL server: apt-get install postgresql (Debian/Ubuntu)"
RUN_AS = "postgres"  # the system user that owns the cluster when we are root
PG_CTL = Path(__file__).resolve().with_name("pg_ctl")
# fsync off (-F, the executor's) and these: the data is thrown away anyway.
SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=200"
LOG_TAIL_LINES = 40
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
REQUIRED_TOOLS = ("initdb", "pg_ctl", "postgres")

ENV_PG_CTL = "HW_PG_CTL"
ENV_PG_BINDIR = "HW_PG_BINDIR"
ENV_PG_DATA = "HW_PG_DATA"
ENV_PG_LOG = "HW_PG_LOG"
ENV_PG_OPTIONS = "HW_PG_OPTIONS"
ENV_PG_RUN_AS = "HW_PG_RUN_AS"
_CONTROL_ENV = (ENV_PG_CTL, ENV_PG_BINDIR, ENV_PG_DATA, ENV_PG_LOG, ENV_PG_OPTIONS)


class ServerError(Exception):
    """The throwaway server could not be set up or controlled; the message says why."""


class Terminated(Exception):
    """A stop signal arrived before the command was started."""


def say(message: str) -> None:
    """Progress line on stderr, so that the command's stdout stays clean."""
    print(f"[devtools.postgres] {message}", file=sys.stderr, flush=True)


def _has_tools(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in REQUIRED_TOOLS)


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin: "15" < "16", "9.6" < "10"."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path:
    """``$PG_BINDIR`` if set (honoured or reported, never silently replaced), else the
    newest Debian /usr/lib/postgresql/*/bin, else ``pg_config --bindir``, else initdb's
    directory on PATH."""
    override = os.environ.get("PG_BINDIR")
    if override:
        if not _has_tools(Path(override)):
            raise ServerError(
                f"PG_BINDIR={override} does not contain {', '.join(REQUIRED_TOOLS)}; "
                f"point it at a PostgreSQL bin directory or unset it and {INSTALL_HINT}"
            )
        return Path(override)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    # pg_config may come from libpq-dev without a server next to it: _has_tools checks.
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates += [Path(out)] if out else []
        except (OSError, subprocess.CalledProcessError):
            pass
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    for bindir in candidates:
        if _has_tools(bindir):
            return bindir
    raise ServerError(f"no PostgreSQL server binaries (initdb, pg_ctl) found; {INSTALL_HINT}")


class Cluster:
    """One throwaway cluster in its own temporary directory, run by the plugin's executor."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.port = free_port()
        self.executor: PostgreSQLExecutor | None = None
        if self.as_root:
            try:
                user = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise ServerError(
                    f"running as root but there is no '{RUN_AS}' system user to run "
                    f"PostgreSQL as (it refuses root); {INSTALL_HINT}"
                ) from None
            if not shutil.which("runuser"):
                raise ServerError("running as root but 'runuser' (util-linux) is missing")
        self.dir = Path(tempfile.mkdtemp(prefix="hw-postgres-"))
        if self.as_root:
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    data = property(lambda self: self.dir / "data")
    log = property(lambda self: self.dir / "log")
    url = property(lambda self: f"postgres://postgres@127.0.0.1:{self.port}/postgres")

    @property
    def options(self) -> str:
        """The server's options as the executor gives them to pg_ctl start."""
        return f"-F -p {self.port} -c unix_socket_directories={self.dir} {SERVER_OPTIONS}"

    def start(self) -> None:
        # The executor's pg_ctl calls inherit this process's environment: the
        # wrapper needs the bin directory, and the caller's PG* variables
        # (PGDATA, PGPORT...) must not steer the tools towards another cluster.
        for name in [n for n in os.environ if n.startswith("PG")]:
            del os.environ[name]
        os.environ[ENV_PG_BINDIR] = str(self.bindir)
        self.executor = PostgreSQLExecutor(
            executable=str(PG_CTL),
            host="127.0.0.1",
            port=self.port,
            datadir=str(self.data),
            unixsocketdir=str(self.dir),
            logfile=str(self.log),
            startparams="-w -t 60",
            dbname="postgres",
            postgres_options=SERVER_OPTIONS,
        )
        try:
            self.executor.start()
        except Exception as exc:  # initdb, pg_ctl or the wait: each says what failed
            output = getattr(exc, "output", b"") or b""
            raise ServerError(f"{exc}\n{output.decode(errors='replace')}".rstrip()) from exc

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(server log is empty)"

    def stop_and_remove(self) -> None:
        """Stop the server if it runs, whoever started it last, and remove the directory.
        Never raises: it runs in `finally`."""
        if self.executor is not None and self.executor.running():
            try:
                self.executor.stop()
                say("stopped")
            except Exception as exc:
                say(f"pg_ctl stop failed: {exc}")
                self._kill_postmaster()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.dir.exists():
            say(f"could not remove {self.dir}")

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
            say(f"killed postmaster {pid}")
        except (OSError, ValueError, IndexError) as exc:
            say(f"could not kill the postmaster: {exc}")

    def control_env(self) -> dict[str, str]:
        """What stop_server()/start_server()/restart_server() need, for the command."""
        return {
            ENV_PG_CTL: str(PG_CTL),
            ENV_PG_BINDIR: str(self.bindir),
            ENV_PG_DATA: str(self.data),
            ENV_PG_LOG: str(self.log),
            ENV_PG_OPTIONS: self.options,
            ENV_PG_RUN_AS: RUN_AS if self.as_root else "",
        }


# --- stopping and starting the server from the command (fault tests) ------------------


def can_control_server(environ: dict[str, str] | None = None) -> bool:
    """True when the command runs under this module, which says how to stop and start
    its server."""
    environ = os.environ if environ is None else environ
    return all(environ.get(name) for name in _CONTROL_ENV)


def _pg_ctl(action: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    if not can_control_server():
        raise ServerError(
            f"{', '.join(_CONTROL_ENV)} are not set: run the command under "
            "devtools/postgres.py to stop, start or restart its server"
        )
    argv = [os.environ[ENV_PG_CTL], "-D", os.environ[ENV_PG_DATA], "-w"]
    argv += ["-t", str(max(1, int(timeout))), *args, action]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    try:
        result = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout + 30,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerError(f"pg_ctl {action} could not run: {exc}") from exc
    if result.returncode != 0:
        raise ServerError(
            f"pg_ctl {action} failed (exit {result.returncode}): "
            f"{(result.stdout + result.stderr).strip()}"
        )
    return result


def stop_server(mode: str = "fast", timeout: float = 60) -> subprocess.CompletedProcess:
    """Stop the throwaway server this command runs against (``pg_ctl stop -m MODE``);
    ``fast`` ends every session at once. Returns once it is down."""
    return _pg_ctl("stop", "-m", mode, timeout=timeout)


def start_server(timeout: float = 60) -> subprocess.CompletedProcess:
    """Start it again, on the same port with the same options; returns once it accepts
    connections. The log file keeps the new server from holding our stdout open."""
    options = os.environ.get(ENV_PG_OPTIONS, "")
    return _pg_ctl("start", "-o", options, "-l", os.environ.get(ENV_PG_LOG, ""), timeout=timeout)


def restart_server(mode: str = "fast", timeout: float = 60) -> subprocess.CompletedProcess:
    """``pg_ctl restart -m MODE``: stop and start at once (pg_ctl reuses the options
    it kept in postmaster.opts); returns once the server accepts connections."""
    return _pg_ctl("restart", "-m", mode, "-l", os.environ.get(ENV_PG_LOG, ""), timeout=timeout)


# --- running the command -----------------------------------------------------------------


def run_command(argv: list[str], env: dict[str, str]) -> int:
    """Run the command and return its exit status (128+N if killed by signal N).

    Ctrl-C reaches the command directly (same process group); we wait for it to
    finish its own clean-up, and a second Ctrl-C kills it. SIGTERM/SIGHUP sent to
    us are forwarded to it.
    """
    try:
        child = subprocess.Popen(argv, env=env)
    except OSError as exc:
        say(f"cannot run {argv[0]!r}: {exc}")
        return 127
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: child.send_signal(signum))
    try:
        try:
            returncode = child.wait()
        except KeyboardInterrupt:
            say("interrupted; waiting for the command to finish (Ctrl-C again to kill it)")
            try:
                returncode = child.wait()
            except KeyboardInterrupt:
                child.kill()
                returncode = child.wait()
    finally:
        if child.poll() is None:  # some unexpected exception: do not orphan it
            child.kill()
            child.wait()
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m devtools.postgres -- <command> [args...]", file=sys.stderr)
        return 0 if argv else 2
    command_env = dict(os.environ)  # the command's, before start() trims PG* variables

    # During start-up a signal is only noted and acted on between steps: killing
    # initdb or pg_ctl half-way (as another user, under runuser) could leave files
    # or a server behind.
    pending: list[int] = []
    original_sigint = signal.getsignal(signal.SIGINT)

    def check_interrupted() -> None:
        if pending:
            raise Terminated(pending[0])

    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, _frame: pending.append(signum))

    cluster: Cluster | None = None
    try:
        try:
            bindir = find_bindir()
            cluster = Cluster(bindir)
            say(f"PostgreSQL in {bindir}: initdb in {cluster.dir}")
            check_interrupted()
            cluster.start()
            check_interrupted()
        except ServerError as exc:
            # A Ctrl-C also reaches initdb and makes it fail: that is an
            # interruption, not a broken installation.
            check_interrupted()
            say(f"ERROR: could not start a throwaway PostgreSQL server: {exc}")
            if cluster is not None:
                say(f"server log ({cluster.log}), last lines:\n{cluster.log_tail()}")
            say("the command was NOT run")
            return EXIT_NO_SERVER
        say(f"started on 127.0.0.1:{cluster.port} (DATABASE_URL={cluster.url})")
        signal.signal(signal.SIGINT, original_sigint)  # normally: KeyboardInterrupt
        return run_command(
            argv, {**command_env, "DATABASE_URL": cluster.url, **cluster.control_env()}
        )
    except Terminated as exc:
        say(f"interrupted by signal {exc.args[0]} during start-up; the command was NOT run")
        return 128 + exc.args[0]
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        # No more interruptions: a half-done clean-up would leave a server or a
        # directory behind.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if cluster is not None:
            cluster.stop_and_remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
