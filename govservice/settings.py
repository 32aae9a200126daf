"""govservice settings, read from the environment.

With no environment at all the project runs on embedded defaults (SQLite, a
filesystem Celery broker, a file cache) so `make run` works on a bare machine.
Outside DEBUG it fails closed: no SECRET_KEY, no boot.
"""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
# Where the running project keeps its files (SQLite, SMS files, media, broker); outside the source tree.
VAR_DIR = Path(os.environ.get("GOVSERVICE_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core ------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
# The test suite runs with DEBUG off (as production does) but over plain HTTP
# and without collected static files.
TESTING = env_bool("GOVSERVICE_TESTING", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off: refusing to boot. "
            "Set SECRET_KEY (production) or DEBUG=1 (development)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

# Key for the encrypted phone / ID-number columns. In development it is derived
# from SECRET_KEY; in production it must be set on its own so that rotating the
# session key never makes citizens' data unreadable.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY and not DEBUG and not TESTING:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set and DEBUG is off: refusing to boot.")
# Key of the lookup hashes beside encrypted phone / ID numbers, comma-separated (first current, the rest old
# ones during a change; govservice/crypto.py); unset: derived from FIELD_ENCRYPTION_KEY as before it existed.
FIELD_LOOKUP_KEY = env_str("FIELD_LOOKUP_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A failed CSRF check shows the site's translated page with a way back, not Django's English one.
CSRF_FAILURE_VIEW = "govservice.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "govservice",
    "staff",
    "cases",
    "complaints",
    "rectification",
    "notifications",
    "knowledge",
    "intake",
    "development",
    "dashboard",
]
# `make bench` only (bench/stack.py sets BENCH_BASELINE=1): the plain reference project's one table, so that the
# one-INSERT baseline view inserts the very row the reference view inserts (bench/apps.py, docs/benchmarks.md).
BENCH_BASELINE = env_bool("BENCH_BASELINE", False)
if BENCH_BASELINE:
    INSTALLED_APPS.append("bench.apps.ReferenceRowsConfig")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every 429 answer says when to come back, whoever made it (a view, DRF, Axes' lock-out).
    "govservice.throttling.RetryAfterMiddleware",
    # Django's, the header built once per policy (no nonce here) instead of once per response: govservice/lean.py.
    "govservice.lean.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, sign-in, messages and htmx: Django's and django-htmx's, stepping aside on the channel
    # API (key-authenticated or public, never a session): govservice/lean.py.
    "govservice.lean.SessionMiddleware",
    # Django's, without the language-in-the-path look-ups this URLconf (no i18n_patterns) never needs.
    "govservice.lean.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's own, by name: `check --deploy` looks for it (security.W003). On the channel API it costs one
    # attribute look-up (the views are csrf_exempt: a key is not ambient authority).
    "django.middleware.csrf.CsrfViewMiddleware",
    "govservice.lean.AuthenticationMiddleware",
    "govservice.lean.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govservice.lean.HtmxMiddleware",
    # Signs out a member of staff idle for STAFF_IDLE_TIMEOUT_MINUTES (after auth and messages: it needs both).
    "govservice.idle.IdleTimeoutMiddleware",
    # Any request parameter or form field with a control character (U+0000 …) is a 400, never a 500.
    "govservice.input_guard.ControlCharacterMiddleware",
    # Axes last: it needs the authenticated user and answers lock-outs itself.
    "axes.middleware.AxesMiddleware",
    # A request that writes, and its browser's next requests for a few seconds, read from the primary, never
    # from the replica (govservice/replica.py). Does nothing without DATABASE_REPLICA_URL.
    "govservice.replica.ReadYourWritesMiddleware",
]

ROOT_URLCONF = "govservice.urls"
WSGI_APPLICATION = "govservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govservice.context_processors.navigation",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'govservice.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share the embedded database;
    # the timeout waits out a writer instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A streaming replica of the primary (docs/scaling.md): the dashboard, reports, exports and the monthly scoring
# read there when they ask for it (govservice/replica.py); unset, every read goes to the primary as before.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
READ_REPLICA_ALIAS: str | None = None
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    READ_REPLICA_ALIAS = "replica"
elif TESTING:
    # Tests have the alias with routing off; a test turns it on with READ_REPLICA_ALIAS = "replica".
    DATABASES["replica"] = copy.deepcopy(DATABASES["default"])
if "replica" in DATABASES:
    # Under test the replica is the test database itself (Django's test mirror), never a server of its own.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["govservice.replica.ReplicaRouter"]
# Seconds after a browser's last write (POST, PUT, PATCH, DELETE) during which its reads stay on the primary, so a
# person sees their own change although the replica lags behind (a replica usually lags well under a second).
REPLICA_READ_YOUR_WRITES_SECONDS = env_int("REPLICA_READ_YOUR_WRITES_SECONDS", 10)
# A replica that cannot be reached: its reads go to the primary for this long before it is tried again.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 30)
ATOMIC_REQUESTS = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Django's own Redis backend (a client per pool of our own gained under 20 %: docs/private-api.md #9).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif TESTING:
    # Per test process: parallel suites on one machine must not clear each other's limits.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # A file cache is shared by every process of `make run` (rate limits, lock-outs).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CACHES["default"]["KEY_PREFIX"] = env_str("CACHE_KEY_PREFIX", "govservice")

# --- Auth ----------------------------------------------------------------------

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The 6th failed login for one account from one address within 15 minutes locks it there for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 6)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Lock the account *from that address*: per username alone, anyone anywhere could lock out a colleague by
# typing their name; per address alone, one person's typos would lock a whole hall behind one NAT address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The identity platform's callback is no password guess: axes neither counts nor blocks it (login_limits.py).
AXES_WHITELIST_CALLABLE = "govservice.login_limits.is_single_sign_on_callback"
# Failed logins from one address, across all usernames, within AXES_COOLOFF_TIME before that address may not
# log in until the window ends (password spraying; govservice/login_limits.py). 0: no limit.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 30)
# A signed-in member of staff idle this many minutes is signed out (govservice/idle.py). 0: never.
STAFF_IDLE_TIMEOUT_MINUTES = env_int("STAFF_IDLE_TIMEOUT_MINUTES", 30)
# The longest a session lives, idle or not: one long working day (Django's default is 14 days).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE_SECONDS", 12 * 60 * 60)

# --- Single sign-on (OpenID Connect) --------------------------------------------------
# Login through the centre's unified identity platform (政务统一身份认证), off unless OIDC_ENABLED. The
# platform only says who someone is: an account is found by the IdP subject an administrator linked to
# it (staff.models.StaffIdentity, never by e-mail), and roles are granted here, never taken from the IdP.
# Local password login stays (the administrator's account needs no IdP). staff/sso.py; README "Single sign-on".
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
# The platform's issuer (the `iss` of its ID tokens, checked on every token) and its endpoints.
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
# Where a signed-out user is sent to end the platform's session too (its end_session_endpoint); empty:
# signing out ends this site's session only.
OIDC_OP_END_SESSION_ENDPOINT = env_str("OIDC_OP_END_SESSION_ENDPOINT")
# This site as the platform's client (registered there with redirect URI <site>/oidc/callback/).
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
# The ID token's signature algorithm; only asymmetric ones (RS*/ES*/PS*) are accepted.
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid")
# The claim that names a person for good: `sub` (default) or e.g. the platform's staff-number claim. Its
# value is what an administrator links to an account; changing the claim later unlinks everyone.
OIDC_SUBJECT_CLAIM = env_str("OIDC_SUBJECT_CLAIM", "sub")
# Seconds of clock difference with the platform tolerated on a token's exp / iat.
OIDC_CLOCK_SKEW_SECONDS = env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
# PKCE (S256) on top of the client secret: harmless where the platform ignores it.
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
# The ID token is kept in the session only to end the platform's session at sign-out (id_token_hint).
OIDC_STORE_ID_TOKEN = True
OIDC_CREATE_USER = False  # an unknown subject is refused, never made an account (staff/sso.py)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "login"
if OIDC_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED is on but {', '.join(_missing)} is not set.")
    if not OIDC_RP_SIGN_ALGO.startswith(("RS", "ES", "PS")):
        raise ImproperlyConfigured(f"OIDC_RP_SIGN_ALGO must be an asymmetric algorithm, got {OIDC_RP_SIGN_ALGO!r}")
    AUTHENTICATION_BACKENDS.append("staff.sso.StaffOIDCBackend")

# --- Internationalisation ----------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# django-filter's empty choice of a select filter (its default is "---------"): a word in the page's language.
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("全部")
# django-filter's choice for "no value" (its default is "null"), where a filter offers one.
FILTERS_NULL_CHOICE_LABEL = gettext_lazy("未填写")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploaded files are readable by the project's own user only (Django's default is 0644, world-readable).
FILE_UPLOAD_PERMISSIONS = 0o600
# Directories made for uploads likewise.
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Imports (spreadsheets uploaded by staff; govservice/spreadsheet.py reads them) ---------

# Where an uploaded import file waits for its task: outside MEDIA_ROOT (no URL serves it), files 0600.
# The web and the import worker must share it (docker-compose.yml mounts one volume on both).
IMPORT_FILES_ROOT = Path(env_str("IMPORT_FILES_ROOT", str(VAR_DIR / "imports")))
STORAGES["imports"] = {"BACKEND": "govservice.uploads.ImportFileStorage"}  # in IMPORT_FILES_ROOT, 0600
# Exports made in the background (govservice/exports): 0600, never served by URL, deleted after EXPORT_KEEP_DAYS.
EXPORT_FILES_ROOT = Path(env_str("EXPORT_FILES_ROOT", str(VAR_DIR / "exports")))
STORAGES["exports"] = {"BACKEND": "govservice.uploads.ExportStorage"}
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)

