"""Ingest: raw files to raw records, with provenance; each file's output stored once."""
