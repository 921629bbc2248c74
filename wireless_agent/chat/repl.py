"""The chat loop: read a line, run it as a command, a question or a request, print, repeat."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console

from env.limits import cap_request, cut_note
from wireless_agent.chat import render
from wireless_agent.chat.assistant import answer_with_model
from wireless_agent.chat.commands import run_command
from wireless_agent.chat.network import NetworkFull
from wireless_agent.chat.questions import Route, answer_offline, route
from wireless_agent.chat.session import ChatOptions, ChatSession
from wireless_agent.models.errors import is_outage

PROMPT = "[bold cyan]>[/] "


def _ask(session: ChatSession, console: Console, line: str, r: Route) -> None:
    """Answer an operator question: with the model and its tools, else from the tools alone."""
    if session.backend is not None:
        streamed: list[str] = []

        def on_token(token: str) -> None:
            streamed.append(token)
            console.print(token, end="", markup=False, highlight=False, soft_wrap=True)

        spec = session.model
        got = answer_with_model(session, line, on_token)
        if streamed:
            console.print()
        if got.error is None and got.text is not None:
            if not streamed:
                render.answer(console, got.text)
            session.log_question(line, got.text, spec)
            return
        if is_outage(got.error):
            session.go_offline()
            render.error(console, f"model {spec} stopped answering ({got.error}); the chat goes "
                         "on offline, /model SPEC switches")
        else:
            render.error(console, f"model {spec} gave no answer ({got.error}); answering offline")
    text = answer_offline(session, r)
    render.answer(console, text)
    session.log_question(line, text, "offline")


def _request(session: ChatSession, console: Console, line: str) -> None:
    """Run a subscriber request through the agent graph and show its four stages."""
    spec = session.model
    try:
        rec = session.submit(line)
    except (NetworkFull, ValueError) as exc:
        render.error(console, str(exc))
        return
    render.decision(console, rec)
    if rec.get("went_offline"):
        render.error(console, f"model {spec} stopped answering ({rec['model_error']}); this "
                     "request was classified offline and the chat goes on offline, "
                     "/model SPEC switches")
    elif rec["model_error"] and rec["intent"]["source"] == "fallback":
        render.note(console, f"model {spec} gave no usable answer ({rec['model_error']}); "
                    "classified offline")


def handle(line: str, session: ChatSession, console: Console) -> bool:
    """One line of input; False when the chat should end."""
    line, cut = cap_request(line)
    if cut:  # before any prompt, the privacy filter included, sees the line
        render.note(console, cut_note("that line was too long", cut))
    if line.startswith("/"):
        return run_command(line, session, console)
    r = route(line)
    if r.question:
        _ask(session, console, line.lstrip("?").strip(), r)
    else:
        _request(session, console, line)
    return True


def _reader(console: Console, interactive: bool, stdin: TextIO) -> Callable[[], str]:
    """A function returning the next line, raising EOFError at the end of input."""
    if interactive and stdin is sys.stdin:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        return lambda: console.input(PROMPT)

    def read() -> str:
        if interactive:
            console.print(PROMPT, end="")
        line = stdin.readline()
        if not line:
            raise EOFError
        return line

    return read


def loop(session: ChatSession, console: Console, read: Callable[[], str],
         interactive: bool) -> None:
    """Read and handle lines until /quit or end of input; Ctrl-C only stops the current turn."""
    while True:
        try:
            line = read().strip()
        except EOFError:
            if interactive:
                console.print()
            return
        except KeyboardInterrupt:
            if not interactive:
                return
            console.print()
            render.note(console, "(Ctrl-D or /quit leaves)")
            continue
        if not line or line.startswith("# "):  # blank lines and script comments
            continue
        try:
            if not handle(line, session, console):
                return
        except KeyboardInterrupt:
            console.print()
            render.note(console, "interrupted")
            if session.resync():
                render.note(console, "the network was rebuilt from the session log")


def run_chat(options: ChatOptions, console: Console | None = None,
             stdin: TextIO | None = None, interactive: bool | None = None) -> None:
    """Open the session, greet, run the loop, and close the session however the loop ends."""
    stdin = stdin or sys.stdin
    # A pipe has no width to fit; 120 columns keep table rows whole in transcripts.
    console = console or Console(highlight=False,
                                 width=None if sys.stdout.isatty() else 120)
    if interactive is None:
        interactive = stdin.isatty() and console.is_terminal
    if interactive:
        with console.status("starting the agent…"):
            session = ChatSession(options)
    else:
        session = ChatSession(options)
    try:
        for text in session.notes:
            render.note(console, text)
        if interactive:
            render.welcome(console, session)
        else:
            net = session.network
            render.note(console, f"wireless-agent chat: {net.scenario} scenario, model "
                        f"{session.model_label}, room for {net.slots} arrivals")
        if session.mismatches:
            render.error(console, f"{session.mismatches} stored decision(s) came out differently "
                         "when replayed; the network shows what the environment allows now")
        render.history(console, session)
        loop(session, console, _reader(console, interactive, stdin), interactive)
    finally:
        session.close()
