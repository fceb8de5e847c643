"""The built-in agent's tools: list, read and write files inside the working copy, and run a
command there with a time limit.

The agent runs in the sandbox, so its walls hold whatever a tool does; the tools hold a tighter
line of their own: a path that leads out of the working copy (``..``, an absolute path, a
symbolic link pointing out) is refused, and a command ends, with every process it started, at
its time limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

READ_LIMIT = 100_000  # characters of a file given to the model
OUTPUT_LIMIT = 20_000  # characters of a command's output given to the model
LIST_LIMIT = 2_000  # entries of a listing
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 600.0
LINGER = 5.0  # seconds to collect a timed-out command's output once its processes are ended
SKIPPED_FOLDERS = {".git", "__pycache__", ".pytest_cache", ".venv", "node_modules"}

DEFINITIONS: list[dict[str, Any]] = [
    {
        "name": "list_files",
        "description": "List the files under a folder of the working copy, recursively.",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "default: ."}},
        },
    },
    {
        "name": "read_file",
        "description": "Read a text file of the working copy.",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
    },
    {
        "name": "write_file",
        "description": "Write a text file of the working copy (its folders are created).",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    },
    {
        "name": "run_command",
        "description": "Run a shell command in the working copy, with a time limit; returns "
        "its exit status and output.",
        "input_schema": {
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "timeout_seconds": {
                    "type": "number",
                    "description": f"default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g}",
                },
            },
            "required": ["command"],
        },
    },
]


class ToolError(Exception):
    """A tool call that cannot be done: its message goes back to the model as the result."""


@dataclass(frozen=True)
class Outcome:
    text: str  # the result the model gets
    summary: str  # the line the round's log gets


class Tools:
    """The tools acting on ``root`` (the working copy); ``env`` is what commands get."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = Path(os.path.realpath(root))
        self.env = dict(env)
        self._handlers: dict[str, Callable[[dict[str, Any]], Outcome]] = {
            "list_files": self.list_files,
            "read_file": self.read_file,
            "write_file": self.write_file,
            "run_command": self.run_command,
        }

    def call(self, name: str, arguments: dict[str, Any]) -> Outcome:
        """Run one tool call; a ``ToolError`` for a bad call, or a tool that does not exist."""
        handler = self._handlers.get(name)
        if handler is None:
            raise ToolError(f"no tool named {name!r}")
        if not isinstance(arguments, dict):
            raise ToolError("the tool's input must be an object")
        return handler(arguments)

    def inside(self, path: object) -> Path:
        """``path`` (relative to the working copy) resolved, symbolic links followed; a
        ``ToolError`` unless it stays inside the working copy."""
        if not isinstance(path, str) or not path or "\0" in path:
            raise ToolError("give a path inside the working copy")
        resolved = Path(os.path.realpath(self.root / path))
        if resolved != self.root and self.root not in resolved.parents:
            raise ToolError(f"{path}: outside the working copy")
        return resolved

    def _name(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() or "."

    def list_files(self, arguments: dict[str, Any]) -> Outcome:
        folder = self.inside(arguments.get("path") or ".")
        if not folder.is_dir():
            raise ToolError(f"{arguments.get('path')}: not a folder")
        found: list[str] = []
        for current, folders, files in os.walk(folder):
            folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
            found += [self._name(Path(current, name)) for name in sorted(files)]
            if len(found) > LIST_LIMIT:
                break
        shown = found[:LIST_LIMIT]
        more = [f"... and more ({len(found) - LIST_LIMIT}+)"] if len(found) > LIST_LIMIT else []
        text = "\n".join(shown + more) or "(no files)"
        return Outcome(text, f"list_files {self._name(folder)}: {len(shown)} file(s)")

    def read_file(self, arguments: dict[str, Any]) -> Outcome:
        path = self.inside(arguments.get("path"))
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise ToolError(f"{arguments.get('path')}: {exc.strerror}") from None
        cut = text[:READ_LIMIT]
        if len(text) > READ_LIMIT:
            cut += f"\n[... {len(text) - READ_LIMIT} more characters]"
        return Outcome(cut, f"read_file {self._name(path)} ({len(text)} characters)")

    def write_file(self, arguments: dict[str, Any]) -> Outcome:
        path = self.inside(arguments.get("path"))
        content = arguments.get("content")
        if not isinstance(content, str):
            raise ToolError("write_file needs the content as text")
        if path == self.root:
            raise ToolError("give a file's path")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.inside(str(path.parent.relative_to(self.root)))  # still inside once made
            path.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise ToolError(f"{arguments.get('path')}: {exc.strerror}") from None
        return Outcome(
            f"wrote {len(content)} characters to {self._name(path)}",
            f"write_file {self._name(path)} ({len(content)} characters)",
        )

    def run_command(self, arguments: dict[str, Any]) -> Outcome:
        command = arguments.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("run_command needs a command")
        try:
            timeout = min(float(arguments.get("timeout_seconds") or DEFAULT_TIMEOUT), MAX_TIMEOUT)
        except (TypeError, ValueError):
            raise ToolError("timeout_seconds must be a number") from None
        started = time.monotonic()
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the time limit ends what it started too
        )
        timed_out = False
        try:
            output, _ = process.communicate(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            timed_out = True
        # Whatever it left running (a server in the background) ends with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if timed_out:
            try:
                output, _ = process.communicate(timeout=LINGER)
            except subprocess.TimeoutExpired:  # a process of another session holds the pipe
                process.kill()
                assert process.stdout is not None
                process.stdout.close()
                process.wait()
                output = b""
        seconds = time.monotonic() - started
        text = output.decode("utf-8", errors="replace")
        if len(text) > OUTPUT_LIMIT:
            text = f"[... {len(text) - OUTPUT_LIMIT} characters cut]\n" + text[-OUTPUT_LIMIT:]
        status = f"timed out after {timeout:g} s" if timed_out else f"exit {process.returncode}"
        return Outcome(f"{status}\n{text}", f"run_command {command!r}: {status}, {seconds:.1f} s")
