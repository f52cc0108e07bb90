"""docs/tokens.md's log filter keeps ws_token out of runserver's access log.

The filter module and the ``LOGGING`` setting are read from the page (the
blocks marked ``<!-- example: NAME -->``) into a fresh startproject, whose
``runserver`` then serves a $connect-shaped request with a token in its URL.
"""

from __future__ import annotations

import re
import secrets
import textwrap
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .new_project import TIMEOUT_SECONDS, NewProject
from .stack import free_port

pytestmark = pytest.mark.e2e

TOKENS = (Path(__file__).resolve().parents[2] / "docs" / "tokens.md").read_text()
# In a list item: the marker and its block are indented alike.
EXAMPLE = re.compile(
    r"^(?P<indent> *)<!-- example: (?P<name>[^>]+?) -->\n"
    r"(?P=indent)```\w*\n(?P<code>.*?)^(?P=indent)```",
    re.S | re.M,
)


def tokens_examples() -> dict[str, str]:
    return {m["name"]: textwrap.dedent(m["code"]) for m in EXAMPLE.finditer(TOKENS)}


def post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except urllib.error.HTTPError as refused:  # no view there, or no CSRF token: still logged
        refused.close()


@pytest.mark.parametrize("filtered", [False, True])
def test_runserver_logs_the_connect_line_with_the_token_masked(
    tmp_path: Path, filtered: bool
) -> None:
    examples = tokens_examples()
    assert sorted(examples) == ["mysite/log_filters.py", "mysite/settings.py LOGGING"]
    project = NewProject(tmp_path)
    project.python("-m", "django", "startproject", "mysite", ".")
    if filtered:
        (tmp_path / "mysite/log_filters.py").write_text(examples["mysite/log_filters.py"])
        with (tmp_path / "mysite/settings.py").open("a") as settings:
            settings.write("\n" + examples["mysite/settings.py LOGGING"])
    port = free_port()
    token = secrets.token_hex(32)

    project.serve("runserver", f"127.0.0.1:{port}", "--noreload", port=port)
    (server,) = project.servers
    assert server.stdout is not None
    # runserver logs the request after answering it: read up to that line.
    give_up = threading.Timer(TIMEOUT_SECONDS, server.kill)
    give_up.start()
    logged = ""
    try:
        post(f"http://127.0.0.1:{port}/ws/connect?channel=lobby&ws_token={token}")
        for line in server.stdout:
            logged += line
            if "POST /ws/connect" in line:
                break
    finally:
        give_up.cancel()
        project.stop()

    line = "POST /ws/connect?channel=lobby&ws_token={} HTTP/1.1"
    if filtered:
        assert line.format("***") in logged, logged
        assert token not in logged
    else:  # what the page warns about
        assert line.format(token) in logged, logged
