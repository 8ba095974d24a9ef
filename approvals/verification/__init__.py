"""Public permit verification: anyone holding a permit can check it."""
