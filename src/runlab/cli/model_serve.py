"""``runlab models serve``: score a saved model over HTTP with uvicorn."""

from __future__ import annotations

import functools
import inspect

import click

from runlab.cli._output import state

__all__ = ["serve"]


@click.command("serve")
@click.option(
    "-m",
    "--model-uri",
    required=True,
    metavar="URI",
    help="The model: a path, file://…, runs:/<run_id>/<path> or models:/<name>/<version>.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("-p", "--port", default=5001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "-w",
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Worker processes, each with its own copy of the model.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(model_uri: str, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve a model: POST /invocations, GET /ping, /health and /version.

    \b
    Example:
      runlab models serve -m runs:/<run_id>/model --port 5001
      curl -H 'Content-Type: application/json' -d @serving_input_example.json \\
           http://127.0.0.1:5001/invocations
    """
    import uvicorn

    from runlab.models.flavors.pyfunc import load_model
    from runlab.models.serving import create_scoring_app
    from runlab.models.uris import download_model

    cli_state = state()
    if cli_state.tracking_uri:
        import runlab

        runlab.set_tracking_uri(cli_state.tracking_uri)  # where runs:/ and models:/ resolve
    local = download_model(model_uri)  # once, here: the workers load the local copy
    model = load_model(local)  # fail now, with a clear error, rather than in each worker
    click.echo(f"Serving {model_uri} at http://{host}:{port}/invocations", err=True)
    if workers == 1:
        uvicorn.run(create_scoring_app(model), host=host, port=port, log_level=log_level)
        return
    from uvicorn.supervisors import Multiprocess

    # The factory and its argument reach the spawned workers through the pickled config.
    config = uvicorn.Config(
        functools.partial(create_scoring_app, local),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
    sock = config.bind_socket()
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn < 0.30
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()
