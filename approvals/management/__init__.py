"""manage.py commands of the single window."""
