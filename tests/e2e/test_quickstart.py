"""docs/quickstart.md, followed as written on a fresh startproject.

The settings, the view, the URLconf, the shell command and the client's
exchange are read from the page; the steps run in its order, with free ports
instead of 8000 and 8001. The client is the ``websockets`` package's, as the
page's ``python -m websockets`` is, and like it sends no ``Origin``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from websockets.sync.client import connect

from .documented import named_files, on_ports, shell_block, shell_code
from .new_project import TIMEOUT_SECONDS, NewProject
from .stack import free_port

pytestmark = pytest.mark.e2e

QUICKSTART = (Path(__file__).resolve().parents[2] / "docs" / "quickstart.md").read_text()
# The interactive client's exchange: "> " what is typed, "< " what comes back.
TYPED = re.compile(r"^> (?P<line>.*)$", re.M)
SHOWN = re.compile(r"^< (?P<line>.*)$", re.M)


def test_the_quickstart_works_as_written(tmp_path: Path) -> None:
    http_port, ws_port = free_port(), free_port()
    files = named_files(QUICKSTART)
    assert set(files) == {"mysite/settings.py", "mysite/views.py", "mysite/urls.py"}
    project = NewProject(tmp_path)

    project.python("-m", "django", "startproject", "mysite", ".")
    with (tmp_path / "mysite/settings.py").open("a") as settings:
        settings.write("\n" + files.pop("mysite/settings.py"))
    project.python("manage.py", "migrate", "-v", "0")
    for path, code in files.items():
        (tmp_path / path).write_text(code)
    assert "System check identified no issues" in project.python("manage.py", "check")
    create_gateway = shell_code(QUICKSTART, "ApiGateway.objects.create")
    project.python("manage.py", "shell", "-c", on_ports(create_gateway, http_port, ws_port))

    exchange = shell_block(QUICKSTART, "python -m websockets")
    (url,) = re.findall(r"python -m websockets (\S+)", on_ports(exchange, http_port, ws_port))
    (typed,) = TYPED.findall(exchange)
    (shown,) = SHOWN.findall(exchange)
    try:
        project.serve("runserver", f"127.0.0.1:{http_port}", "--noreload", port=http_port)
        project.serve("runwebsocketgateway", "--port", str(ws_port), port=ws_port)
        with connect(url, open_timeout=TIMEOUT_SECONDS) as client:
            client.send(typed)
            assert client.recv(timeout=TIMEOUT_SECONDS) == shown
    finally:
        project.stop()
