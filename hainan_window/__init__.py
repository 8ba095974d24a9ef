"""The Django project of the single window: settings, URLs, WSGI/ASGI."""
