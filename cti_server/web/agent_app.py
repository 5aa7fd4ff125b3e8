"""The web glue of the operators' own states (``cti_server.agent_state.AgentStates``, built by
``cti_server.bootstrap`` and handed the tracker's changes there): its cleanup context (close),
the ``AgentStatus`` a socket gets on connect, and ``SetAgentState``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.agent_state import AgentStates

AGENT_STATES = web.AppKey("agent_states", AgentStates)


async def agent_state_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: its after-call timers and pause requests end with the app."""
    yield
    await app[AGENT_STATES].close()


def on_connect(app: web.Application, client: Any, who: Any) -> None:
    """A socket of an operator with an extension gets their state at once."""
    states = app.get(AGENT_STATES)
    if states is not None and who.extension:
        client.offer(protocol.encode(states.status(who.extension)))


async def on_agent_message(app: web.Application, client: Any, who: Any, msg: Any) -> None:
    """``SetAgentState`` from the operator; a supervisor's ``PauseAgent`` is announced so the
    operator is told who paused them."""
    states = app.get(AGENT_STATES)
    if states is None:
        return
    if isinstance(msg, protocol.PauseAgent):
        states.expect(msg.interface, msg.paused, "supervisor", who.display_name or who.username)
        return
    error = await states.set_state(who, msg)
    if error is not None:
        client.offer(protocol.encode(error))
