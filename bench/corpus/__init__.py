"""The benchmark corpus generator, by concern; the entry point is bench.make_corpus."""
