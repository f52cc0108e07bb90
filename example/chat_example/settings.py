"""Settings of the demo chat: SQLite, the local gateway, tokens and gateway secret on."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_aws_api_gateway_websockets",
    "django_tasks_db",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chat_example.urls"
WSGI_APPLICATION = "chat_example.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", BASE_DIR / "db.sqlite3"),
        # A transaction that reads before it writes (the cache's add) must not
        # fail with "database is locked" when two messages arrive at once:
        # IMMEDIATE takes the write lock at BEGIN, waiting up to the timeout.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
}
if os.environ.get("DEMO_POSTGRES_DB"):
    # The end-to-end tests run the example on PostgreSQL too.
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["DEMO_POSTGRES_DB"],
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
    }

# In the database, so that every Django process, and a restarted one, remembers
# which chat messages it has handled (see chat.sockets.handled_before).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "demo_cache",
    }
}

# Announcements are sent by background tasks (enqueue_message), stored in this
# database and run by `manage.py db_worker`, which scripts/demo starts.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "rooms"
LOGOUT_REDIRECT_URL = "login"

# The local gateway stands in for AWS: no region or credentials are needed
# because the ApiGateway record's api_endpoint points at it.
AWS_GATEWAY_REGION_NAME = "eu-west-1"

WEBSOCKETS = {
    # The local gateway adds this header to every request, as the real
    # gateway's integrations do once provisioned with the same secret.
    "gateway_secret": os.environ.get("DEMO_GATEWAY_SECRET", "demo-gateway-secret"),
    # The page may be opened as 127.0.0.1 or localhost; Django itself is reached
    # by the gateway as 127.0.0.1, so name both origins.
    "allowed_origins": [
        f"http://{host}:{os.environ.get('DEMO_HTTP_PORT', '8000')}"
        for host in ("127.0.0.1", "localhost")
    ],
    # /metrics (chat/metrics.py): the connection count is re-read every second,
    # so it moves as you open tabs (30 s by default: one query per interval).
    "telemetry_active_connections_cache_seconds": 1,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_aws_api_gateway_websockets": {"handlers": ["console"], "level": "INFO"}},
}
