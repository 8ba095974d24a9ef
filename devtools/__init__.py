"""The hand-written harness shared by the tests and the benchmarks, outside the product.

Not installed with the project (pyproject's packages.find leaves it out): run
from the repository root, as pytest and ``bench/*.py`` are.

* ``devtools.postgres``: a throwaway PostgreSQL server around a command
  (``python -m devtools.postgres -- CMD``), and stopping or starting it from
  that command (fault tests);
* ``devtools.redisserver``: a throwaway redis-server, real Celery workers;
* ``devtools.livehttp``: the app under gunicorn, and the people who use it
  over HTTP (load, fault and shared-limit tests; the HTTP benchmark).
"""
