"""The `scalegate` command: wiring of the domain CLIs, and errors mapped to exit codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from scalegate import __version__
from scalegate.access.cli import tokens, users
from scalegate.assets.cli import asset_app
from scalegate.audit.cli import audit
from scalegate.cli_support import State, console, state
from scalegate.demo import DEMO_USER, build_demo, demo_sign_in
from scalegate.errors import ScalegateError
from scalegate.evaluations.cli import evaluations
from scalegate.evidence.cli import ingest, metrics_app
from scalegate.gates.cli import advance, gate, readiness, signoff, waive
from scalegate.manifests.cli import apply, export
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.outcomes.cli import outcomes
from scalegate.portfolio.cli import list_, rank, show
from scalegate.reviews.cli import review
from scalegate.risks.cli import risks
from scalegate.slo.cli import slo, slo_app
from scalegate.usage.cli import usage


class ScalegateGroup(TyperGroup):
    """The root command group: domain errors become a message and an exit code, in one place."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ScalegateError as error:
            # One plain line per problem, never wrapped, so editors and scripts can parse them.
            typer.echo(f"error: {error.message}", err=True)
            for problem in error.details:
                typer.echo(str(problem), err=True)
            ctx.exit(error.exit_code)


app = typer.Typer(
    cls=ScalegateGroup,
    help="scalegate: govern, measure and scale AI and digital initiatives.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("apply")(apply)
app.command("export")(export)
app.command("list")(list_)
app.command("show")(show)
app.command("rank")(rank)
app.add_typer(users, name="user")
app.add_typer(tokens, name="token")
app.add_typer(audit, name="audit")
app.add_typer(gate, name="gate")
app.add_typer(asset_app, name="asset")
metrics_app.command("outcomes")(outcomes)
metrics_app.command("usage")(usage)
metrics_app.command("slo")(slo)
metrics_app.command("evaluations")(evaluations)
app.add_typer(metrics_app, name="metrics")
app.add_typer(slo_app, name="slo")
app.command("ingest")(ingest)
app.command("advance")(advance)
app.command("signoff")(signoff)
app.command("waive")(waive)
app.command("readiness")(readiness)
app.command("risks")(risks)
app.command("review")(review)


DEFAULT_POLICIES = Path(__file__).parent / "policies"


@app.callback()
def root(
    ctx: typer.Context,
    act_as: str | None = typer.Option(
        None, "--as", help="Act as this registered user instead of local admin."
    ),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Every command works on the workspace in SCALEGATE_DATABASE_URL (default ./scalegate.db)."""
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    ctx.obj = State(act_as=act_as)
    if act_as is not None:
        ctx.obj.actor()  # an unknown --as user is an error for every command, reads included


@app.command()
def init(
    ctx: typer.Context,
    no_default_policies: bool = typer.Option(
        False, "--no-default-policies", help="Do not apply the default gates and decision rights."
    ),
) -> None:
    """Create the workspace, or upgrade its schema to this version."""
    sg = state(ctx)
    workspace = sg.workspace(initialised=False)
    before = workspace.revision()
    workspace.upgrade()
    url = workspace.engine.url.render_as_string(hide_password=True)
    if before is None:
        console.print(f"created workspace {url} (schema {workspace.revision()})")
        if not no_default_policies:
            # Only a new workspace gets the defaults: an upgrade must not undo local edits.
            result = apply_sources(
                workspace.sessions, read_sources([str(DEFAULT_POLICIES)]), sg.actor()
            )
            console.print(f"applied {result.totals()['created']} default policy objects")
    elif before != workspace.revision():
        console.print(f"upgraded workspace {url} from {before} to {workspace.revision()}")
    else:
        console.print(f"workspace {url} is up to date (schema {before})")


@app.command()
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Serve the web UI and REST API for the workspace."""
    import uvicorn

    from scalegate.app import create_app

    sg = state(ctx)
    sg.workspace()  # fail early, with the CLI's message, on an uninitialised workspace
    settings = sg.settings
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(
        f"serving {settings.database_url} at http://{bind_host}:{bind_port} (Ctrl+C stops)"
    )
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_level="warning")


@app.command()
def demo(
    ctx: typer.Context,
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the demo workspace and exit."),
    host: str | None = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Create a demo workspace holding a realistic portfolio and serve it."""
    sg = state(ctx)
    ctx.invoke(init, ctx, no_default_policies=False)
    now = datetime.now(UTC)
    for line in build_demo(sg.workspace().sessions, sg.actor(), now.date(), now):
        console.print(line, markup=False)
    issued = demo_sign_in(sg.workspace().sessions, sg.actor())
    site = f"http://{host or sg.settings.host}:{port or sg.settings.port}"
    # Plain echo: a wrapped line would break the token in two.
    if issued is not None:
        typer.echo(f"sign in at {site}/login with email {DEMO_USER} and token {issued.token}")
        typer.echo("the token is shown only this once; the same token works for the API:")
        typer.echo(f'  curl -H "Authorization: Bearer {issued.token}" {site}/api/v1/risks')
    else:
        typer.echo(
            f"sign in at {site}/login as {DEMO_USER} with the token printed when this demo was "
            f"first built, or a new one from: scalegate token create {DEMO_USER}"
        )
    if not no_serve:
        ctx.invoke(serve, ctx, host=host, port=port)


def main() -> None:
    """Entry point of the `scalegate` command."""
    app()


if __name__ == "__main__":
    main()
