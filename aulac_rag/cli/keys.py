"""``aulac keys create|list|revoke``: API keys per sandbox and role, stored hashed."""

from __future__ import annotations

import json

import typer

from aulac_rag.keys import ROLES, KeyStore

keys_app = typer.Typer(help="API keys for `aulac serve` (roles: admin, regulator, user).", no_args_is_help=True)


@keys_app.command("create")
def create(
    sandbox: str = typer.Option(..., "--sandbox", help="Sandbox the key is for ('*' for all)."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    label: str = typer.Option("", "--label", help="A note to recognise the key by."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    record, key = KeyStore().create(sandbox, role, label)
    if as_json:
        print(json.dumps({**record.to_dict(), "key": key}, ensure_ascii=False))
        return
    print(key)
    typer.echo(
        f"key id {record.key_id} · sandbox {record.sandbox} · role {record.role} — store it now, it is not shown again",
        err=True,
    )


@keys_app.command("list")
def list_keys(
    sandbox: str | None = typer.Option(None, "--sandbox"),
    include_revoked: bool = typer.Option(False, "--all", help="Include revoked keys."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List keys (ids, sandboxes, roles; never the secrets)."""
    records = KeyStore().list(sandbox, include_revoked=include_revoked)
    if as_json:
        print(json.dumps([r.to_dict() for r in records], ensure_ascii=False))
        return
    for r in records:
        state = " (revoked)" if r.revoked_at else ""
        print(f"{r.key_id}  {r.sandbox:<16} {r.role:<10} {r.created_at}  {r.label}{state}")


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id shown by `aulac keys list`.")) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    record = KeyStore().revoke(key_id)
    print(f"revoked {record.key_id} ({record.sandbox}, {record.role})")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
