"""The pure domain: live calls, queue members and queues as state machines over typed events.

- ``events``: the domain events the AMI bridge translates into (``CallQueued``, ``AgentRinging``,
  ``CallAnswered``, ``CallCompleted``, ``MemberState`` ...);
- ``tracker`` with ``handlers``, ``calls``, ``agents``, ``queues``: the one model of a live call,
  keyed by Linkedid; ``Tracker.apply`` returns ``changes`` (what changed, with the state before);
- ``resync``: rebuilding state from the PBX's list actions after a (re)connect;
- ``recovery``: the calls of a gap in the PBX link, from the PBX's queue log, as ended calls;
- ``figures`` and ``board/``: the day's queue figures and the supervisor board, computed;
- ``errors``: what the domain raises.

May import the standard library and ``cti_server.protocol`` only: no I/O, no AMI, no database.
"""
