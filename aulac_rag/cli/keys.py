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
    store = KeyStore()
    if role == "user" and sandbox != "*":
        _check_participants(store, sandbox)
    record, key = store.create(sandbox, role, label)
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


def _check_participants(store: KeyStore, sandbox: str) -> None:
    """A trial's participant cap holds for user keys (one key per participant)."""
    from aulac_rag.errors import ConfigError
    from aulac_rag.sandbox import Sandbox
    from aulac_rag.trial import trial_of

    plan = trial_of(Sandbox(sandbox)).plan
    if plan is None:
        return
    users = [k for k in store.list(sandbox) if k.role == "user" and k.sandbox == sandbox]
    if len(users) >= plan.participants_max:
        raise ConfigError(
            f"the trial of {sandbox!r} allows {plan.participants_max} participants and {len(users)} user keys exist; "
            "revoke one (aulac keys revoke KEY_ID) or raise participants_max in trial.yaml with the regulator's approval"
        )
