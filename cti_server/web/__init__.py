"""The aiohttp application: REST, one WebSocket per client, and the wallboard page.

- ``app``: ``create_app`` / ``app_of`` (routes, middlewares, contexts that open and close what
  ``cti_server.bootstrap`` built); ``keys``: the typed application keys;
- ``auth``, ``tokens``, ``limiter``: log-in, signed revocable tokens, rate limits;
- ``ws`` and ``hub``: the WebSocket handler and the sockets by extension and role;
- ``rest_*``: the REST resources; ``payloads``, ``validate``: typed answers and bodies
  (``cti_server.protocol``); ``openapi``: the document generated from them; ``errors``: registry
  and domain errors mapped to ``{"error", "message", "details"}`` and a status;
- ``slots``: live slot changes to open booking forms; ``board_app``: the board's sockets and the
  wallboard page (``static/``).

May import the registry, aiohttp and the application services; never Qt or panoramisk.
"""