# Monthly partitions (govservice/partitions.py, docs/partitions.md). Beat creates each registered table's
# partitions PARTITION_MONTHS_AHEAD months ahead every day. PARTITION_RETENTION_MONTHS > 0 keeps that many
# past months besides the current one: older months are detached, exported as gzip JSON lines to
# PARTITION_ARCHIVE_DIR and dropped by the same daily task. 0 (the default) keeps everything.
PARTITION_MONTHS_AHEAD = env_int("PARTITION_MONTHS_AHEAD", 3)
PARTITION_RETENTION_MONTHS = env_int("PARTITION_RETENTION_MONTHS", 0)
PARTITION_ARCHIVE_DIR = Path(env_str("PARTITION_ARCHIVE_DIR", str(VAR_DIR / "partition-archive")))
# Rows an import file may have, every row counted, blank ones included.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000)
# Columns a row of an import file may have.
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 64)
# Characters one cell may hold (Excel's own limit is 32,767).
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 32_767)
# Bytes an uploaded import file may have.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)
# Bytes all members of an .xlsx (a zip archive) may unpack to together.
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)
# Highest uncompressed/compressed ratio of one .xlsx member over 1 MB (real sheets stay far below; zip bombs don't).
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100)
# Seconds an import task runs before it is told to stop (the batch fails with a message, its file deleted).
IMPORT_TASK_SOFT_TIME_LIMIT = env_int("IMPORT_TASK_SOFT_TIME_LIMIT", 600)
# Seconds after which the worker kills an import task that ignored the soft limit (the sweep fails its batch).
IMPORT_TASK_TIME_LIMIT = env_int("IMPORT_TASK_TIME_LIMIT", 660)
# Hours a rejected channel batch keeps its file for "import only the valid rows"; stray files older go too.
IMPORT_FILE_KEEP_HOURS = env_int("IMPORT_FILE_KEEP_HOURS", 24)

