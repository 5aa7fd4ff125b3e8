"""Wiring of the operators' own states (``cti_server.agent_state``) into the aiohttp app: its
cleanup context, the ``AgentStatus`` a socket gets on connect, and ``SetAgentState``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.agent_state import AgentStates

AGENT_STATES = web.AppKey("agent_states", AgentStates)


async def agent_state_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: after the call service (its tracker) and the hub, before the bridge."""
    from cti_server.web.keys import BRIDGE, HUB, SERVICE, SETTINGS

    service, hub = app[SERVICE], app[HUB]
    states = AgentStates(
        app[SETTINGS], service.tracker, hub.send_to_extension, lambda: app.get(BRIDGE),
        connected=hub.has_extension,
    )  # fmt: skip
    app[AGENT_STATES] = states
    service.change_listeners.append(states.on_changes)
    yield
    service.change_listeners.remove(states.on_changes)
    await states.close()


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
