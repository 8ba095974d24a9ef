"""Official-facing screens (window clerk, department reviewers, supervisors)."""
