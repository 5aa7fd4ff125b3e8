"""Finding residents: who is calling from a number (``lookup``, one indexed query) and whom the
caller names (``search``: the in-memory name index, its compact storage and its loader).

Imports ``registry.normalize``, ``registry.models`` and SQLAlchemy; never the stores that write.
"""
