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


def upload_limit_mb(home: str | None = None) -> int:
    """The largest ``max_file_mb`` of the home's sandboxes (Streamlit's ``server.maxUploadSize``; 50 by default)."""
    import math

    from aulac_rag.config import load_sandbox_config
    from aulac_rag.home import resolve_home
    from aulac_rag.sandbox import sandbox_folder, sandbox_names

    root = resolve_home(home)
    limits = []
    for name in sandbox_names(root):
        try:
            limits.append(load_sandbox_config(sandbox_folder(name, root) / "sandbox.yaml").max_file_mb)
        except Exception:  # noqa: BLE001 - a broken sandbox is reported by the app itself
            continue
    return max(1, math.ceil(max(limits, default=50)))


def streamlit_command(host: str, port: int, upload_mb: int) -> list[str]:
    """``streamlit run`` for the app: headless, no usage statistics, no developer menu ("Deploy", "Rerun"),
    uploads limited to the sandboxes' own file-size limit."""
    return [
        sys.executable, "-m", "streamlit", "run", app_script(),
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(upload_mb),
    ]  # fmt: skip


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
        command = streamlit_command(host, port, upload_limit_mb())
        typer.echo(f"Ứng dụng chat: http://{host}:{port}  (Ctrl+C để dừng)")
        try:
            code = subprocess.call(command, env=env)
        except KeyboardInterrupt:
            code = 0
        raise typer.Exit(code)
