"""One user's HTTP client of the API, and what every client saw.

``request`` is one request on a new connection (so a request that failed is
never confused with a stale keep-alive connection), transport failures as
status 0. ``HttpClient`` is one user with a token: it records every response
in a ``Recorder`` (status, error code, latency, when), retries what the API
says to retry (409 busy, 429 and 503 with ``Retry-After``) and, only when
asked (fault tests), server errors and lost connections. Every call is
bounded by a socket timeout, a retry count and the client's deadline.

Standard library only: the benchmark imports this before Django is set up.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

# Statuses a well-behaved client tries again after the time the server names.
RETRY_LATER = (409, 429, 503)
RETRY_AFTER_CAP_SECONDS = 2.0


class DeadlineExceeded(Exception):
    """The client's time is up: the script stops where it is."""


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
