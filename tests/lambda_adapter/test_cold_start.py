"""A Lambda cold start: the handler module is imported before Django is set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .events import disconnect_event

ROOT = Path(__file__).resolve().parents[2]

# What a function configured with this module's handler does on its first event.
# The path is served by no URL, so Django answers without database tables.
SCRIPT = """
import json, sys
from django_aws_api_gateway_websockets.aws_lambda import make_lambda_handler
handler = make_lambda_handler(path_prefix="/nowhere/", host="testserver")
print(json.dumps(handler(json.loads(sys.argv[1]), None)))
"""


def test_the_first_event_sets_django_up() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    event = json.dumps(disconnect_event(connection_id="L0SM9cOFvHcCIhw="))

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, event],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 404
