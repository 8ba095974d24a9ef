"""The hand-written harness shared by the tests and the benchmarks, outside the product.

Not installed with the project (pyproject's packages.find leaves it out): run
from the repository root, as pytest and ``bench/*.py`` are. The servers are the
well-kept plugins' own (pytest-postgresql's and pytest-redis's executors);
what is here is only what they do not do.

* ``devtools.postgres`` (with ``devtools/pg_ctl``): a throwaway PostgreSQL
  server around a command (``python -m devtools.postgres -- CMD``), also as
  root, and stopping or starting it from that command (fault tests);
* ``devtools.redisserver``: a throwaway redis-server outside pytest, real
  Celery workers, this process's Celery app pointed at a broker;
* ``devtools.livehttp``: the app under gunicorn, and the people who use it
  over HTTP (load, fault and shared-limit tests; the HTTP benchmark);
* ``devtools.ports``: a free loopback port.
"""
