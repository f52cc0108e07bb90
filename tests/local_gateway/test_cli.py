"""``python -m django_aws_api_gateway_websockets.local_gateway``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from websockets.sync.client import ClientConnection

from django_aws_api_gateway_websockets.local_gateway.cli import build_parser, config_from_args, main

from .conftest import Backend, ws_connect

MODULE = "django_aws_api_gateway_websockets.local_gateway"


def parse(*argv: str) -> object:
    return config_from_args(build_parser().parse_args(argv))


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", MODULE, "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.startswith("usage: python -m " + MODULE)
    for option in ("--target", "--route", "--header", "--idle-timeout", "--verbose"):
        assert option in result.stdout


def test_target_gives_the_three_routes_and_defaults() -> None:
    config = config_from_args(build_parser().parse_args(["--target", "http://127.0.0.1:8000/ws/"]))
    assert dict(config.routes) == {
        "$connect": "http://127.0.0.1:8000/ws/connect",
        "$disconnect": "http://127.0.0.1:8000/ws/disconnect",
        "$default": "http://127.0.0.1:8000/ws/default",
    }
    assert config.api_id == "localgw"
    assert config.stage == "production"
    assert config.route_selection_expression == "$request.body.action"
    assert config.two_way_routes == {"$default"}
    assert config.static_headers == {}
    assert config.verbose is False
    assert config.limits.idle_timeout_seconds == 600


def test_every_option() -> None:
    config = config_from_args(
        build_parser().parse_args(
            [
                "--target",
                "http://backend/ws/",
                "--route",
                "$default=http://other/default",
                "--route",
                "chat=http://backend/ws/chat",
                "--route-selection-expression",
                "$request.body.handler",
                "--two-way-route",
                "chat",
                "--header",
                "X-Ws-Gateway-Secret: s: with colon ",
                "--header",
                "X-Other:1",
                "--api-id",
                "abc123",
                "--stage",
                "dev",
                "--max-message-bytes",
                "1000",
                "--max-frame-bytes",
                "100",
                "--idle-timeout",
                "1.5",
                "--max-connection-duration",
                "60",
                "--integration-timeout",
                "2",
                "--new-connections-per-second",
                "10",
                "--handshake-timeout",
                "2.5",
                "--max-pending-handshakes",
                "40",
                "--disconnect-drop-rate",
                "0.5",
                "--verbose",
            ]
        )
    )
    assert config.routes["$default"] == "http://other/default"
    assert config.routes["$connect"] == "http://backend/ws/connect"
    assert config.routes["chat"] == "http://backend/ws/chat"
    assert config.route_selection_expression == "$request.body.handler"
    assert config.two_way_routes == {"chat"}
    assert config.static_headers == {"X-Ws-Gateway-Secret": "s: with colon", "X-Other": "1"}
    assert (config.api_id, config.stage) == ("abc123", "dev")
    limits = config.limits
    assert (limits.max_message_bytes, limits.max_frame_bytes) == (1000, 100)
    assert (limits.idle_timeout_seconds, limits.max_connection_duration_seconds) == (1.5, 60)
    assert (limits.integration_timeout_seconds, limits.new_connections_per_second) == (2, 10)
    assert (limits.handshake_timeout_seconds, limits.max_pending_handshakes) == (2.5, 40)
    assert config.disconnect_drop_rate == 0.5
    assert config.verbose is True


def test_authorization_options() -> None:
    config = config_from_args(
        build_parser().parse_args(
            [
                "--target",
                "http://backend/ws/",
                "--authorizer",
                "myproject.auth.handler",
                "--identity-source",
                "route.request.header.Authorization",
                "--authorizer-context-key",
                "sub",
            ]
        )
    )
    signed = config_from_args(
        build_parser().parse_args(
            ["--target", "http://b/", "--iam-key", "AKID:s3cret", "--iam-region", "eu-west-1"]
        )
    )

    assert config.authorizer is not None
    assert config.authorizer.target == "myproject.auth.handler"
    assert config.authorizer.identity_sources == ("route.request.header.Authorization",)
    assert config.authorizer.context_keys == ("sub",)
    assert signed.iam is not None
    assert (dict(signed.iam.keys), signed.iam.region) == ({"AKID": "s3cret"}, "eu-west-1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --target, or at least one --route"),
        (["--target", "http://b/", "--iam-key", "AKID"], "--iam-key needs"),
        (
            ["--target", "http://b/", "--authorizer", "x.y", "--identity-source", "body.x"],
            "identity source",
        ),
        (["--route", "nourl"], "--route needs KEY=URL"),
        (["--target", "http://b/", "--header", "no colon"], "--header needs"),
        (["--target", "ftp://b/"], "must be http(s)"),
        (["--target", "http://b/", "--idle-timeout", "0"], "idle_timeout_seconds must be positive"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_cli_serves_until_interrupted(backend: Backend, free_port: int) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            MODULE,
            "--target",
            backend.url,
            "--port",
            str(free_port),
            "--header",
            "X-Ws-Gateway-Secret: from-cli",
            "--verbose",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        client = _connect_when_listening(f"ws://127.0.0.1:{free_port}/production")
        with client:
            client.send("through the cli")
            assert client.recv(timeout=5) == "default got through the cli"
        assert backend.wait_for("default")[0].headers["X-Ws-Gateway-Secret"] == "from-cli"
        backend.wait_for("disconnect")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "listening" in stderr
    assert "body='through the cli'" in stderr
    assert "stopped" in stderr


def _connect_when_listening(url: str) -> ClientConnection:
    deadline = time.monotonic() + 15
    while True:
        try:
            return ws_connect(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
