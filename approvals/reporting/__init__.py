"""The supervisor's approval-time report on the web: filters, page, CSV and PDF.

The figures themselves are computed in ``approvals.reports``.
"""
