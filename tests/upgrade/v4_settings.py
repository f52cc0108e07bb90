"""A minimal project on django-aws-api-gateway-websockets 4.1.0 (run by its own environment)."""

from database import SECRET_KEY, databases

DATABASES = databases()
SECRET_KEY = SECRET_KEY
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_aws_api_gateway_websockets",
]
ROOT_URLCONF = "v4_settings"
urlpatterns: list[object] = []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SILENCED_SYSTEM_CHECKS = ["django_aws_api_gateway_websockets.W001"]
