"""A synthetic city ledger for the demo, the tests and the benchmarks: ``city`` generates the
rows (deterministic by seed), ``load`` writes them into the database in bulk.
"""