# --- Security ---------------------------------------------------------------------

# Nothing loads from outside the project: the policy allows this origin only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if OIDC_ENABLED and OIDC_OP_END_SESSION_ENDPOINT:
    # Signing out is a form whose answer redirects to the identity platform's end_session endpoint
    # (govservice/signout.py), and a browser applies form-action to a form's redirects too.
    _end_session = urlsplit(OIDC_OP_END_SESSION_ENDPOINT)
    SECURE_CSP["form-action"] = [CSP.SELF, f"{_end_session.scheme}://{_end_session.netloc}"]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz is probed over plain HTTP by the container health checks.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- REST framework -------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON that refuses control characters in any key or string with a 400 (govservice/input_guard.py).
    "DEFAULT_PARSER_CLASSES": ["govservice.input_guard.GuardedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "govservice.schema.AutoSchema",
    "EXCEPTION_HANDLER": "govservice.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "channel": env_str("THROTTLE_CHANNEL", "6000/min"),
        "public": env_str("THROTTLE_PUBLIC", "30/min"),
        "lookup": env_str("THROTTLE_LOOKUP", "10/min"),
        # Per queue device (intake.queue): a batch a second is far above a queue machine's need.
        "queue_device": env_str("THROTTLE_QUEUE_DEVICE", "1200/min"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "govservice API",
    "DESCRIPTION": "Window-service management for government service centres (政务服务中心窗口作风管理).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several inputs have a field named "kind" (a complaint or suggestion; a queue event; ...): the complaint's
    # gets a stable name of its own instead of a hash-suffixed one.
    "ENUM_NAME_OVERRIDES": {"ComplaintKindEnum": "complaints.models.Complaint.Kind"},
}

# --- Celery ------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded broker: messages are files under var/broker, shared by every
    # process on this machine, so worker and beat really run with no server.
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables (fanout, remote control): beside the queue, not in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A task that outlives this is redelivered: tasks are idempotent (STYLE.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection around every task unless told to keep it:
# a new PostgreSQL connection per SMS batch. Keep it for up to this many tasks; between tasks
# govservice/celery.py applies Django's own rules (CONN_MAX_AGE, health checks, a connection
# that saw an error), as a web request does, so a restarted database is reconnected at once.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 200)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# The outbox (govservice/outbox.py): a web process nudges a drain at most once per this long, the
# drain running that long after the first commit of the window (0: one drain per commit, at once). Milliseconds.
OUTBOX_NUDGE_MS = env_int("OUTBOX_NUDGE_MS", 1000)
CELERY_TIMEZONE = TIME_ZONE
# Imports run on their own queue and worker (Procfile.dev, docker-compose.yml: `-Q imports`), so SMS and
# webhooks on the default queue never wait behind a large file.
CELERY_TASK_ROUTES = {
    "intake.tasks.import_batch_run": {"queue": "imports"},
    "knowledge.tasks.import_batch_run": {"queue": "imports"},
    "rectification.tasks.ledger_import_run": {"queue": "imports"},
    "rectification.tasks.ledger_import_apply_run": {"queue": "imports"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # --- the outbox (govservice/outbox.py): after-response work of the requests (feed, webhooks, tasks).
    # Every minute: run what a lost nudge left waiting (the web processes nudge a drain after each commit).
    "govservice-outbox-drain": {"task": "govservice.tasks.outbox_drain_task", "schedule": 60},
    # --- notifications: claim due outbox messages and hand them to the worker.
    # Every minute: claim due SMS (08:00–20:00 only, per-number daily cap) and give each to a send task.
    "notifications-sms-dispatch": {"task": "notifications.tasks.sms_dispatch_task", "schedule": 60},
    # Every 5 minutes: put SMS stuck "sending" past the time-out (worker died) back in the queue as a retry.
    "notifications-sms-reap": {"task": "notifications.tasks.sms_reap_task", "schedule": 300},
    # --- cases: deadline warnings (50/80/100 %) and missed corrections.
    # Every 30 minutes: warn handlers and first responders at 50/80/100 % of the promised time (once per level).
    "cases-warn-deadlines": {"task": "cases.tasks.cases_warn_deadlines", "schedule": 30 * 60.0},
    # Every hour: terminate cases whose correction deadline has passed (acts only once per case).
    "cases-expire-corrections": {"task": "cases.tasks.cases_expire_corrections", "schedule": 60 * 60.0},
    # Every 4 hours: tell first responders about open cases with no step for 3 working days.
    "cases-report-stalls": {"task": "cases.tasks.cases_report_stalls", "schedule": 4 * 60 * 60.0},
    # Every 15 minutes: remind receivers of hand-over offers left unanswered, then tell the centre's leaders.
    "cases-remind-handovers": {"task": "cases.tasks.cases_remind_handovers", "schedule": 15 * 60.0},
    # --- complaints: overdue bad-review steps and escalation deadlines.
    # Every 30 minutes, warn the owner and the leaders once about bad reviews not contacted or not
    # rectified in time and escalations past their 2 / 5 working-day answer deadline.
    "complaints-warn-overdue": {"task": "complaints.tasks.feedback_warn_overdue_task", "schedule": 30 * 60},
    # Every 15 minutes, warn about complaints waiting for their reply at 50 / 80 / 100 % of the reply
    # time (working days, paused while waiting for the citizen): the handler, and the leaders when overdue.
    "complaints-warn-reply-due": {"task": "complaints.tasks.complaint_warn_reply_due_task", "schedule": 15 * 60},
    # Every hour, send the SMS rating invitation for cases completed in the last 3 days (once per case,
    # at most one per phone in the centre's invite period).
    "complaints-invite-completed": {"task": "complaints.tasks.evaluation_invite_completed_task", "schedule": 3600},
    # --- rectification: overdue and near-due measures; 回头看 re-checks.
    # Every hour, flag measures past or near their deadline and tell owners and leaders (once per deadline).
    "rectification-flag-due-measures": {"task": "rectification.tasks.ledger_flag_due_measures", "schedule": 3600.0},
    # Every hour, flag closed problems that got a new complaint or bad review of the same kind (possible recurrence).
    "rectification-flag-recurrences": {"task": "rectification.tasks.ledger_flag_recurrences", "schedule": 3600.0},
    # Every hour: delete ledger import files left behind and fail ledger imports whose task was killed.
    "rectification-import-files-purge": {"task": "rectification.tasks.ledger_import_files_purge", "schedule": 3600.0},
    # --- development: monthly service-star run on the first working day of the month (the task keeps
    # the name it had in staff, so queued messages and this schedule still find it).
    # Once a day: on the first working day of a month, compute last month's service-star scores as a preview.
    "staff-scoring-monthly": {"task": "staff.tasks.scoring_monthly_task", "schedule": 24 * 60 * 60.0},
    # --- knowledge: weekly review queue reminders.
    # Once a day: chase questions in review and wrong-answer tasks waiting > 5 working days (once per item a week).
    "knowledge-review-queue-remind": {"task": "knowledge.tasks.review_queue_remind", "schedule": 24 * 60 * 60.0},
    # Every hour: delete question-bank import files left behind and fail imports whose task was killed.
    "knowledge-import-files-purge": {"task": "knowledge.tasks.import_files_purge", "schedule": 3600.0},
    # --- intake: webhook deliveries to channels; purge of expired idempotency keys.
    # Every minute: re-queue webhook deliveries that are due but whose message was lost (worker crash).
    "intake-webhook-deliver-due": {"task": "intake.tasks.webhook_deliver_due", "schedule": 60.0},
    # Every minute: send the platform outbox's due messages (12345, the provincial 好差评 platform) and put back
    # messages whose worker died mid-request; a platform that was down gets everything it missed, in order.
    "intake-platform-send-due": {"task": "intake.tasks.platform_send_due", "schedule": 60.0},
    # Every day at 03:30: ask the provincial 好差评 platform what it received yesterday, record its
    # acknowledgements and compare with what was sent (the reconciliation page shows the result).
    "intake-province-reconcile": {"task": "intake.tasks.province_reconcile", "schedule": crontab(minute=30, hour=3)},
    # Every hour: delete Idempotency-Key records older than 48 hours (retries are honoured for at least 24 h).
    "intake-idempotency-purge": {"task": "intake.tasks.idempotency_keys_purge", "schedule": 60 * 60.0},
    # Every hour: delete import files left behind (a killed task, a rejected batch past IMPORT_FILE_KEEP_HOURS, a
    # stray upload) and fail batches whose task was killed; import files hold citizens' phone numbers.
    "intake-import-files-purge": {"task": "intake.tasks.import_files_purge_task", "schedule": 60 * 60.0},
    # --- govservice: exports made in the background.
    # Every hour: delete the files of exports past EXPORT_KEEP_DAYS (the record of who exported what stays).
    "govservice-exports-purge": {"task": "govservice.tasks.exports_purge_task", "schedule": 60 * 60.0},
    # Every day at 02:10: create next months' partitions of the partitioned tables (govservice/partitions.py) and,
    # when PARTITION_RETENTION_MONTHS is set, archive (export, then drop) the months past it.
    "govservice-partitions-maintain": {
        "task": "govservice.tasks.partitions_maintain_task",
        "schedule": crontab(minute=10, hour=2),
    },
    # --- dashboard: the leaders' weekly digest, Mondays at 08:00 (Asia/Shanghai); the runs until 11:00 finish
    # what a failed run left (each leader gets each week once: dashboard.models.DigestDelivery).
    "dashboard-weekly-digest": {
        "task": "dashboard.tasks.weekly_digest_send",
        "schedule": crontab(minute=0, hour="8-11", day_of_week="mon"),
    },
}

# --- E-mail (the weekly digest) ---------------------------------------------------------
# Django 6.1's MAILERS. In development (DEBUG) the digests land as files in var/mail/; in production SMTP to
# EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS, the centre's mail relay
# (EMAIL_BACKEND names another backend class: then it takes no options).
_MAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_MAIL_OPTIONS: dict[str, object] = {}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    _MAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "timeout": 30,
    }
elif _MAIL_BACKEND.endswith("filebased.EmailBackend"):
    _MAIL_OPTIONS = {"file_path": env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "govservice@localhost")

# --- SMS ---------------------------------------------------------------------------------

# Dotted path of the SMS backend class (notifications/backends): file, locmem, console, the HTTP gateway,
# notifications.backends.aliyun.AliyunSmsBackend or notifications.backends.tencent.TencentSmsBackend.
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.backends.file.FileBackend")
# Directory the file backend writes its messages to (one line each).
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms"))
# The HTTP gateway's endpoint; used only by the HTTP backend.
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
# The signature (签名) the provider prints in front of every message.
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "政务服务中心")
# Bearer token the HTTP backend sends to the gateway.
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN")
# Seconds the HTTP backend waits for the gateway before counting a failed attempt.
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10)
# Shared secret the gateway sends with delivery receipts; without it every receipt is refused.
SMS_RECEIPT_TOKEN = env_str("SMS_RECEIPT_TOKEN")
# Aliyun SMS (SMS_BACKEND=notifications.backends.aliyun.AliyunSmsBackend): a RAM user's AccessKey allowed to
# call dysmsapi SendSms; the endpoint only changes for a test fake.
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET")
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
# The secret in the delivery-report URL entered in Aliyun's console (…/sms/aliyun/reports/<token>/); empty: refused.
SMS_ALIYUN_REPORT_TOKEN = env_str("SMS_ALIYUN_REPORT_TOKEN")
# Tencent Cloud SMS (SMS_BACKEND=notifications.backends.tencent.TencentSmsBackend): an API key pair, the SMS
# application's SdkAppId and the API region.
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY")
SMS_TENCENT_SDK_APP_ID = env_str("SMS_TENCENT_SDK_APP_ID")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/")
# The secret in the status-callback URL entered in Tencent's console (…/sms/tencent/status/<token>/); empty: refused.
SMS_TENCENT_CALLBACK_TOKEN = env_str("SMS_TENCENT_CALLBACK_TOKEN")
# A real provider without its credentials would fail every message at the worker: refuse to boot instead.
_SMS_PROVIDER_CREDENTIALS = {
    "notifications.backends.aliyun.AliyunSmsBackend": ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET"),
    "notifications.backends.tencent.TencentSmsBackend": (
        "SMS_TENCENT_SECRET_ID",
        "SMS_TENCENT_SECRET_KEY",
        "SMS_TENCENT_SDK_APP_ID",
    ),
}
for _name in _SMS_PROVIDER_CREDENTIALS.get(SMS_BACKEND, ()):
    if not globals()[_name]:
        raise ImproperlyConfigured(f"SMS_BACKEND is {SMS_BACKEND} but {_name} is not set: refusing to boot.")
