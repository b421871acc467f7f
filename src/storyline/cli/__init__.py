"""`storyline` command line (Typer): the app, its error handling and its commands, which live in this package's
modules: run and demo, status, serve, db and export, eval, maintenance (consolidate, expire, replay, reextract),
worker, tools (extract, topics, schemas)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from storyline.cli import db, evaluation, maintenance, run, serve, status, tools, worker
from storyline.cli.common import fail, user_error


class _Commands(TyperGroup):
    """The top-level group: every command's user errors end here as one line on stderr (exit 2), so no command
    needs its own try/except; `--debug` (or STORYLINE_DEBUG=1) lets the traceback through instead."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (Typer vendors its own click)
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            # A bad option value (or a missing one) is a user error like any other: one line, not a usage block.
            where = getattr(getattr(exc, "ctx", None), "command_path", None) or ctx.command_path
            fail(f"{exc.format_message()} (see `{where} --help`)")
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            line = None if ctx.params.get("debug") else user_error(exc)
            if line is None:
                raise
            fail(line)


app = typer.Typer(cls=_Commands, no_args_is_help=True)
db_app = typer.Typer(help="Warehouse schema.", no_args_is_help=True)
export_app = typer.Typer(help="Export tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="STORYLINE_DEBUG", help="Show the traceback of an error, not one line.")
    ] = False,
) -> None:
    """Storyline: news feeds in, deduplicated and clustered stories out."""
    # `debug` is read where errors are handled (_Commands.invoke, from ctx.params).


# In the order `storyline --help` lists them.
for _name, _command in (
    ("run", run.run),
    ("demo", run.demo),
    ("status", status.status),
    ("serve", serve.serve),
    ("eval", evaluation.eval_cmd),
    ("extract", tools.extract),
    ("stories", db.stories),
    ("replay", maintenance.replay),
    ("reextract", maintenance.reextract),
    ("consolidate", maintenance.consolidate),
    ("expire", maintenance.expire),
    ("worker", worker.worker),
    ("topics", tools.topics),
    ("schemas", tools.schemas),
):
    app.command(_name)(_command)
db_app.command("upgrade")(db.db_upgrade)
db_app.command("url")(db.db_url)
db_app.command("grant-reader")(db.db_grant_reader)
export_app.command("assignments")(db.export_assignments)


def main() -> None:
    app()
