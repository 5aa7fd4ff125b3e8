"""The resident ledger and everything the project stores.

- ``models``, ``db``: SQLAlchemy 2.0 models, engines and Alembic migrations (``migrations/``).
- ``normalize/``: pure normalization (phones, names, wareki dates, barcode IDs).
- ``find/``: lookup by number and the in-memory name search.
- ``ledger/``: CSV import and export.
- ``seed/``: the synthetic city ledger.
- the stores, one module each: ``residents``, ``bookings``, ``venues``, ``mobility``, ``intents``,
  ``calls``, ``operators``, ``audit`` (with ``views``: the frozen values they return, and
  ``idempotency``); ``figures``: read-only counts for the supervisor board; ``cli``: the
  ``cti-registry`` command.

May import SQLAlchemy, phonenumbers, rapidfuzz, jntajis and the standard library; never the server,
the client, aiohttp, Qt or AMI (import-linter checks it).
"""
