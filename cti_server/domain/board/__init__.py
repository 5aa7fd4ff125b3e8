"""The supervisor board, computed: pure functions and state over the tracker and call records.

- ``records``: call records for the board's figures, from the database or the tracker, merged;
- ``today``: ``TodayRecords``, the current local day's records and their figures, recomputed
  only in part when a record changes;
- ``build``: ``build_board``, the whole board as the typed wire payload (``protocol.Board``),
  with the definition of every figure in Japanese and English.

May import the rest of ``cti_server.domain`` and ``cti_server.protocol`` (standard library
only); no I/O, no clock (times are handed in), no registry, no aiohttp.
"""
