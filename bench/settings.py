"""The project's settings plus the bench as a Django app, for bench_engine.py only.

viewflow names a flow by the installed app whose package holds it (the label
is stored in every process row), so the yardstick flow in bench/yardstick.py
needs ``bench`` installed. The product never loads this module: the yardstick
stays out of approvals/ and out of ``makemigrations --check``.
"""

from hainan_window.settings import *  # noqa: F403  (these settings, plus one app)
from hainan_window.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