# At most this many messages a day to one number (0: no cap); the rest wait for 08:00 tomorrow.
SMS_DAILY_CAP_PER_NUMBER = env_int("SMS_DAILY_CAP_PER_NUMBER", 10)
# Attempts the provider may refuse with a temporary error before a message fails.
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 5)
# A message "sending" longer than this is taken to belong to a dead worker and is queued again.
SMS_SENDING_TIMEOUT_SECONDS = env_int("SMS_SENDING_TIMEOUT_SECONDS", 600)
# A message taken back this many times before it ever reached the provider (worker or broker down) fails.
SMS_MAX_REAPS = env_int("SMS_MAX_REAPS", 24)
# Message ids per send task.
SMS_SEND_BATCH_SIZE = env_int("SMS_SEND_BATCH_SIZE", 250)
# Claimed messages that may wait for a worker before the dispatcher stops claiming; keep it below the
# backend's messages per second × SMS_SENDING_TIMEOUT_SECONDS / 2 (notifications/README.md).
SMS_DISPATCH_MAX_IN_FLIGHT = env_int("SMS_DISPATCH_MAX_IN_FLIGHT", 10_000)

# --- Outbound HTTP -----------------------------------------------------------------------

# Networks outbound requests (webhooks, the SMS gateway) may reach although they are private, loopback or
# otherwise internal (govservice/outbound.py), comma-separated CIDRs: e.g. an on-premises SMS gateway
# "10.20.0.5/32". Empty: only public addresses.
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])

