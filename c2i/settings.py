"""Settings of the C2i platform.

Everything that differs between a developer's machine and production comes
from the environment (see README, "Configuration").
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("C2I_DEBUG", True)
SECRET_KEY = os.environ.get("C2I_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("C2I_SECRET_KEY must be set when C2I_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("C2I_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
SITE_URL = os.environ.get("C2I_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dsfr",  # before django.forms: its widget templates must win (TemplatesSetting renderer)
    "django.forms",
    "widget_tweaks",
    "ninja",  # the API documentation's Swagger UI from its own static files, not a CDN
    "django_tasks",
    "c2i.admin_labels.TasksConfig",  # django_tasks_db, with French names in the admin
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "c2i.accounts",
    "c2i.frameworks",
    "c2i.institutions",
    "c2i.enrolment",
    "c2i.portfolio",
    "c2i.deliberation",
    "c2i.assessment",
    "c2i.credentials",
    "c2i.privacy",
    "c2i.notifications",
    "c2i.sso",  # institution single sign-on: CAS 3.0 and SAML 2 (issue 14)
    "djangosaml2",
    "c2i.api",  # the API's tokens per institution
    "c2i.statistics",  # national figures (issue 15)
    "c2i.demo",  # the demonstration data's commands (load_demo), on top of every app
]

MIDDLEWARE = [
    "c2i.lib.observability.RequestContext",  # first: a request id for every log line, the whole request timed
    "c2i.error_views.MethodNotAllowedPage",  # first: a page's 405, wherever it comes from, says something
    "django.middleware.security.SecurityMiddleware",
    "c2i.lib.security.SecurityHeaders",
    "c2i.lib.database.JsonWhenDatabaseDown",
    "c2i.assessment.middleware.AnswerFastPath",
    "c2i.assessment.middleware.StatusFastPath",  # the sitting's status, polled by every candidate's page
    "c2i.assessment.middleware.InvigilationListFastPath",  # the invigilator's live list, most refreshes
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "djangosaml2.middleware.SamlSessionMiddleware",  # SAML's own cookie (SAML_SESSION_COOKIE_*)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "c2i.sso.middleware.SingleLogout",  # signing out after an institution sign-in signs out there too
    "c2i.accounts.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "c2i.urls"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "c2i.accounts.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "c2i.wsgi.application"

# "transaction" when PostgreSQL is reached through a pooler in transaction mode.
C2I_DB_POOLER = os.environ.get("C2I_DB_POOLER", "")
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("C2I_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background worker write while pages are served. A
    # transaction takes the write lock when it begins (IMMEDIATE): one that
    # read first could not wait for it once another writer had committed
    # (SQLite's busy timeout does not cover that case: « database is locked »).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's cursors bind on the client and never prepare; the one statement
    # that binds on the server, an exam answer's update, is prepared after its
    # fifth run on a connection. 0 (or empty) turns preparing off, for a
    # transaction-mode pooler that does not support it (pgbouncer < 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(os.environ.get("C2I_DB_PREPARE_THRESHOLD") or "0") or None
        if "C2I_DB_PREPARE_THRESHOLD" in os.environ
        else 5
    )
    # Behind a pooler in transaction mode (PgBouncer, docs/operations.md): a
    # server connection is the client's only for one transaction, so nothing
    # may outlive it: no prepared statement (pgbouncer < 1.21 does not follow
    # them) and no server-side cursor outside a transaction (Django's
    # documentation, « Transaction pooling and server-side cursors »).
    if C2I_DB_POOLER == "transaction":
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# Shared by every web process without another server: the verification rate
# limit counts across workers (`manage.py createcachetable`, run by `make run`).
CACHES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": os.environ.get("C2I_CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"),
        "LOCATION": os.environ.get("C2I_CACHE_LOCATION", "c2i_cache"),
    }
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Past MAX_ENTRIES (300 by default) Django deletes a third of the table:
    # a burst of made-up usernames would then wipe the login throttle's counters.
    CACHES["default"]["OPTIONS"] = {"MAX_ENTRIES": int(os.environ.get("C2I_CACHE_MAX_ENTRIES", "100000"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"
# Passwords, and the sessions institution sign-ins open (c2i/sso: CAS, SAML).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "c2i.sso.backends.InstitutionBackend",
]
# CAS 3.0 (c2i/sso/cas.py): seconds allowed to an institution's CAS server to
# validate a ticket; its HTTPS certificate checked (off only for test servers).
C2I_CAS_TIMEOUT = float(os.environ.get("C2I_CAS_TIMEOUT", "10"))
C2I_CAS_VERIFY_CERTIFICATES = env_bool("C2I_CAS_VERIFY_CERTIFICATES", True)

if env_bool("C2I_TEST_FAST_HASHER", False):
    # Browser tests' server only: demo accounts log in without PBKDF2's cost.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
# French only: no LocaleMiddleware, every page is French whatever the browser asks (docs/architecture.md).
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("C2I_STATIC_ROOT", BASE_DIR / "var" / "static"))  # filled by collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence never lives under the static root: it is served by a view
# that checks access (see portfolio).
MEDIA_ROOT = Path(os.environ.get("C2I_MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Several application servers share their files through an S3-compatible
# object store (issue 16, docs/operations.md « Object storage »): C2I_STORAGE=s3.
# Portfolio files, documents (PDF) and question images then live in the
# bucket, under C2I_S3_PREFIX (minutes and exports are made per request); nothing there is public (no ACL is set, the
# bucket stays private): the access-checked views stream each file, and the
# signed URLs the backend can make expire after C2I_S3_URL_SECONDS.
C2I_STORAGE = os.environ.get("C2I_STORAGE", "local")
if C2I_STORAGE == "s3":
    if not os.environ.get("C2I_S3_BUCKET"):
        raise RuntimeError("C2I_STORAGE=s3 needs C2I_S3_BUCKET, the name of the (private) bucket")
    from botocore.config import Config as S3ClientConfig

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["C2I_S3_BUCKET"],
            "location": os.environ.get("C2I_S3_PREFIX", ""),
            # Empty: AWS itself; else the store's address (Ceph, MinIO, Garage, OVH, Scaleway...).
            "endpoint_url": os.environ.get("C2I_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("C2I_S3_REGION") or None,
            # Empty: boto3's own chain (AWS_* variables, instance role, ~/.aws).
            "access_key": os.environ.get("C2I_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("C2I_S3_SECRET_KEY") or None,
            "addressing_style": os.environ.get("C2I_S3_ADDRESSING_STYLE") or None,
            # A store that does not answer fails a request in seconds, not minutes
            # (the /sante/ probe reports it): short connect timeout, few retries.
            "client_config": S3ClientConfig(
                s3={"addressing_style": os.environ.get("C2I_S3_ADDRESSING_STYLE") or None},
                connect_timeout=5,
                read_timeout=60,
                retries={"mode": "standard", "max_attempts": 3},
            ),
            # Files read whole (exports, PDFs) spill to a temporary file beyond 2 MiB.
            "max_memory_size": 2 * 1024 * 1024,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("C2I_S3_URL_SECONDS", "60")),
            "file_overwrite": False,
        },
    }
elif C2I_STORAGE != "local":
    raise RuntimeError(f"C2I_STORAGE={C2I_STORAGE!r}: « local » or « s3 » expected")
# C2I_S3_SIGNED_URLS=1: the portfolio file downloads, once access is checked,
# redirect to a signed URL of the object (valid C2I_S3_URL_SECONDS) instead of
# streaming it through the application server.
C2I_S3_SIGNED_URLS = C2I_STORAGE == "s3" and os.environ.get("C2I_S3_SIGNED_URLS", "") == "1"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("C2I_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = os.environ.get("C2I_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("C2I_FROM_EMAIL", "C2i <ne-pas-repondre@c2i.example.fr>")
# For the file e-mail backend (the browser journeys read the registration code there).
EMAIL_FILE_PATH = os.environ.get("C2I_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
# The SMTP server of C2I_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = os.environ.get("C2I_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("C2I_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("C2I_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("C2I_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("C2I_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("C2I_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("C2I_EMAIL_TIMEOUT", "30"))
# Reminders before the portfolio deadline (`manage.py send_deadline_reminders`,
# daily): the days before the deadline on which a candidate who has not
# submitted is reminded, once per step.
C2I_DEADLINE_REMINDER_DAYS = sorted(
    {int(d) for d in os.environ.get("C2I_DEADLINE_REMINDER_DAYS", "7,1").split(",") if d.strip()}, reverse=True
)

# Where the accessibility statement (`/accessibilite/`) tells people to write
# when a page or a document is not accessible to them (issue 11).
C2I_ACCESSIBILITY_EMAIL = os.environ.get("C2I_ACCESSIBILITY_EMAIL", "accessibilite@c2i.example.fr")
C2I_ACCESSIBILITY_ADDRESS = os.environ.get(
    "C2I_ACCESSIBILITY_ADDRESS",
    "Mission C2i, ministère de l'Enseignement supérieur et de la Recherche, 1 rue Descartes, 75231 Paris CEDEX 05",
)

PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # the password e-mails say "within three days"
SESSION_ENGINE = "c2i.accounts.sessions"  # database sessions with their user in a column
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "c2i.error_views.csrf_failure"  # the French DSFR page, not Django's English one
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every response (c2i/lib/security.py): nothing
# from another site, no inline script or style; data: images for QR codes.
C2I_CSP = os.environ.get(
    "C2I_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
)
# HTTPS in production. `make run` serves plain http://127.0.0.1 with debug off
# and C2I_HTTPS=0: cookies without Secure (else the browser would not send
# them back over http), no redirect to https, no HSTS.
if not DEBUG and env_bool("C2I_HTTPS", True):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("C2I_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("C2I_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # The SAML ACS receives the IdP's cross-site POST: djangosaml2's cookie
    # (and it alone) is SameSite=None, which browsers accept only when Secure.
    SAML_SESSION_COOKIE_SAMESITE = "None"

# Logs on standard error, one JSON object per line with the request's id
# (C2I_LOG_FORMAT=json, the default outside debug) or as plain text.
C2I_LOG_FORMAT = os.environ.get("C2I_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "c2i.lib.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "c2i.lib.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if C2I_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("C2I_LOG_LEVEL", "WARNING")},
}
# Operations (docs/operations.md): the token Prometheus sends to /metriques/
# (empty: no metrics page), and the age in seconds of the oldest waiting task
# above which /sante/ says « degraded ».
C2I_METRICS_TOKEN = os.environ.get("C2I_METRICS_TOKEN", "")
C2I_HEALTH_MAX_TASK_AGE = int(os.environ.get("C2I_HEALTH_MAX_TASK_AGE", "600"))

# Product settings (README, "Configuration").
C2I_DATA_DIR = BASE_DIR / "c2i" / "frameworks" / "data"
DSFR_MARK_OPTIONAL_FIELDS = True
# The DSFR's files come from this site: no Subresource Integrity, whose hashes
# are those of django-dsfr's files, not of the copies collectstatic rewrites
# (hashed names in url()), which the browser would then refuse to apply.
DSFR_USE_INTEGRITY_CHECKSUMS = False
# Portfolio files (RULES.md R7): limits per file and per portfolio, in bytes.
C2I_MAX_FILE_BYTES = int(os.environ.get("C2I_MAX_FILE_BYTES", str(20 * 1024 * 1024)))
C2I_MAX_PORTFOLIO_BYTES = int(os.environ.get("C2I_MAX_PORTFOLIO_BYTES", str(200 * 1024 * 1024)))
# Knowledge test (RULES.md R16–R19): approvals a question needs to be validated;
# the request header holding the client's address when a trusted proxy sets it
# (e.g. "HTTP_X_FORWARDED_FOR": its last address is used), for exam IP ranges.
C2I_REVIEW_APPROVALS = int(os.environ.get("C2I_REVIEW_APPROVALS", "3"))
C2I_CLIENT_IP_HEADER = os.environ.get("C2I_CLIENT_IP_HEADER", "")
# Documents (RULES.md R15): the Ed25519 signing keys of Open Badges credentials
# (old public keys kept: rotation never invalidates what was signed); public
# verification lookups allowed per client address and window (seconds); the
# number of tasks a session's batch is split into (one per worker).
C2I_KEYS_DIR = Path(os.environ.get("C2I_KEYS_DIR", BASE_DIR / "var" / "keys"))
# Several nodes (issue 16, docs/credentials.md « The signing keys »): the keys
# come from the operator's secret instead, the only source when set: a file
# mounted on every node (re-read when it changes) or the same JSON document
# in the environment; `manage.py export_signing_keys` makes it from the folder.
C2I_SIGNING_KEYS_FILE = os.environ.get("C2I_SIGNING_KEYS_FILE", "")
C2I_SIGNING_KEYS = os.environ.get("C2I_SIGNING_KEYS", "")
C2I_VERIFY_LIMIT = int(os.environ.get("C2I_VERIFY_LIMIT", "30"))
C2I_VERIFY_WINDOW = int(os.environ.get("C2I_VERIFY_WINDOW", "600"))
C2I_DOCUMENT_TASKS = int(os.environ.get("C2I_DOCUMENT_TASKS", "2"))
# How often the sitting's page asks its status (exam.js: the invigilator's
# notices, a pause, extra time, the end): most of the servers' work on a test
# day (docs/capacity.md). 5 to 20 seconds: a page silent for a minute is a lost
# connection (assessment.services.presence.LOST_AFTER), so three polls at least.
C2I_EXAM_POLL_SECONDS = int(os.environ.get("C2I_EXAM_POLL_SECONDS", "10"))
if not 5 <= C2I_EXAM_POLL_SECONDS <= 20:
    raise RuntimeError(f"C2I_EXAM_POLL_SECONDS={C2I_EXAM_POLL_SECONDS}: between 5 and 20 seconds expected")
# How long verifiers may cache the W3C status lists (a revocation shows after at
# most this many seconds) and the issuer's profile and key documents.
C2I_STATUS_LIST_MAX_AGE = int(os.environ.get("C2I_STATUS_LIST_MAX_AGE", "300"))
C2I_PUBLIC_JSON_MAX_AGE = int(os.environ.get("C2I_PUBLIC_JSON_MAX_AGE", "3600"))
# SAML 2 single sign-on (issue 14, docs/operations.md « SAML 2 »): the SP's
# key and certificate (PEM; both unset: a self-signed pair made once in
# C2I_KEYS_DIR), its entity ID (default: the metadata URL), the contact the
# metadata gives, and how metadata is read (`manage.py refresh_saml_metadata`).
C2I_SAML_KEY_FILE = os.environ.get("C2I_SAML_KEY_FILE", "")
C2I_SAML_CERT_FILE = os.environ.get("C2I_SAML_CERT_FILE", "")
C2I_SAML_ENTITY_ID = os.environ.get("C2I_SAML_ENTITY_ID", "")
C2I_SAML_CONTACT_EMAIL = os.environ.get("C2I_SAML_CONTACT_EMAIL", "support@c2i.example.fr")
C2I_SAML_XMLSEC_BINARY = os.environ.get("C2I_SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")
C2I_SAML_METADATA_TIMEOUT = float(os.environ.get("C2I_SAML_METADATA_TIMEOUT", "30"))
C2I_SAML_METADATA_MAX_BYTES = int(os.environ.get("C2I_SAML_METADATA_MAX_BYTES", str(200 * 1024 * 1024)))
C2I_SAML_METADATA_SIGNING_CERT = os.environ.get("C2I_SAML_METADATA_SIGNING_CERT", "")  # the federation's, PEM
# djangosaml2: the outstanding requests and the IdP session live in a cookie
# of their own, Lax over plain http (development: an IdP on the same host),
# None under HTTPS (above); AuthnRequests go by HTTP-Redirect.
SAML_SESSION_COOKIE_NAME = "c2i_saml"
SAML_SESSION_COOKIE_SAMESITE = globals().get("SAML_SESSION_COOKIE_SAMESITE", "Lax")
SAML_CONFIG_LOADER = "c2i.sso.saml.sp_config"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_IGNORE_LOGOUT_ERRORS = False
SAML_CSP_HANDLER = ""  # the platform sets its own Content-Security-Policy (c2i/lib/security.py)
# Background tasks' leases (docs/operations.md): a running task whose worker
# has not renewed its lease for this many seconds is queued again; one whose
# workers died this many times is given up (marked failed).
C2I_TASK_LEASE_SECONDS = float(os.environ.get("C2I_TASK_LEASE_SECONDS", "60"))
C2I_TASK_MAX_ATTEMPTS = int(os.environ.get("C2I_TASK_MAX_ATTEMPTS", "3"))
# Accounts (issue 10): failed logins allowed per submitted username and per
# client address within the window (seconds), then every attempt is refused
# until it ends; registrations per client address and window; two-factor
# authentication required of national administrators and jury chairs (on by
# default when C2I_DEBUG is off, off in development for the demo accounts).
C2I_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("C2I_LOGIN_FAILURES_PER_ACCOUNT", "5"))
C2I_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("C2I_LOGIN_FAILURES_PER_ADDRESS", "20"))
C2I_LOGIN_WINDOW = int(os.environ.get("C2I_LOGIN_WINDOW", "900"))
C2I_REGISTRATIONS_PER_ADDRESS = int(os.environ.get("C2I_REGISTRATIONS_PER_ADDRESS", "10"))
C2I_REGISTRATION_WINDOW = int(os.environ.get("C2I_REGISTRATION_WINDOW", "3600"))
C2I_REQUIRE_2FA = env_bool("C2I_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "C2i"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a person's TOTP secret
# Personal data (docs/privacy.md): retention periods in days, applied by the
# daily `manage.py apply_retention`; an erasure waits for the appeal period
# after the jury's publication (C2I_RETENTION_APPEAL_DAYS).
C2I_RETENTION_INVITATION_DAYS = int(os.environ.get("C2I_RETENTION_INVITATION_DAYS", "90"))
C2I_RETENTION_DRAFT_DAYS = int(os.environ.get("C2I_RETENTION_DRAFT_DAYS", "730"))
C2I_RETENTION_WITHDRAWN_DAYS = int(os.environ.get("C2I_RETENTION_WITHDRAWN_DAYS", "1095"))
C2I_RETENTION_AUDIT_DETAILS_DAYS = int(os.environ.get("C2I_RETENTION_AUDIT_DETAILS_DAYS", "1825"))
C2I_RETENTION_APPEAL_DAYS = int(os.environ.get("C2I_RETENTION_APPEAL_DAYS", "61"))
