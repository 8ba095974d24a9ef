"""What the flow's nodes do: the ledger, the notifications, the decision and the permit.

``approvals.flows`` calls these; so do the services for the ledger and the
mails of their own steps. Nothing here imports the services or the flow.
"""
