"""The Celery application: background work on workers, when a broker is configured.

Start a worker with ``celery -A hainan_window worker`` and the schedule
(timer sweep, rendering retries) with ``celery -A hainan_window beat``.
Without CELERY_BROKER_URL nothing here runs: see approvals.background.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hainan_window.settings")

app = Celery("hainan_window")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
