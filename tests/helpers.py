"""Shared helpers for tests anywhere in the suite."""

from __future__ import annotations

import subprocess
import sys


def fresh_python(program: str) -> str:
    """What ``program`` prints when run in a new interpreter.

    For what a process loads when it starts: the tests' own process has loaded
    everything already. A program that fails fails the test, with its error output.
    """
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
