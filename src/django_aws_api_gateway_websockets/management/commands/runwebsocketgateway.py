"""Serve an ApiGateway record through the local gateway until interrupted."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from ...local_gateway import LocalGateway, run
from ...local_gateway.cli import add_limit_arguments, limits_from_options
from ...local_gateway.events import LOGGER_NAME
from ...provisioning.export_local import (
    LocalGatewayError,
    attach_local_endpoint,
    choose_gateway,
    config_for_gateway,
    is_listening,
    restore_local_endpoint,
)


class Command(BaseCommand):
    help = (
        "Run a local API Gateway (WebSocket + Management API) for an ApiGateway record, "
        "forwarding to its target_base_endpoint. Stops on Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--api", type=int, help="pk of the ApiGateway record")
        parser.add_argument("--verbose", action="store_true", help="log message bodies too")
        parser.add_argument(
            "--authorizer",
            metavar="PATH_OR_URL",
            help="for a record with a Lambda authorizer: the function (dotted path) or URL "
            "that plays it (default: the shipped lambda_authorizer.handler)",
        )
        parser.add_argument(
            "--disconnect-drop-rate",
            type=fraction,
            default=0.0,
            metavar="FRACTION",
            help="fraction of $disconnect calls to skip, 0 to 1, to try out reconcile "
            "(default 0: none, as API Gateway's are usually delivered)",
        )
        add_limit_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            limits = limits_from_options(options)
        except ValueError as error:
            raise CommandError(str(error)) from error
        try:
            gateway = choose_gateway(options["api"])
            # First, so that the config carries the api id a blank record is given.
            previous = attach_local_endpoint(gateway, options["host"], options["port"])
            config = dataclasses.replace(
                config_for_gateway(
                    gateway, verbose=options["verbose"], authorizer=options["authorizer"]
                ),
                limits=limits,
                disconnect_drop_rate=options["disconnect_drop_rate"],
            )
        except LocalGatewayError as error:
            raise CommandError(str(error)) from error

        ours = gateway.api_endpoint
        if previous and previous != ours and is_listening(previous):
            self.stderr.write(
                f"Warning: {gateway.api_name!r} pointed at {previous}, where a gateway still "
                f"runs. Sends now go through {ours} and do not reach the connections open "
                f"through {previous}; the record points back at {previous} when this "
                "gateway stops."
            )
        show_event_lines()

        def ready(local: LocalGateway) -> None:
            self.stdout.write(
                f"Local gateway for {gateway.api_name!r} (api id {gateway.api_id})\n"
                f"  clients connect to   {gateway.client_url}\n"
                f"  integrations post to {gateway.target_base_endpoint}\n"
                f"  Management API at    {gateway.management_endpoint_url}\n"
                "Quit with CONTROL-C."
            )
            self.stdout.flush()

        try:
            run(config, options["host"], options["port"], on_ready=ready)
        finally:
            # The connection may have been idle for hours (the server may have
            # dropped it). Not inside a transaction: a test's would be lost.
            if not connection.in_atomic_block:
                close_old_connections()
            if restore_local_endpoint(gateway, ours, previous):
                self.stdout.write(f"{gateway.api_name!r} points at {previous} again.")


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1")
    return value


def show_event_lines() -> None:
    """Print the gateway's one line per event, unless LOGGING already routes them."""
    logger = logging.getLogger(LOGGER_NAME)
    if logger.hasHandlers():
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
