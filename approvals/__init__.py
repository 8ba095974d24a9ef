"""The single window's domain: catalogue, shared data, applications, the flow, the ledger."""
