"""The ledger's CSV pipeline: decode and map the header (``mapping``), validate rows (``rows``),
parse in chunks, in worker processes for large files (``chunks``, ``worker``), write in bulk
(``bulk``, keeping stored characters from 〓: ``geta``), all driven by ``importer``; and the CSV
export (``export``).

Imports ``registry.normalize``, ``registry.models`` and SQLAlchemy.
"""
