"""A throwaway virtual environment with the published 4.1.0 release from PyPI.

Built once into the repository's .cache/ and reused; rebuilt when it is missing,
half-made or was built for other requirements. PyPI being unreachable is a
test failure, never a skip: the upgrade is only proven against the real release.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LEGACY_REQUIREMENTS = [
    "django-aws-api-gateway-websockets==4.1.0",
    # 4.1.0 supports Django 5.2, 6.0 and 6.1; 5.2 is the LTS.
    "Django>=5.2.18,<5.3",
    "psycopg[binary]>=3.1",
]
VENV = REPO / ".cache" / "upgrade-from-4.1.0"
STAMP = VENV / "requirements.txt"
INSTALL_TIMEOUT_SECONDS = 600


def python() -> Path:
    return VENV / "bin" / "python"


def clean_environment() -> dict[str, str]:
    """This process's environment without what would leak our code or tools into 4.1.0's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("COVERAGE_", "PYTHON", "DJANGO_", "VIRTUAL_ENV"))
    }


def ensure_legacy_env() -> Path:
    # The interpreter too: a venv made from another Python no longer runs.
    wanted = "\n".join([f"# {sys.version}", *LEGACY_REQUIREMENTS]) + "\n"
    if python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python()
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, env=clean_environment())
    install = subprocess.run(
        [str(python()), "-m", "pip", "install", "--quiet", *LEGACY_REQUIREMENTS],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    if install.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        pytest.fail(
            "Could not install django-aws-api-gateway-websockets 4.1.0 from PyPI for the "
            f"upgrade test (is PyPI reachable?):\n{install.stdout}\n{install.stderr}",
            pytrace=False,
        )
    # Written last: a stamp means the environment is complete.
    STAMP.write_text(wanted)
    return python()