# --- External platforms (intake/platforms: the outbox to 12345, the provincial 好差评 platform) -------------

# Platform codes this deployment may talk to; each reads PLATFORM_<CODE>_URL and PLATFORM_<CODE>_SECRET (the
# HMAC-SHA256 key shared with that platform). A platform without both keeps its messages queued, unsent.
PLATFORM_CODES = env_list("PLATFORM_CODES", ["hotline", "province"])
PLATFORM_ENDPOINTS: dict[str, dict[str, str]] = {
    code: {"url": env_str(f"PLATFORM_{code.upper()}_URL"), "secret": env_str(f"PLATFORM_{code.upper()}_SECRET")}
    for code in PLATFORM_CODES
}
# Plain http to a platform (development and tests only; production platforms are https).
PLATFORM_ALLOW_HTTP = env_bool("PLATFORM_ALLOW_HTTP", DEBUG)
PLATFORM_CONNECT_TIMEOUT_SECONDS = env_int("PLATFORM_CONNECT_TIMEOUT_SECONDS", 5)
PLATFORM_READ_TIMEOUT_SECONDS = env_int("PLATFORM_READ_TIMEOUT_SECONDS", 15)
# Back-off doubles from 30 s up to this; with 120 attempts a message keeps trying for about two and a half days
# before it fails and waits for a person (the reconciliation page's retry).
PLATFORM_MAX_BACKOFF_SECONDS = env_int("PLATFORM_MAX_BACKOFF_SECONDS", 1800)
PLATFORM_MAX_ATTEMPTS = env_int("PLATFORM_MAX_ATTEMPTS", 120)
# A message "sending" longer than this lost its worker and is queued again (same message id: no duplicate).
PLATFORM_SENDING_TIMEOUT_SECONDS = env_int("PLATFORM_SENDING_TIMEOUT_SECONDS", 600)

