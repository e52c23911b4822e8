"""Store: immutable versions, atomic IO, locking, provenance, diffs between versions."""
