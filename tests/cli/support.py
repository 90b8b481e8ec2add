"""Run ``openai-kit`` as a subprocess: with a clean environment (no OPENAI_* variables, HOME in a temp
dir so no ~/.openai is found), on pipes or on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "COLUMNS"))}
    env.update(PYTHONPATH=SRC, HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def run_cli(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openai_kit.cli", *args],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(cwd),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def control_characters(text: str) -> list[str]:
    """Control characters other than newline and tab (escape sequences, carriage returns...)."""
    return sorted({repr(c) for c in text if (ord(c) < 32 and c not in "\n\t") or ord(c) == 127})


class Terminal:
    """``openai-kit`` on a pseudo-terminal (stdin, stdout and stderr), as a user at a terminal runs it."""

    def __init__(self, *args: str, cwd: Path, env: Mapping[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "openai_kit.cli", *args], dict(env))
        self.pid, self.fd = pid, fd
        self.output = b""
        self.seen = 0  # read_until looks for text after the previous match
        self.status: int | None = None

    def read_until(self, text: str, timeout: float = 30) -> str:
        """Wait for ``text`` to appear after what the previous call matched."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output[self.seen :]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{text!r} did not appear; output so far: {self.output.decode(errors='replace')!r}"
                )
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(
                        f"{text!r} did not appear before exit: {self.output.decode(errors='replace')!r}"
                    )
                self.output += chunk
        self.seen = self.output.index(text.encode(), self.seen) + len(text.encode())
        return self.output.decode(errors="replace")

    def write(self, data: str) -> None:
        os.write(self.fd, data.encode())

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                self.output += chunk
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError(f"did not exit; output: {self.output.decode(errors='replace')!r}")
