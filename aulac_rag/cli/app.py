"""``aulac app [--host 127.0.0.1 --port 8501] [--sandbox S]``: the Streamlit chat app and regulator console."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources

import typer

from aulac_rag.extras import require


def app_script() -> str:
    """Path of the installed app's entry script (``aulac_rag/ui/app.py``, ``ui/app.py`` in a checkout)."""
    return str(resources.files("aulac_rag.ui").joinpath("app.py"))


def register(app: typer.Typer) -> None:
    @app.command("app")
    def run_app(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
        port: int = typer.Option(8501, "--port", min=1, max=65535),
        sandbox: str | None = typer.Option(None, "--sandbox", help="Sandbox shown first (= AULAC_SANDBOX)."),
    ) -> None:
        """Open the Vietnamese chat app and the regulator console in the browser (needs the [ui] extra).

        Through an API server instead of this machine's AULAC_HOME: set AULAC_API_URL.
        """
        require("streamlit", "aulac app")
        env = dict(os.environ)
        if sandbox:
            env["AULAC_SANDBOX"] = sandbox
        command = [
            sys.executable, "-m", "streamlit", "run", app_script(),
            "--server.address", host, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        typer.echo(f"Ứng dụng chat: http://{host}:{port}  (Ctrl+C để dừng)")
        try:
            code = subprocess.call(command, env=env)
        except KeyboardInterrupt:
            code = 0
        raise typer.Exit(code)
