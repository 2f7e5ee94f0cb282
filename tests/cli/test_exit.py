"""Commands that leave without the interpreter's teardown still run atexit handlers and flush their output."""

from __future__ import annotations

import subprocess
import sys

LEAVE = """
import atexit, sys, threading
from judgeforge.cli._exit import leave_now
atexit.register(lambda: print("atexit ran"))
print("buffered line", end="")  # no newline: only a flush gets it out
sys.stderr.write("to stderr")
{before}
leave_now(3)
print(" / returned: normal exit")
"""


def _run(before: str = "") -> subprocess.CompletedProcess[str]:
    code = LEAVE.format(before=before)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_leaving_runs_atexit_handlers_flushes_and_keeps_the_exit_code() -> None:
    done = _run()
    assert done.returncode == 3
    assert done.stdout == "buffered lineatexit ran\n"
    assert done.stderr == "to stderr"


def test_with_another_thread_alive_the_normal_exit_runs() -> None:
    done = _run("import time; threading.Thread(target=time.sleep, args=(1,)).start()")
    assert done.returncode == 0
    assert done.stdout == "buffered line / returned: normal exit\natexit ran\n"


def test_a_plain_import_stays_light_and_still_reaches_names_and_submodules() -> None:
    code = (
        "import sys, judgeforge\n"
        "light = not any(m in sys.modules for m in ('torch', 'pydantic', 'judgeforge.records'))\n"
        "submodule = judgeforge.sampling.SamplingParams.__name__\n"  # before anything imported it
        "from judgeforge import Judge, Verdict\n"
        "print(light, submodule, judgeforge.records.Verdict is Verdict, 'Judge' in dir(judgeforge), Judge.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "SamplingParams", "True", "True", "Judge"], done.stderr


def test_the_command_line_starts_without_the_modules_only_some_commands_use() -> None:
    """Building the parser (every command's start) imports neither rich nor the package metadata."""
    code = (
        "import sys\n"
        "from judgeforge.cli.main import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('rich', 'importlib.metadata', 'torch') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
