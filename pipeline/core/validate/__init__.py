"""Validate: dataset invariants, the Great Expectations suites, their evidence."""
