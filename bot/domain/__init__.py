"""The domain: one owner module per table, the only place its SQL lives."""
