"""Dedup: strong keys, near-duplicate candidates, clusters, canonical choice, tables."""
