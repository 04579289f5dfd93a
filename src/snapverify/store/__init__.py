"""Store layer: everything snapverify writes to disk."""