# The provincial 好差评 platform (intake/platforms/province.py, docs/province-platform.md). Pushing is on when
# its URL is set (PLATFORM_PROVINCE_URL) unless PROVINCE_PLATFORM_PUSH says otherwise; ratings made while it
# is off are not queued afterwards.
PROVINCE_PLATFORM_PUSH = env_bool("PROVINCE_PLATFORM_PUSH", bool(PLATFORM_ENDPOINTS.get("province", {}).get("url")))
# Items per request (each evaluation's stream contributes at most one item to a request).
PROVINCE_PLATFORM_BATCH_SIZE = env_int("PROVINCE_PLATFORM_BATCH_SIZE", 100)
# This system's identifier at the platform (the "sender" of every batch), as the province assigned it.
PROVINCE_PLATFORM_SENDER_ID = env_str("PROVINCE_PLATFORM_SENDER_ID", "govservice")
# Ratings made on the platform itself are not pushed back: channels of these kinds (the provincial app and
# mini-program are "mobile_app") or with these codes.
PROVINCE_PLATFORM_SOURCE_KINDS = env_list("PROVINCE_PLATFORM_SOURCE_KINDS", ["mobile_app"])
PROVINCE_PLATFORM_SOURCE_CHANNELS = env_list("PROVINCE_PLATFORM_SOURCE_CHANNELS", [])
# The platform's daily count endpoint for the reconciliation (signed like the pushes); empty: no reconciliation.
PROVINCE_PLATFORM_RECONCILE_URL = env_str("PROVINCE_PLATFORM_RECONCILE_URL")

