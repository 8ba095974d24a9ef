"""The app under gunicorn on 127.0.0.1, and the people who use it over HTTP.

For the load and fault tests (``tests/test_load.py``, ``tests/test_faults.py``)
and the HTTP benchmark (``bench/bench_http.py``):

* ``GunicornServer`` starts the production server (``hainan_window.wsgi``
  under gunicorn's threaded workers) on a free loopback port against a
  database the caller names, waits until it answers, and stops it again. The
  data it serves must be *committed*: the workers are other processes, with
  their own connections (tests use ``django_db(transaction=True)``).
* ``HttpClient`` is one user's API client (token authentication). It records
  every response in a ``Recorder`` (status, error code, latency, when), retries
  what the API says to retry (409 busy, 429 and 503 with ``Retry-After``), and,
  only when asked (fault tests), server errors and lost connections. Every
  call is bounded by a socket timeout, a retry count and the client's deadline.
* ``investor_journey``, ``window_clerk`` and ``department_reviewer`` are the
  people of the single window as scripts over the API, each step safe to
  repeat, so a request that failed can be tried again without doubling
  anything.

Standard library only at import time (the benchmark imports this before
Django is set up); a new connection per request, so a request that failed
is never confused with a stale keep-alive connection.
"""

from __future__ import annotations

import contextlib
import http.client
import json as jsonlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent

# A tiny but real PDF, for the materials that must be uploaded.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
COMMITMENT = "本企业承诺所填住所真实有效 / We commit that the address is real."
TYPED = "由申请人填写 / filled by hand"
# Statuses a well-behaved client tries again after the time the server names.
RETRY_LATER = (409, 429, 503)
RETRY_AFTER_CAP_SECONDS = 2.0
TAKE_TRIES = 3  # reviews a reviewer tries to take from one reading of the queue
YARDSTICK_PATHS = ("/health/", "/verify/", "/api/services/")


