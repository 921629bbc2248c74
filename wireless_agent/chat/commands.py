"""Slash commands of the chat: /help, /status, /users, /explain, /model, /reset, /save, /quit."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

from wireless_agent.chat import render
from wireless_agent.chat.questions import explain_text
from wireless_agent.chat.session import ChatSession
from wireless_agent.chat.tools import explain_decision

Handler = Callable[[ChatSession, Console, str], bool]


def _help(session: ChatSession, console: Console, arg: str) -> bool:
    render.help_table(console)
    return True


def _status(session: ChatSession, console: Console, arg: str) -> bool:
    render.status(console, session)
    return True


def _users(session: ChatSession, console: Console, arg: str) -> bool:
    render.users(console, session)
    return True


def _explain(session: ChatSession, console: Console, arg: str) -> bool:
    text = arg.strip().lstrip("#")
    if text and not text.isdigit():
        render.error(console, f"/explain takes a user number, not {arg.strip()!r}; e.g. /explain 3")
        return True
    data = explain_decision(session, int(text) if text else None)
    if "error" in data:
        render.error(console, data["error"])
    else:
        render.answer(console, explain_text(data))
    return True


def _model(session: ChatSession, console: Console, arg: str) -> bool:
    from wireless_agent.models import BackendError, ModelSpecError

    spec = arg.strip()
    if not spec:
        render.note(console, f"model: {session.model_label} (switch with /model offline, "
                    "ollama:MODEL or openai:MODEL)")
        return True
    try:
        session.switch_model(spec)
    except (ModelSpecError, BackendError) as exc:
        render.error(console, f"{exc}; still using {session.model}")
        return True
    render.note(console, f"model: {session.model_label}")
    return True


def _reset(session: ChatSession, console: Console, arg: str) -> bool:
    session.reset()
    render.note(console, f"new network: {session.network.scenario} scenario, room for "
                f"{session.network.slots} arrivals; memory and conversation kept")
    return True


def _save(session: ChatSession, console: Console, arg: str) -> bool:
    try:
        path = session.save(arg.strip() or None)
    except ValueError as exc:
        render.error(console, str(exc))
        return True
    render.note(console, f"session {session.name} is kept in {path} (every turn is written as "
                f"it happens); resume with --session {session.name}")
    return True


def _quit(session: ChatSession, console: Console, arg: str) -> bool:
    return False


COMMANDS: dict[str, Handler] = {
    "help": _help, "status": _status, "users": _users, "explain": _explain, "model": _model,
    "reset": _reset, "save": _save, "quit": _quit, "exit": _quit,
}


def run_command(line: str, session: ChatSession, console: Console) -> bool:
    """Run one slash command; False when the chat should end."""
    name, _, arg = line.strip().lstrip("/").partition(" ")
    handler = COMMANDS.get(name.lower())
    if handler is None:
        render.error(console, f"unknown command /{name}; /help lists them")
        return True
    return handler(session, console, arg)
