"""Settings of the chaos site: PostgreSQL, DEBUG off, the package's defaults."""

import os

SECRET_KEY = "chaos-suite-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_aws_api_gateway_websockets",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.chaos.site.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("CHAOS_DB", "postgres"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
AWS_GATEWAY_REGION_NAME = "eu-west-1"
# Only the secret: origins, rate limits and the rest keep the package's defaults.
WEBSOCKETS = {"gateway_secret": os.environ.get("CHAOS_GATEWAY_SECRET", "")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # The gateway's event lines (one per connect, close, $disconnect): the
    # scenarios read them to know when the gateway is done with a connection.
    "loggers": {"django_aws_api_gateway_websockets.local_gateway": {"level": "INFO"}},
}
