"""Verification URLs (filled in by the permits work)."""

app_name = "verification"
urlpatterns: list = []
