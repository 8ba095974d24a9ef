"""What the single-window flow is built of, beside ``approvals.flows`` (which
keeps only ``SingleWindowFlow``, whose import path every process row stores):
its node types and lock (nodes), and the view each human task links to
(task_views)."""