class DeadlineExceeded(Exception):
    """The client's time is up: the script stops where it is."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


# --- the server -------------------------------------------------------------------


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


# --- one request --------------------------------------------------------------------


@dataclass
class Response:
    status: int  # 0: no HTTP response at all (see error)
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def json(self):
        if not self.headers.get("content-type", "").startswith("application/json"):
            return None
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            return None

    @property
    def code(self) -> str:
        body = self.json
        return str(body.get("code", "")) if isinstance(body, dict) else ""

    @property
    def retry_after(self) -> float | None:
        try:
            return float(self.headers["retry-after"])
        except (KeyError, ValueError):
            return None


def request(
    base_url: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20,
) -> Response:
    """One HTTP request on a new connection; transport failures come back as status 0."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        raw = connection.getresponse()
        data = raw.read()
        got = {k.lower(): v for k, v in raw.getheaders()}
        return Response(raw.status, got, data, time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Response(0, {}, b"", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def error_shape_problem(response: Response) -> str:
    """What is wrong with an error response by the API's one error shape ("" if nothing)."""
    if response.status < 400:
        return ""
    body = response.json
    if not isinstance(body, dict):
        return f"HTTP {response.status} is not a JSON error: {response.body[:120]!r}"
    if body.get("status") != response.status:
        return f"HTTP {response.status} says status {body.get('status')!r}"
    if not (isinstance(body.get("code"), str) and body["code"]):
        return f"HTTP {response.status} without a code"
    if not (isinstance(body.get("message"), str) and body["message"].strip()):
        return f"HTTP {response.status} without a message"
    if response.status in RETRY_LATER:
        if response.retry_after is None:
            return f"HTTP {response.status} without a Retry-After header"
        if not isinstance(body.get("retry_after"), int):
            return f"HTTP {response.status} without retry_after in the body"
    return ""


# --- what every client saw -------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    label: str
    method: str
    status: int
    code: str
    seconds: float
    started: float  # time.monotonic() when sent
    finished: float
    error: str = ""
    shape_problem: str = ""
    retried: bool = False  # this attempt was followed by another of the same call


class Recorder:
    """Every response of a run, from every client thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[Sample] = []

    def add(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the value q % of the samples did not exceed."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats going astray
    return ordered[int(rank) - 1]


@dataclass
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else float("nan")


def figures(samples: list[Sample], seconds: float) -> Figures:
    times = [s.seconds * 1000 for s in samples]
    return Figures(len(samples), seconds, percentile(times, 50), percentile(times, 95))


def status_table(samples: list[Sample]) -> Counter:
    return Counter((s.label, s.status, s.code) for s in samples if not 200 <= s.status < 300)


# --- one user's client -------------------------------------------------------------------


class HttpClient:
    """One user of the API with a token, bounded by a deadline.

    Retries 409 busy, 429 and 503 after the Retry-After the server sends
    (capped, at most `busy_retries` times). With `retry_server_errors`, also
    retries a 5xx or a lost connection (at most `server_error_retries` times,
    with a short back-off): a fault test's client rides out an outage, a load
    test's client does not, so that every such failure shows.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        recorder: Recorder,
        deadline: float,
        stop: threading.Event | None = None,
        busy_retries: int = 8,
        retry_server_errors: bool = False,
        server_error_retries: int = 40,
        timeout: float = 20,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.recorder = recorder
        self.deadline = deadline
        self.stop = stop or threading.Event()
        self.busy_retries = busy_retries
        self.retry_server_errors = retry_server_errors
        self.server_error_retries = server_error_retries
        self.timeout = timeout

    def _wait(self, seconds: float) -> None:
        """Wait before a retry; a stop or the deadline ends the wait (and the call)."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or self.stop.wait(min(seconds, remaining)):
            raise DeadlineExceeded()

    def call(
        self,
        method: str,
        path: str,
        *,
        label: str,
        json=None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        send_headers = {"Accept": "application/json", "Accept-Language": "en"}
        if self.token:
            send_headers["Authorization"] = f"Token {self.token}"
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            send_headers["Content-Type"] = "application/json"
        elif files:
            boundary = uuid.uuid4().hex
            body = multipart(files, boundary)
            send_headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        send_headers.update(headers or {})
        busy = server = 0
        while True:
            if time.monotonic() >= self.deadline or self.stop.is_set():
                raise DeadlineExceeded()
            started = time.monotonic()
            response = request(
                self.base_url,
                method,
                path,
                body=body,
                headers=send_headers,
                timeout=min(self.timeout, max(1.0, self.deadline - started)),
            )
            retry_later = (
                response.status in RETRY_LATER
                and response.retry_after is not None
                and busy < self.busy_retries
            )
            server_error = response.status == 0 or (
                response.status >= 500 and response.retry_after is None
            )
            retry_server = (
                server_error and self.retry_server_errors and server < self.server_error_retries
            )
            self.recorder.add(
                Sample(
                    label=label,
                    method=method,
                    status=response.status,
                    code=response.code,
                    seconds=response.seconds,
                    started=started,
                    finished=time.monotonic(),
                    error=response.error,
                    shape_problem=error_shape_problem(response) if response.status else "",
                    retried=retry_later or retry_server,
                )
            )
            if retry_later:
                busy += 1
                self._wait(min(response.retry_after, RETRY_AFTER_CAP_SECONDS))
            elif retry_server:
                server += 1
                self._wait(min(0.05 * 2**server, 0.5))
            else:
                return response


def multipart(files: dict[str, tuple[str, bytes, str]], boundary: str) -> bytes:
    parts = []
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def at_once(*calls):
    """Run the calls in threads released together (a double click); their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if any(t.is_alive() for t in threads):
        raise RuntimeError("a simultaneous request did not come back within 60 s")
    if errors:
        raise errors[0]
    return results


# --- the people of the single window, over the API ---------------------------------------


@dataclass
class JourneyResult:
    """What one investor's script saw."""

    key: str
    ids: set[str] = field(default_factory=set)  # every application id the API returned
    status: str = ""  # of the application when the script ended
    problems: list[str] = field(default_factory=list)
    done: bool = False


def typed_value(key: str) -> str:
    """What the scripted investor types into a field no source filled (as demo.hand_in_missing)."""
    if key.endswith(("registered_capital", "total_investment")):
        return "1000"
    if key.endswith("established_on"):
        return "2020-01-01"
    if key.endswith("insured_employees"):
        return "10"
    return TYPED


def investor_journey(
    client: HttpClient,
    *,
    service: str,
    uscc: str,
    key: str,
    double_create: bool = False,
    double_submit: bool = False,
    max_rounds: int = 12,
) -> JourneyResult:
    """Open a draft (Idempotency-Key), hand in what prefill could not reuse, submit.

    Every step is safe to repeat, so after a failed request the script reads
    the application again and carries on from where it stands, at most
    `max_rounds` times. `double_create` / `double_submit` send that request
    twice at the same instant, as a double click does.
    """
    result = JourneyResult(key=key)
    body = {"service": service, "uscc": uscc}
    detail = None

    def create():
        return client.call(
            "POST",
            "/api/applications/",
            label="application-create",
            json=body,
            headers={"Idempotency-Key": key},
        )

    def note(response: Response, what: str):
        if response.ok:
            data = response.json or {}
            if data.get("id"):
                result.ids.add(data["id"])
            return data
        result.problems.append(f"{what}: HTTP {response.status} {response.code} {response.error}")
        return None

    try:
        for _round in range(max_rounds):
            if detail is None:
                # Creating again with the same key is how a client finds its draft after a
                # failure: the API returns the draft the key opened.
                responses = at_once(create, create) if double_create else [create()]
                double_create = False
                details = [note(r, "create") for r in responses]
                detail = next((d for d in details if d), None)
                if detail is None:
                    continue
            url = f"/api/applications/{detail['id']}/"
            result.status = detail["status"]
            if detail["status"] != "draft":
                result.done = True
                break
            failed = False
            for material in detail["materials"]:
                if material["satisfied_by"] != "missing":
                    continue
                code = material["code"]
                if material["allow_deferral"]:
                    r = client.call("POST", f"{url}materials/{code}/deferral/", label="deferral")
                elif material["allow_commitment"]:
                    r = client.call(
                        "POST",
                        f"{url}materials/{code}/commitment/",
                        label="commitment",
                        json={"text": COMMITMENT},
                    )
                else:
                    r = client.call(
                        "POST",
                        f"{url}materials/{code}/upload/",
                        label="upload",
                        files={"file": (f"{code}.pdf", PDF, "application/pdf")},
                    )
                if note(r, f"material {code}") is None:
                    failed = True
                    break
            if failed:
                detail = None
                continue
            blanks = {
                v["field"]: typed_value(v["field"]) for v in detail["values"] if not v["value"]
            }
            if blanks:
                r = client.call("PATCH", url, label="values", json={"values": blanks})
                if note(r, "values") is None:
                    detail = None
                    continue

            def submit(url=url):
                return client.call("POST", f"{url}submit/", label="submit")

            responses = at_once(submit, submit) if double_submit else [submit()]
            double_submit = False
            details = [note(r, "submit") for r in responses]
            detail = next((d for d in details if d), None)
            if detail is not None and detail["status"] == "draft":
                result.problems.append("submitted, yet still a draft")
        else:
            result.problems.append(f"not submitted after {max_rounds} rounds")
    except DeadlineExceeded:
        result.problems.append("deadline reached")
    return result


@dataclass
class OfficialResult:
    """What one official's script did."""

    name: str
    completed: list[int] = field(default_factory=list)  # review ids / application ids
    problems: list[str] = field(default_factory=list)


class Idle:
    """Back-off between polls of an empty queue: soon again while work comes in, then less
    and less often, up to every `longest` seconds (with jitter, so officials do not poll in
    step)."""

    def __init__(self, client: HttpClient, rng: random.Random, longest: float = 2.0) -> None:
        self.client, self.rng, self.longest, self.wait = client, rng, longest, 0.05

    def found_work(self) -> None:
        self.wait = 0.05

    def nothing_to_do(self) -> None:
        self.client._wait(self.wait * (0.5 + self.rng.random()))
        self.wait = min(self.wait * 2, self.longest)


def window_clerk(client: HttpClient, *, name: str = "clerk", seed: int = 0) -> OfficialResult:
    """Accept whatever is waiting at the window, until told to stop."""
    result = OfficialResult(name)
    idle = Idle(client, random.Random(seed))
    try:
        while not client.stop.is_set():
            queue = client.call("GET", "/api/window/?page_size=100", label="window-queue")
            rows = (queue.json or {}).get("results", []) if queue.ok else []
            if not rows:
                idle.nothing_to_do()
                continue
            idle.found_work()
            for row in rows:
                r = client.call(
                    "POST", f"/api/window/{row['id']}/accept/", label="window-accept", json={}
                )
                if r.ok:
                    result.completed.append(row["id"])
                elif r.status >= 500 or r.status == 0:
                    result.problems.append(f"accept {row['id']}: HTTP {r.status} {r.error}")
    except DeadlineExceeded:
        pass
    return result


def department_reviewer(client: HttpClient, *, name: str, seed: int = 0) -> OfficialResult:
    """Take a review from the department's queue and approve it, until told to stop.

    Colleagues of the same department compete for the same queue: a review a
    colleague took first is a 400, and the reviewer tries another of the list
    (up to TAKE_TRIES) before looking at the queue again. The inbox (reviews
    already taken) is read at the start and whenever taking or completing may have
    gone through without the reviewer hearing so (a lost or failed response).
    """
    result = OfficialResult(name)
    rng = random.Random(seed)
    idle = Idle(client, rng)

    def complete(review_id: int) -> bool:
        r = client.call(
            "POST",
            f"/api/tasks/{review_id}/complete/",
            label="task-complete",
            json={"decision": "approve"},
        )
        if r.ok:
            result.completed.append(review_id)
        return r.ok

    check_inbox = True
    try:
        while not client.stop.is_set():
            if check_inbox:
                inbox = client.call("GET", "/api/tasks/inbox/?page_size=50", label="task-inbox")
                check_inbox = not inbox.ok
                for row in (inbox.json or {}).get("results", []) if inbox.ok else []:
                    if not complete(row["id"]):
                        check_inbox = True
            queue = client.call("GET", "/api/tasks/queue/?page_size=20", label="task-queue")
            rows = (queue.json or {}).get("results", []) if queue.ok else []
            if not rows:
                idle.nothing_to_do()
                continue
            rng.shuffle(rows)
            took = False
            for row in rows[:TAKE_TRIES]:
                taken = client.call("POST", f"/api/tasks/{row['id']}/assign/", label="task-assign")
                if taken.ok:
                    took = True
                    check_inbox = not complete(row["id"])
                    break
                if taken.status == 0 or taken.status >= 500:
                    check_inbox = True  # it may have been taken all the same
            if took:
                idle.found_work()
            else:  # colleagues were quicker: look again a little later
                idle.nothing_to_do()
    except DeadlineExceeded:
        pass
    return result


class Crowd:
    """Callables running in threads at once; `join` collects what each returned (or raised)."""

    def __init__(self, targets: list) -> None:
        self.results: list = [None] * len(targets)
        self.threads = [
            threading.Thread(target=self._run, args=(i, t), daemon=True, name=f"client-{i}")
            for i, t in enumerate(targets)
        ]
        for t in self.threads:
            t.start()

    def _run(self, i, target) -> None:
        try:
            self.results[i] = target()
        except BaseException as exc:  # reported by join()
            self.results[i] = exc

    def join(self, timeout: float) -> list:
        """Wait at most `timeout` seconds for every thread; raise if one is still running."""
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self.threads if t.is_alive()]
        if alive:
            raise RuntimeError(f"client threads still running after {timeout:.0f} s: {alive}")
        return self.results


def cheapest_get(base_url: str) -> str:
    """The yardstick of a run: the cheapest GET the server answers with a 200. /health/ once
    the app has it; until then the public verification form (a template and no query),
    else the public catalogue."""
    for path in YARDSTICK_PATHS:
        if request(base_url, "GET", path, headers={"Accept-Language": "en"}).status == 200:
            return path
    raise RuntimeError(f"none of {YARDSTICK_PATHS} answers 200")


def burst(
    base_url: str,
    path: str,
    *,
    recorder: Recorder,
    label: str,
    threads: int,
    per_thread: int,
    token: str = "",
    timeout: float = 60,
) -> float:
    """`threads` clients each GET `path` `per_thread` times back to back; returns the wall
    time. The yardstick of a run: what the same server does for a cheap request."""
    deadline = time.monotonic() + timeout
    start = threading.Barrier(threads + 1)

    def client_loop():
        client = HttpClient(base_url, token=token, recorder=recorder, deadline=deadline)
        start.wait(timeout=30)
        for _ in range(per_thread):
            client.call("GET", path, label=label)

    clock: dict[str, float] = {}

    def timed():
        start.wait(timeout=30)
        clock["t0"] = time.perf_counter()

    results = Crowd([timed, *([client_loop] * threads)]).join(timeout + 30)
    elapsed = time.perf_counter() - clock["t0"]
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    return elapsed


# --- what the database must say afterwards ----------------------------------------------------


def application_problems(application) -> list[str]:
    """How an application disagrees with its viewflow process and its own records ([] if in no
    way): the status against the process and its tasks, one review per department, each
    review's decision against its task, the ledger and the clock. Reads the database."""
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from approvals.flows import SingleWindowFlow as Flow
    from approvals.models import ApplicationStatus as S
    from approvals.models import ClockInterval, Permit, ReviewDecision, Step, StepKind

    app = application
    problems: list[str] = []
    where = f"{app.reference} ({app.status})"
    tasks = list(Task.objects.filter(process_id=app.process_id)) if app.process_id else []
    finished = (STATUS.DONE, STATUS.CANCELED)

    def of(node):
        return [t for t in tasks if t.flow_task == node]

    def still_open(node):
        return [t for t in of(node) if t.status not in finished]

    if [t for t in tasks if t.status == STATUS.ERROR]:
        problems.append(f"{where}: a task of its process is in error")
    submissions = Step.objects.filter(application=app, kind=StepKind.SUBMISSION).count()
    open_clock = ClockInterval.objects.filter(application=app, ended_at__isnull=True).count()
    reviews = list(app.reviews.select_related("department", "task"))
    departments = app.service.service_departments.count()

    if app.status == S.DRAFT:
        if app.process_id or submissions or reviews:
            problems.append(f"{where}: a draft with a process, a submission or reviews")
        return problems
    if app.process_id is None:
        return [*problems, f"{where}: not a draft, yet no process"]
    process = Process.objects.get(pk=app.process_id)
    if submissions != 1:
        problems.append(f"{where}: {submissions} submission steps")
    if app.status == S.SUBMITTED:
        if process.status != PROCESS.NEW or len(still_open(Flow.accept)) != 1 or reviews:
            problems.append(
                f"{where}: process {process.status}, open acceptance tasks "
                f"{len(still_open(Flow.accept))}, reviews {len(reviews)}"
            )
    elif app.status in (S.ACCEPTED, S.IN_REVIEW):
        pending = [r for r in reviews if r.decision == ReviewDecision.PENDING]
        if process.status != PROCESS.NEW or len(reviews) != departments:
            problems.append(f"{where}: process {process.status}, {len(reviews)} reviews")
        if len(still_open(Flow.review)) != len(pending):
            problems.append(
                f"{where}: {len(pending)} pending reviews, "
                f"{len(still_open(Flow.review))} open review tasks"
            )
    elif app.status in (S.APPROVED, S.REJECTED):
        if process.status != PROCESS.DONE:
            problems.append(f"{where}: decided, yet its process is {process.status}")
        if len(reviews) != departments or any(
            r.decision == ReviewDecision.PENDING or r.decided_at is None for r in reviews
        ):
            problems.append(f"{where}: reviews undecided or missing")
        for node in (Flow.join_reviews, Flow.decide, Flow.end):
            done = [t for t in of(node) if t.status == STATUS.DONE]
            if len(of(node)) != 1 or len(done) != 1:
                problems.append(f"{where}: {len(of(node))} {node.name} tasks, {len(done)} done")
        permits = Permit.objects.filter(application=app).count()
        if permits != (1 if app.status == S.APPROVED else 0):
            problems.append(f"{where}: {permits} permits")
    for review in reviews:
        task = review.task
        decided = review.decision != ReviewDecision.PENDING
        if task is None or (task.status == STATUS.DONE) != decided:
            problems.append(
                f"{where}: review {review.department.code} {review.decision}, "
                f"task {task.status if task else None}"
            )
        steps = Step.objects.filter(task=task, finished_at__isnull=False).count() if task else 0
        if steps != (1 if decided else 0):
            problems.append(f"{where}: review {review.department.code} has {steps} finished steps")
    if open_clock != (1 if app.status in (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW) else 0):
        problems.append(f"{where}: {open_clock} open clock intervals")
    return problems
