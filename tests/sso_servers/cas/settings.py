"""Django settings of the test CAS server (django-cas-server, package
cas_server), run as its own process by tests/sso_cas_server.py: its own
SQLite file, its users and their attributes from the environment
(`C2I_TEST_CAS_USERS`, JSON), nothing fetched from the internet."""

import json
import os

SECRET_KEY = "test-cas-server-only"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
]
ROOT_URLCONF = "tests.sso_servers.cas.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["C2I_TEST_CAS_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LANGUAGE_CODE = "fr"
STATIC_URL = "/static/"
SESSION_COOKIE_NAME = "cas_sessionid"  # not the platform's cookie: both live on 127.0.0.1
CSRF_COOKIE_NAME = "cas_csrftoken"

CAS_AUTH_CLASS = "tests.sso_servers.cas.users.FixedUser"
CAS_USERS = json.loads(os.environ.get("C2I_TEST_CAS_USERS", "{}"))
CAS_NEW_VERSION_HTML_WARNING = False  # never ask PyPI
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
CAS_COMPONENT_URLS = {  # no CDN: the tests run without the internet
    "bootstrap3_css": "data:text/css,",
    "bootstrap3_js": "data:text/javascript,",
    "html5shiv": "data:text/javascript,",
    "respond": "data:text/javascript,",
    "bootstrap4_css": "data:text/css,",
    "bootstrap4_js": "data:text/javascript,",
    "jquery": "data:text/javascript,",
}
CAS_SLO_TIMEOUT = 5
CAS_TICKET_VALIDITY = 120
