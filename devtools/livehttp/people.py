"""The people of the single window as scripts over the API, and crowds of them.

``investor_journey``, ``window_clerk`` and ``department_reviewer`` each keep
every step safe to repeat, so a request that failed can be tried again
without doubling anything. ``Crowd`` runs them in threads at once; ``burst``
and ``cheapest_get`` are a run's yardstick (what the same server does for a
cheap request).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from devtools.livehttp.client import DeadlineExceeded, HttpClient, Recorder, Response, request

# A tiny but real PDF, for the materials that must be uploaded.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
COMMITMENT = "本企业承诺所填住所真实有效 / We commit that the address is real."
TYPED = "由申请人填写 / filled by hand"
TAKE_TRIES = 3  # reviews a reviewer tries to take from one reading of the queue
YARDSTICK_PATHS = ("/health/", "/verify/", "/api/services/")


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
