"""The command line in tests: in process through typer's runner (`run`), or through the
real entry point in a child process (`cli`: refusals printed by main(), exit codes)."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from annotator.cli import app

runner = CliRunner()


def run(*args, ok: bool = True, env: dict | None = None):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def cli(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, **(env or {})})  # fmt: skip
