"""Designated appointments (集団接種方式): every resident who wants the vaccination is given a date,
time and venue.

``solver`` (pure: the rules and the greedy that follows them), ``load`` (the input read from the
ledger), ``report`` (the figures told before writing), ``run`` (plan, and write in bulk),
``changes`` (the call center's "cannot come that day", the next resident waiting for a seat),
``commands`` (``cti-registry assign``). Imports SQLAlchemy and the registry's stores only.
"""
