"""`storyline serve`: the read API and the story pages (and the demo site, when the data folder holds one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storyline.cli.common import SERVE_PORT, load_settings, out


def serve(
    data_dir: Annotated[Path | None, typer.Option()] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the read API and story pages.")] = SERVE_PORT,
    site_port: Annotated[
        int, typer.Option(help="When DATA_DIR holds a demo site (DATA_DIR/site), serve it here so citations resolve.")
    ] = 8766,
) -> None:
    """Serve the read API (/api/..., schema at /openapi.json) and the story pages (/, /stories/ID)."""
    import contextlib

    import uvicorn

    from storyline.bootstrap import build_api, build_static_site, open_warehouse

    settings = load_settings(data_dir)
    if settings.api_database_url is None:
        open_warehouse(settings).engine.dispose()  # the pages of no warehouse would be errors: say so now
    api = build_api(settings)
    site_dir = settings.data_dir / "site"
    with contextlib.ExitStack() as stack:
        if (site_dir / "sources.json").exists():
            site = stack.enter_context(build_static_site(site_dir, site_port))
            out.print(f"demo site: {site.base_url}/", soft_wrap=True)
        out.print(
            f"story pages: http://{host}:{port}/  ·  API schema: http://{host}:{port}/openapi.json", soft_wrap=True
        )
        try:
            uvicorn.run(api.app, host=host, port=port, log_level="warning")
        finally:
            api.close()
