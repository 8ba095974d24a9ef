"""The commands: seed_demo, simulate, render_permits, approval_report,
background_sweep and the rest; each says what it does in its help."""
