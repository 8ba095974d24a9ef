"""The app under gunicorn on 127.0.0.1, as production serves it, for the tests and the
HTTP benchmark.

The load, fault and shared-limit tests need the production server in other
processes (several workers; a database restart under them; two servers on one
cache), which pytest-django's in-process ``live_server`` is not; the benchmark
needs it outside pytest. The data it serves must be *committed*: the workers
have their own connections (tests use ``django_db(transaction=True)``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.livehttp.client import request
from devtools.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a Django connection's settings (the test database, say)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def signing_key_pem() -> str:
    """A fresh Ed25519 key for the permits the server issues (tokens in API answers)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


class GunicornServer:
    """gunicorn serving the app on 127.0.0.1, for as long as the ``with`` block runs.

    DEBUG is off, as in production, with the settings production requires
    (a secret key, the allowed host); TLS is left to a proxy, so the HTTPS
    redirect is off. Mail stays in memory, permits are signed with a fresh key,
    their PDFs are left to ``render_permits`` (``PERMIT_RENDER_MODE=off``)
    unless ``env`` says otherwise, and the API's throttles are lifted: a load
    test measures the app, not the throttle.
    """

    def __init__(
        self,
        *,
        database_url: str,
        workdir: Path,
        workers: int = 2,
        threads: int = 4,
        env: dict[str, str] | None = None,
        ready_path: str = "/api/services/",
        start_timeout: float = 40,
    ) -> None:
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.workers, self.threads = workers, threads
        self.extra_env = dict(env or {})
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.port = free_port()
        self.log_path = self.workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "hainan_window.settings",
                "DATABASE_URL": self.database_url,
                "DEBUG": "0",
                "SECRET_KEY": f"load-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "0",
                "MEDIA_ROOT": str(self.workdir / "media"),
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "PERMIT_RENDER_MODE": "off",
                "API_THROTTLE_ANON": "1000000/minute",
                "API_THROTTLE_USER": "1000000/minute",
                "PERMIT_SIGNING_KEY": signing_key_pem(),
                "PERMIT_PUBLIC_BASE_URL": self.base_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def __enter__(self) -> GunicornServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "hainan_window.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        self._log = self.log_path.open("wb")
        # Its own session: stopping it signals gunicorn and its workers, nothing else.
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            response = request(self.base_url, "GET", self.ready_path, timeout=5)
            if response.status == 200:
                return
            last = response.error or f"HTTP {response.status}"
            time.sleep(0.1)  # polling a port that is not open yet: nothing to wait on
        raise RuntimeError(
            f"gunicorn did not answer {self.ready_path} within {self.start_timeout:.0f} s "
            f"({last}):\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to gunicorn (graceful), then SIGKILL to its process group if it lingers."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)  # the group we started
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __exit__(self, *exc) -> None:
        self.stop()
