"""The CTI server: Asterisk AMI in, screen-pops, call records and the supervisor board out.

Rooms, from the top (the ``layers`` contract in pyproject checks the order):

- ``__main__`` (``cti-server``) and ``bootstrap``: the composition root builds every
  collaborator and hands each its dependencies; nothing else builds another's collaborators.
- ``web``: the aiohttp app (REST, WebSocket, hub, board wiring); it opens and closes what
  ``bootstrap`` built.
- ``service`` and ``board``, the application services. ``service``: the call pipeline: domain
  events into the tracker, its changes to the popper, the board and the call recorder;
  ``popper`` and ``recorder`` follow the tracker's changes; ``caller_id`` decides withheld / no
  number, ``caller_lookup`` asks the ledger, ``pop_view`` builds the wire pop, ``bus`` carries
  pops and slot changes between instances. ``board``: the supervisor board, kept current from
  the tracker's changes, today's call records and the bookings, pushed to its subscribers.
  ``metrics``: the Prometheus counters they count on.
- ``domain``: pure state (calls, agents, queues, figures, the board computed); no I/O.

Beside them: ``ami`` (the only code that knows panoramisk and AMI field names), ``sim`` (a PBX
simulator), ``protocol`` (the wire, shared with the client) and ``config``. Never Qt.
"""
