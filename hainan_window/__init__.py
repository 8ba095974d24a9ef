"""The Django project of the single window: settings, URLs, WSGI/ASGI, Celery."""

from hainan_window.celery import app as celery_app

__all__ = ("celery_app",)
