#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server.

Usage:

    python -m devtools.postgres -- <command> [args...]

What it does, in order:

1. finds the PostgreSQL server binaries (``$PG_BINDIR`` if set, otherwise the
   newest ``/usr/lib/postgresql/*/bin``, then ``pg_config --bindir``, then
   ``initdb`` on ``$PATH``);
2. creates a fresh temporary directory and runs ``initdb`` in it;
3. starts the server on a free TCP port on 127.0.0.1 (no fsync: the data is
   thrown away anyway);
4. runs ``<command>`` with ``DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres``
   in its environment (Django's test runner creates its own test database
   from that URL), and with what a fault test needs to stop, start or
   restart the server under the command's feet: ``HW_PG_CTL`` (the pg_ctl
   binary), ``HW_PG_DATA`` (the data directory), ``HW_PG_LOG`` (the server
   log), ``HW_PG_OPTIONS`` (the server options: same port, same settings) and
   ``HW_PG_RUN_AS`` (the user to run pg_ctl as, empty unless we are root);
   ``stop_server()``, ``start_server()`` and ``restart_server()`` below do it
   from those variables (``from devtools.postgres import restart_server``);
5. ALWAYS stops the server (``pg_ctl stop -m fast``) and deletes the
   directory, also when the command fails or on Ctrl-C / SIGTERM;
6. exits with the command's exit status.

If the server cannot be started (binaries missing, initdb or start failing)
it prints the reason and the tail of the server log and exits with status 3.
It never runs the command without a server.

PostgreSQL refuses to run as root. As root (the case on CI and on these
machines) the directory is handed to the ``postgres`` system user (created by
Debian's ``postgresql`` package) and initdb/pg_ctl run through
``runuser -u postgres --``. As any other user they run directly.

Standard library only: this runs before anything is known about the venv.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Exit status when no server could be started (distinct from the command's
# usual 0/1 and from pytest's 2..5).
EXIT_NO_SERVER = 3
INSTALL_HINT = "install the PostgreSQL server: apt-get install postgresql (Debian/Ubuntu)"
RUN_AS = "postgres"  # system user that owns the cluster when we are root
LOG_TAIL_LINES = 40
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ServerError(Exception):
    """The throwaway server could not be set up; the message says why."""


class Terminated(Exception):
    """A stop signal arrived before the command was started."""


def say(message: str) -> None:
    """Progress line on stderr, so that the command's stdout stays clean."""
    print(f"[devtools.postgres] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Finding the binaries
# --------------------------------------------------------------------------

REQUIRED_TOOLS = ("initdb", "pg_ctl", "postgres")


def _has_tools(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in REQUIRED_TOOLS)


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin: "15" < "16", "9.6" < "10"."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path:
    override = os.environ.get("PG_BINDIR")
    if override:
        # An explicit choice is honoured or reported, never silently replaced.
        bindir = Path(override)
        if not _has_tools(bindir):
            raise ServerError(
                f"PG_BINDIR={override} does not contain {', '.join(REQUIRED_TOOLS)}; "
                f"point it at a PostgreSQL bin directory or unset it and {INSTALL_HINT}"
            )
        return bindir

    # Debian/Ubuntu layout: one directory per major version, newest wins.
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    # pg_config may come from libpq-dev without a server next to it: check.
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    # Other systems (Homebrew, Postgres.app, ...) put initdb on PATH.
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)

    for bindir in candidates:
        if _has_tools(bindir):
            return bindir
    raise ServerError(f"no PostgreSQL server binaries (initdb, pg_ctl) found; {INSTALL_HINT}")


def server_version(bindir: Path) -> str:
    """Major version for the progress line, e.g. "15" (from "postgres (PostgreSQL) 15.14")."""
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    match = re.search(r"(\d+)(?:\.\d+)*", out)
    return match.group(1) if match else "?"


# --------------------------------------------------------------------------
# Running the PostgreSQL tools (as the postgres user when we are root)
# --------------------------------------------------------------------------


def free_port() -> int:
    """Ask the kernel for a free port. There is a small window in which another
    process could take it before the server binds it; the start then fails
    loudly (exit 3) rather than using someone else's server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One throwaway cluster in its own temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.dir: Path | None = None
        self.port: int | None = None
        self.options = ""
        self.started = False

    # -- helpers -----------------------------------------------------------

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def log(self) -> Path:
        assert self.dir is not None
        return self.dir / "log"

    def _tool(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / name), *args]
        if self.as_root:
            argv = ["runuser", "-u", RUN_AS, "--", *argv]
        # PG* variables of the caller (PGDATA, PGPORT, PGHOST...) must not
        # steer the tools towards some other cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return subprocess.run(
            argv,
            cwd=self.dir,  # the postgres user may not be able to read our cwd
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(server log is empty)"

    # -- lifecycle ---------------------------------------------------------

    def create_dir(self) -> None:
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

    def initdb(self) -> None:
        base = ["-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        # C.UTF-8 gives UTF-8 collation-free sorting; older systems may lack it.
        result = None
        for locale in ("C.UTF-8", "C"):
            try:
                result = self._tool("initdb", *base, f"--locale={locale}")
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ServerError(f"initdb could not run: {exc}") from exc
            if result.returncode == 0:
                return
            # initdb removes the data directory it created when it fails.
        assert result is not None
        raise ServerError(
            f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}".rstrip()
        )

    def start(self) -> None:
        assert self.dir is not None
        self.port = free_port()
        self.options = (
            f"-k {shlex.quote(str(self.dir))} -p {self.port}"
            " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        args = ["-D", str(self.data), "-w", "-t", "60", "-o", self.options]
        args += ["-l", str(self.log), "start"]
        try:
            result = self._tool("pg_ctl", *args, timeout=90)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.started = True  # it may be half up: let stop() clean up
            raise ServerError(f"pg_ctl start could not run: {exc}") from exc
        # Even a failed start may leave a postmaster behind: stop() checks.
        self.started = True
        if result.returncode != 0:
            raise ServerError(
                f"pg_ctl start failed (exit {result.returncode}): "
                f"{(result.stdout + result.stderr).strip()}"
            )

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the server if it runs. Never raises: it runs in `finally`."""
        if not self.started or self.dir is None:
            return
        if self._postmaster_pid() is None:
            # pg_ctl may have been killed just after launching the server,
            # before it wrote postmaster.pid: give it a moment.
            for _ in range(20):
                time.sleep(0.1)
                if self._postmaster_pid() is not None:
                    break
            else:
                return  # never came up, or already gone
        try:
            args = ["-D", str(self.data), "-m", "fast", "-w", "stop"]
            result = self._tool("pg_ctl", *args, timeout=90)
            if result.returncode == 0:
                say("stopped")
                return
            say(f"pg_ctl stop failed: {(result.stdout + result.stderr).strip()}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            say(f"pg_ctl stop failed: {exc}")
        # Last resort: kill the postmaster ourselves so nothing is left behind.
        pid = self._postmaster_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
                say(f"killed postmaster {pid}")
            except OSError as exc:
                say(f"could not kill postmaster {pid}: {exc}")

    def remove_dir(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.dir.exists():
                say(f"could not remove {self.dir}")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def control_env(self) -> dict[str, str]:
        """What stop_server()/start_server()/restart_server() need, for the command."""
        return {
            ENV_PG_CTL: str(self.bindir / "pg_ctl"),
            ENV_PG_DATA: str(self.data),
            ENV_PG_LOG: str(self.log),
            ENV_PG_OPTIONS: self.options,
            ENV_PG_RUN_AS: RUN_AS if self.as_root else "",
        }


# --------------------------------------------------------------------------
# Stopping and starting the server from the command (fault tests)
# --------------------------------------------------------------------------

ENV_PG_CTL = "HW_PG_CTL"
ENV_PG_DATA = "HW_PG_DATA"
ENV_PG_LOG = "HW_PG_LOG"
ENV_PG_OPTIONS = "HW_PG_OPTIONS"
ENV_PG_RUN_AS = "HW_PG_RUN_AS"
_CONTROL_ENV = (ENV_PG_CTL, ENV_PG_DATA, ENV_PG_LOG, ENV_PG_OPTIONS)


def can_control_server(environ: dict[str, str] | None = None) -> bool:
    """True when the command runs under this script, which says how to stop and start
    its server."""
    environ = os.environ if environ is None else environ
    return all(environ.get(name) for name in _CONTROL_ENV)


def _pg_ctl(action: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    if not can_control_server():
        raise ServerError(
            f"{', '.join(_CONTROL_ENV)} are not set: run the command under "
            "devtools/postgres.py to stop, start or restart its server"
        )
    data = os.environ[ENV_PG_DATA]
    argv = [os.environ[ENV_PG_CTL], "-D", data, "-w", "-t", str(max(1, int(timeout))), *args]
    argv.append(action)
    if os.environ.get(ENV_PG_RUN_AS):
        argv = ["runuser", "-u", os.environ[ENV_PG_RUN_AS], "--", *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    try:
        result = subprocess.run(
            argv,
            cwd=Path(data).parent,  # readable by the postgres user
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout + 30,
        )
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


# --------------------------------------------------------------------------
# Running the command
# --------------------------------------------------------------------------


def run_command(argv: list[str], env: dict[str, str]) -> int:
    """Run the command and return its exit status (128+N if killed by signal N).

    Ctrl-C reaches the command directly (same process group); we wait for it
    to finish its own clean-up. A second Ctrl-C kills it. SIGTERM/SIGHUP sent
    to us are forwarded to it.
    """
    try:
        child = subprocess.Popen(argv, env=env)
    except OSError as exc:
        say(f"cannot run {argv[0]!r}: {exc}")
        return 127

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
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


def parse_args(argv: list[str]) -> list[str]:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m devtools.postgres -- <command> [args...]", file=sys.stderr)
        sys.exit(0 if argv else 2)
    return argv


def main(argv: list[str]) -> int:
    command = parse_args(argv)

    # During start-up a signal (Ctrl-C, SIGTERM, SIGHUP) is only noted and
    # acted on between steps: killing initdb or pg_ctl half-way (they may run
    # as another user, under runuser) could leave files or a server behind.
    pending: list[int] = []
    original_sigint = signal.getsignal(signal.SIGINT)

    def note(signum: int, _frame: object) -> None:
        pending.append(signum)

    def check_interrupted() -> None:
        if pending:
            raise Terminated(pending[0])

    for signum in STOP_SIGNALS:
        signal.signal(signum, note)

    cluster: Cluster | None = None
    try:
        try:
            bindir = find_bindir()
            cluster = Cluster(bindir)
            cluster.create_dir()
            say(f"PostgreSQL {server_version(bindir)} ({bindir}): initdb in {cluster.dir}")
            check_interrupted()
            cluster.initdb()
            check_interrupted()
            cluster.start()
            check_interrupted()
        except ServerError as exc:
            # A Ctrl-C also reaches initdb/pg_ctl and makes them fail: that is
            # an interruption, not a broken installation.
            check_interrupted()
            say(f"ERROR: could not start a throwaway PostgreSQL server: {exc}")
            if cluster is not None and cluster.started:
                say(f"server log ({cluster.log}), last lines:\n{cluster.log_tail()}")
            say("the command was NOT run")
            return EXIT_NO_SERVER
        say(f"started on 127.0.0.1:{cluster.port} (DATABASE_URL={cluster.url})")
        signal.signal(signal.SIGINT, original_sigint)  # normally: KeyboardInterrupt
        return run_command(
            command, {**os.environ, "DATABASE_URL": cluster.url, **cluster.control_env()}
        )
    except Terminated as exc:
        say(f"interrupted by signal {exc.args[0]} during start-up; the command was NOT run")
        return 128 + exc.args[0]
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        # No more interruptions: a half-done clean-up would leave a server
        # running or a directory behind.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if cluster is not None:
            cluster.stop()
            cluster.remove_dir()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
