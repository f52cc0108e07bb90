"""The test suite's settings on the database the 4.1.0 project made."""

from tests.settings import *  # noqa: F403
from tests.upgrade.database import SECRET_KEY as SECRET_KEY
from tests.upgrade.database import databases

DATABASES = databases()