# --- Logging -----------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "govservice.masking.MaskingLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "django_server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["mask_personal_data"],
        },
        # runserver's request lines, as Django prints them, but through the same mask (keys, API queries).
        "django_server": {
            "class": "logging.StreamHandler",
            "formatter": "django_server",
            "filters": ["mask_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["django_server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # fpdf2 subsets the CJK font of every PDF through fontTools, which logs each table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# --- Product settings -------------------------------------------------------------------

# Where citizens reach the public pages (QR codes print this origin).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# A font file with Chinese glyphs for the PDF documents of cases; empty: the usual system paths are tried.
CASES_CJK_FONT = env_str("CASES_CJK_FONT")
# Public rating page: ratings a device may send per hour (a family at one window) ...
COMPLAINTS_RATE_LIMIT_DEVICE = env_int("COMPLAINTS_RATE_LIMIT_DEVICE", 5)
# ... and ratings an address may send per hour (a hall's shared NAT).
COMPLAINTS_RATE_LIMIT_IP = env_int("COMPLAINTS_RATE_LIMIT_IP", 60)
# A channel's rated_at / received_at may be this many seconds ahead of the server's clock (clock skew) ...
INTAKE_CLOCK_SKEW_SECONDS = env_int("INTAKE_CLOCK_SKEW_SECONDS", 300)
# ... and, through the live API, at most this many days old (file imports by staff may be older).
INTAKE_MAX_BACKDATE_DAYS = env_int("INTAKE_MAX_BACKDATE_DAYS", 30)
# Largest request body the channel API and Open311 accept, in bytes (larger: 413).
INTAKE_MAX_BODY_BYTES = env_int("INTAKE_MAX_BODY_BYTES", 64 * 1024)
# Days after a ledger problem is closed out until its 回头看 re-check is due.
RECTIFICATION_RECHECK_DAYS = env_int("RECTIFICATION_RECHECK_DAYS", 30)
# Working hours (office hours of working days) a hand-over offer may wait before its receiver is reminded.
HANDOVER_REMIND_AFTER_WORKING_HOURS = env_int("HANDOVER_REMIND_AFTER_WORKING_HOURS", 4)
# Working hours a hand-over offer may wait before the centre's leaders are told (after the reminder).
HANDOVER_ESCALATE_AFTER_WORKING_HOURS = env_int("HANDOVER_ESCALATE_AFTER_WORKING_HOURS", 8)
# A measure is "near due" this many working days before its deadline.
RECTIFICATION_NEAR_DUE_WORKING_DAYS = env_int("RECTIFICATION_NEAR_DUE_WORKING_DAYS", 3)
# Largest evidence file a ledger measure accepts, in bytes.
RECTIFICATION_EVIDENCE_MAX_BYTES = env_int("RECTIFICATION_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
