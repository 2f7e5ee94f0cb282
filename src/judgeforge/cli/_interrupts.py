"""Ctrl-C and SIGTERM on any command: one line on stderr, exit 130 or 143, never a traceback.

SIGTERM is made to do what Ctrl-C does: its handler calls the SIGINT handler in place at that moment. Outside
an event loop that is Python's default (KeyboardInterrupt where the program is); inside ``asyncio.run`` it is
asyncio's, which cancels the main task, so that its ``finally`` blocks close the results file before
KeyboardInterrupt is raised. While uvicorn serves it installs its own handlers (a graceful shutdown), then
raises the signal again once it has stopped, which lands here.

A command says what an interruption leaves with ``set_defaults(interrupted="...")``: a sentence formatted
with the parsed options (``{output}``).
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
RESUMABLE = "interrupted: finished rows are saved in {output}; run the same command again to resume"


@dataclass
class Received:
    """The signal that stopped the command (Ctrl-C unless SIGTERM came)."""

    signal: signal.Signals = signal.SIGINT

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.signal]


@contextmanager
def sigterm_as_interrupt() -> Iterator[Received]:
    """Within the block, SIGTERM raises KeyboardInterrupt the way Ctrl-C does; the old handler comes back."""
    received = Received()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.signal = signal.SIGTERM
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
            return
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread (main() called from a worker): signals are not ours to set
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_message(args: argparse.Namespace) -> str:
    """The command's own sentence, else one naming its output (if it has one), else ``interrupted``."""
    template = getattr(args, "interrupted", None)
    output = getattr(args, "output", None)
    if template is None:
        if output is None or output == "-":
            return "interrupted"
        template = "interrupted: the output so far is in {output}; run the same command again to finish"
    return str(template).format(**vars(args))
