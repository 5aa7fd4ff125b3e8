"""``cti-sim``: a PBX simulator that speaks real AMI over TCP, checked against the recorded
Asterisk 22 streams in tests/fixtures/ami.

- ``server``: the AMI listener (login, actions, event stream, faults on demand);
- ``callflow``: calls through a queue as Asterisk emits them; ``actions``: the answers to
  list actions (CoreShowChannels, QueueStatus, QueueSummary), QueuePause and the rest;
- ``wire``: AMI message formatting in Asterisk's key order.

Standard library only.
"""
