"""The PBX bridge: the only package that knows Asterisk AMI and panoramisk.

- ``bridge``: ``AmiBridge`` (one supervised AMI session: login, resync, keep-alive, reconnect,
  actions such as ``queue_pause``) and ``AmiSettings``; the domain events go to a callback.
- ``connection``: the protocol of one TCP connection (panoramisk's action layer, our framing).
- ``settings``: ``AmiSettings``, the bridge states, the reconnect backoff.
- ``errors``: the hierarchy of what the bridge raises.
- ``frames``: the pure incremental frame parser; ``translate``: AMI messages -> domain events.
- ``queue_log``: Asterisk's queue log read back for a time window (the calls of a gap in the
  link), as ``QueueCallLogged``.

May import: panoramisk, ``cti_server.domain`` (events only), the standard library. Nothing is
done at import time.
"""
