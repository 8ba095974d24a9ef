"""Free loopback ports for the throwaway servers (PostgreSQL, Redis, gunicorn)."""

import socket


def free_port() -> int:
    """A port nobody listens on now. Another process could take it before a server
    binds it; that server then fails to start and says so (never silently using
    someone else's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
