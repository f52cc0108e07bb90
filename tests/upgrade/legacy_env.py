"""A throwaway virtual environment with the published 4.1.0 release from PyPI.

Built once per interpreter into the repository's .cache/ and reused; rebuilt
when it is missing, half-made or was built for other requirements. The test
lanes run side by side on two interpreters, so each has its own environment,
and a lock keeps two runs on one interpreter from building it at once. PyPI
being unreachable is a test failure, never a skip: the upgrade is only proven
against the real release.
"""

from __future__ import annotations

import fcntl
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
# A venv runs only on the interpreter that made it.
VENV = REPO / ".cache" / f"upgrade-from-4.1.0-py{sys.version_info[0]}.{sys.version_info[1]}"
STAMP = VENV / "requirements.txt"
LOCK = VENV.with_name(f"{VENV.name}.lock")
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
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return _ensure_legacy_env()


def _ensure_legacy_env() -> Path:
    # The interpreter's exact version too: a patch release changes its paths.
    wanted = "\n".join([f"# {sys.version}", *LEGACY_REQUIREMENTS]) + "\n"
    if python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python()
    shutil.rmtree(VENV, ignore_errors=True)
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
