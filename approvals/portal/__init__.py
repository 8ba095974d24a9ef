"""Investor-facing pages: the service guide, accounts, applying, following an application."""
