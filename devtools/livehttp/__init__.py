"""The app under gunicorn on 127.0.0.1, and the people who use it over HTTP.

For the load, fault and shared-limit tests (``tests/test_load.py``,
``tests/test_faults.py``, ``tests/test_shared_limits.py``) and the HTTP
benchmark (``bench/bench_http.py``), which use it as ``live.<name>``:

* ``server``: ``GunicornServer``, the production server against a database
  the caller names;
* ``client``: one request, one user's retrying client, what every client saw;
* ``people``: the investor, the window clerk and the department reviewer as
  scripts over the API, and crowds of them;
* ``checks``: what the database must say afterwards.

Importing it needs no Django set-up (the benchmark imports it first).
"""

from devtools.livehttp.checks import application_problems
from devtools.livehttp.client import (
    RETRY_LATER,
    DeadlineExceeded,
    Figures,
    HttpClient,
    Recorder,
    Response,
    Sample,
    error_shape_problem,
    figures,
    percentile,
    request,
    status_table,
)
from devtools.livehttp.people import (
    COMMITMENT,
    PDF,
    TYPED,
    Crowd,
    JourneyResult,
    OfficialResult,
    burst,
    cheapest_get,
    department_reviewer,
    investor_journey,
    typed_value,
    window_clerk,
)
from devtools.livehttp.server import GunicornServer, database_url, signing_key_pem

__all__ = [
    "COMMITMENT",
    "PDF",
    "RETRY_LATER",
    "TYPED",
    "Crowd",
    "DeadlineExceeded",
    "Figures",
    "GunicornServer",
    "HttpClient",
    "JourneyResult",
    "OfficialResult",
    "Recorder",
    "Response",
    "Sample",
    "application_problems",
    "burst",
    "cheapest_get",
    "database_url",
    "department_reviewer",
    "error_shape_problem",
    "figures",
    "investor_journey",
    "percentile",
    "request",
    "signing_key_pem",
    "status_table",
    "typed_value",
    "window_clerk",
]
