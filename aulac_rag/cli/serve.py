"""``aulac serve [--host 127.0.0.1 --port 8000]``: the HTTP API with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from aulac_rag.extras import require


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for all)."),
        port: int = typer.Option(8000, "--port", min=1, max=65535),
        workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (rate limits are per process)."),
        open_mode: bool = typer.Option(
            False, "--open", help="No API keys needed (local demos only; = AULAC_API_OPEN=1)."
        ),
        rate_per_minute: float | None = typer.Option(None, "--rate-per-minute", min=0, help="Per-key rate (0: off)."),
        burst: int | None = typer.Option(None, "--burst", min=1, help="Per-key burst size."),
        max_upload_mb: float | None = typer.Option(None, "--max-upload-mb", min=1, help="Upload size limit."),
        log_level: str = typer.Option("info", "--log-level"),
    ) -> None:
        """Serve /v1/sandboxes, /v1/chat/completions and the OpenAPI docs at /docs."""
        uvicorn = require("uvicorn", "aulac serve")
        require("fastapi", "aulac serve")

        # Settings travel by environment so that every worker process reads the same ones.
        if open_mode:
            os.environ["AULAC_API_OPEN"] = "1"
        for env, value in (
            ("AULAC_API_RATE_PER_MINUTE", rate_per_minute),
            ("AULAC_API_RATE_BURST", burst),
            ("AULAC_API_MAX_UPLOAD_MB", max_upload_mb),
        ):
            if value is not None:
                os.environ[env] = str(value)
        _one_native_thread_per_request()
        from aulac_rag.errors import ConfigError
        from aulac_rag.home import resolve_home
        from aulac_rag.owner import ensure_unowned
        from aulac_rag.server.auth import is_loopback
        from aulac_rag.server.settings import ServerSettings

        settings = ServerSettings.from_env()  # fail here, in one line, on a bad setting
        if settings.open_mode and not is_loopback(host):
            raise ConfigError(
                f"open mode (no API keys) serves this machine only; --host {host} would open every sandbox "
                "to the network: use --host 127.0.0.1, or create keys with `aulac keys create` and drop --open"
            )
        home = resolve_home()
        os.environ["AULAC_HOME"] = str(home)
        ensure_unowned(home)
        if workers > 1 and _embedded_sandboxes(home):
            raise ConfigError(
                f"--workers {workers} needs every sandbox on a Qdrant server (index.engine: qdrant); the embedded "
                f"index of {', '.join(_embedded_sandboxes(home))} can be opened by one process only: use --workers 1"
            )
        os.environ["AULAC_API_WORKERS"] = str(workers)  # > 1: rate limits shared through SQLite
        # this server owns the home: the CLI and the chat app reach the indexes through it
        os.environ["AULAC_OWNER_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
        mode = (
            "OPEN MODE: no API key needed, loopback clients only (local demo; never expose this)"
            if settings.open_mode
            else "API keys required"
        )
        typer.echo(f"aulac API on http://{host}:{port} (docs: /docs) — {mode}", err=True)
        uvicorn.run(
            "aulac_rag.server.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            # under a burst the event loop can be busy for seconds: uvicorn's 5 s default then closes
            # a keep-alive connection just as its client reuses it (a client-side ReadError)
            timeout_keep_alive=KEEP_ALIVE_S,
        )


KEEP_ALIVE_S = 30


def _embedded_sandboxes(home: Path) -> list[str]:
    """Sandboxes of ``home`` whose index is the embedded engine (one process at a time)."""
    from aulac_rag.sandbox import Sandbox, sandbox_names

    return [name for name in sandbox_names(home) if not Sandbox(name, home=home).config.index.shared]


def _one_native_thread_per_request() -> None:
    """Requests are the parallelism: BLAS thread pools per request oversubscribe the CPUs.

    Measured on 2 cores under load: a query embedding took 175 ms with OpenBLAS's own
    threads and 35 ms with one. Env vars reach worker processes; threadpoolctl (when
    installed) limits the pools numpy already loaded in this process.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    from threadpoolctl import threadpool_limits  # installed with scikit-learn (core)
    threadpool_limits(int(os.environ["OPENBLAS_NUM_THREADS"]))
