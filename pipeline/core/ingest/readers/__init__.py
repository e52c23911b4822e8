"""Readers: one per raw format, each turning a file's lines or bytes into records."""
