"""Settings, read from the environment.

Everything a deployment changes comes from an environment variable, with a
default that runs the demo on this machine: an SQLite file, DEBUG on, a
throwaway secret key.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", True)
# With DEBUG on, a 404 or a bad Host header still shows the site's own page
# (off: Django's technical page with the URL patterns tried).
SITE_ERROR_PAGES_IN_DEBUG = env_bool("SITE_ERROR_PAGES_IN_DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set in the environment when DEBUG is off.")
    SECRET_KEY = "demo-only-not-secret-hainan-window"  # noqa: S105 - demo default, DEBUG only
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    # Django's admin, on a site that asks officials for their second factor.
    "hainan_window.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "viewflow",
    "viewflow.workflow",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below) on every response,
    # including the ones the middleware below answers itself (503, 400, redirects).
    "csp.middleware.CSPMiddleware",
    # After WhiteNoise (static files stay cacheable), before everything else: a
    # logged-in user's page and a personal API answer are never stored.
    "hainan_window.nostore.NoStoreMiddleware",
    # Before the session and auth middleware: a view that hits a database
    # that is down gets a 503 page or JSON, not a 500.
    "approvals.errors.DatabaseUnavailableMiddleware",
    "hainan_window.middleware.NulCharacterGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # DEBUG only: the site's 404 and 400 pages instead of Django's technical ones.
    "hainan_window.middleware.SiteErrorPagesInDebugMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session typed a code from the user's device?
    "django_otp.middleware.OTPMiddleware",
    # An official who has not typed it yet reaches only the second-factor pages.
    "approvals.secondfactor.middleware.SecondFactorMiddleware",
    "approvals.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it refuses logins from a locked-out user or address.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hainan_window.urls"
WSGI_APPLICATION = "hainan_window.wsgi.application"

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
                "django.template.context_processors.i18n",
                "approvals.context_processors.roles_of_visitor",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
# SQLite is the embedded default. Its writers are serialised with IMMEDIATE
# transactions (SQLite silently ignores SELECT ... FOR UPDATE, so viewflow's
# row lock cannot protect a Join there); PostgreSQL gets a lock timeout so a
# lock held too long becomes a clear, retryable error instead of a hang.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # A connection kept between requests is checked before reuse, so a
        # database restart costs one failed request at most, not a worker.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c lock_timeout={int(os.environ.get('DB_LOCK_TIMEOUT_MS', '5000'))}"
    )
    # psycopg's connection pool, per process: DB_POOL_MAX_SIZE=0 turns it off.
    # Size it so app processes x max_size stays under PostgreSQL's
    # max_connections (or put PgBouncer in front); see README "Past one machine".
    if int(os.environ.get("DB_POOL_MAX_SIZE", "0")) > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
            "max_size": int(os.environ["DB_POOL_MAX_SIZE"]),
            # Short: when the database is down, fail fast with a 503 rather
            # than hold the app's threads waiting for a connection.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT_SECONDS", "3")),
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- security ------------------------------------------------------------------
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for
# one username from one address, that pair is locked out for the cool-off
# time; a successful login resets the count. The API's token endpoint goes
# through the same check. One logs in with the account's email or its username
# (approvals.authentication); failures count per account however it was named.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "approvals.authentication.EmailOrUsernameBackend",
]
AXES_USERNAME_CALLABLE = "approvals.authentication.lockout_username"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The address as every other limit sees it (TRUSTED_PROXY_COUNT, below).
AXES_CLIENT_IP_CALLABLE = "approvals.clientaddr.counted_address"
# Officials (window clerks, reviewers, supervisors, admins) sign in with a
# second factor: after the password, a code from a TOTP app (django-otp), and
# the API's token endpoint wants one too. On unless turned off: `make run`
# turns it off for the demo (OFFICIAL_SECOND_FACTOR=false). Read at each
# request (approvals.secondfactor), so a test can switch it.
OFFICIAL_SECOND_FACTOR = env_bool("OFFICIAL_SECOND_FACTOR", True)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Hainan single window")
# After n wrong codes in a row, the next try is refused for 2^(n-1) x this many
# seconds (1, 2, 4, 8 ... s): django-otp's throttling, per device.
OTP_TOTP_THROTTLE_FACTOR = float(os.environ.get("OTP_TOTP_THROTTLE_FACTOR", "1"))
# The admin resets a device (deletes it) but never reads its secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Links mailed to activate a new account or to reset a password work once, for
# this many seconds (Django's default: 3 days).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))
# Sign-ups per client address (django-ratelimit), e.g. "10/h": each one sends a mail.
SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10/h")

# Sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Production (DEBUG off) is HTTPS only: secure cookies, HSTS, and plain HTTP
# redirected. Behind a proxy that terminates TLS, the proxy must set
# X-Forwarded-Proto; SECURE_SSL_REDIRECT=0 is for a proxy that redirects itself.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# /health/ answers load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^ready/"]
# Public permit verification (pages; the API has its own throttles): checks
# per client address, e.g. "30/m". A shared CACHE_URL makes it count across servers.
VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30/m")
# The client's address, for every limit and the audit trail, is decided in one
# place (approvals.clientaddr): TRUSTED_PROXY_COUNT is the number of proxies you
# run in front of the app, each appending to X-Forwarded-For. 0 (the default)
# ignores that header, which anyone can write, and uses the connection's address.
# The former AUDIT_TRUST_X_FORWARDED_FOR=1 (one proxy, audit trail only) is read
# as TRUSTED_PROXY_COUNT=1 when TRUSTED_PROXY_COUNT is not set.
_proxies = os.environ.get(
    "TRUSTED_PROXY_COUNT", "1" if env_bool("AUDIT_TRUST_X_FORWARDED_FOR", False) else "0"
)
if not (_proxies.isascii() and _proxies.strip().isdigit()):
    raise RuntimeError("TRUSTED_PROXY_COUNT must be a whole number of proxies, 0 or more.")
TRUSTED_PROXY_COUNT = int(_proxies)
# Content-Security-Policy (django-csp): scripts, styles, images, fonts and
# connections from this site only, never inline (the templates have no inline
# script or style; Swagger UI's set-up is a file too), no plugins, no framing, and
# forms post only here. data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# --- language and time ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Deadlines fall inside these hours on working days (approvals.timekeeping.deadline_after).
OFFICE_HOURS_START = os.environ.get("OFFICE_HOURS_START", "09:00")
OFFICE_HOURS_END = os.environ.get("OFFICE_HOURS_END", "17:30")
OFFICE_TIMEZONE = os.environ.get("OFFICE_TIMEZONE", "Asia/Shanghai")

# --- files ----------------------------------------------------------------
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
# The app serves its own static files (also with DEBUG off); straight from
# static/ until `collectstatic` has filled STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
# Uploads live outside static/ and templates/; they are served by views that
# check who may see them, never by a static file handler.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Uploads and permit PDFs: a folder (shared between app servers and workers,
# e.g. NFS) by default, or S3-compatible object storage with STORAGE_BACKEND=s3
# and the AWS_* variables django-storages reads (bucket, endpoint, keys).
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "filesystem")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND != "filesystem":
    raise RuntimeError("STORAGE_BACKEND must be filesystem or s3.")
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where django.core.mail.backends.filebased.EmailBackend writes (`make run` does so).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "single-window@hainan.example")

# --- the reform's benchmark ------------------------------------------------
# The promise the product is measured against: an average of 7 days before
# the reform, under 2 days after it.
BENCHMARK_BASELINE_DAYS = float(os.environ.get("BENCHMARK_BASELINE_DAYS", "7"))
BENCHMARK_TARGET_DAYS = float(os.environ.get("BENCHMARK_TARGET_DAYS", "2"))

# Prefill: a source slower than this is reported unavailable for its fields
# and the applicant fills them by hand.
PREFILL_SOURCE_TIMEOUT_SECONDS = float(os.environ.get("PREFILL_SOURCE_TIMEOUT_SECONDS", "3"))
# Real-name verification (approvals.realname): the adapter that confirms a
# person's name, identity document and nationality. The default reads the shared
# data's population register; a deployment names the national service's adapter.
IDENTITY_SOURCE = os.environ.get("IDENTITY_SOURCE", "approvals.realname.PopulationRegisterSource")
# New drafts an account may open in an hour (0: no limit). One person files a
# few; an account opening hundreds is harvesting what the government holds.
DRAFTS_PER_HOUR = int(os.environ.get("DRAFTS_PER_HOUR", "20"))

PREFILL_SOURCES = [
    "approvals.shared_data.EnterpriseRegistrySource",
    "approvals.shared_data.TaxRegistrationSource",
    "approvals.shared_data.SocialSecuritySource",
    "approvals.shared_data.InvestmentProjectSource",
    "approvals.shared_data.LicenceLibrarySource",
    # Sources about an enterprise being established (a name reservation).
    "approvals.shared_data.NameReservationSource",
    "approvals.shared_data.PropertyRegistrySource",
    "approvals.shared_data.LegalRepresentativeSource",
    "approvals.shared_data.InvestorRecordsSource",
]

# --- permits ----------------------------------------------------------------
# The Ed25519 key that signs the token in each permit's QR code. Either the
# PEM text itself (PERMIT_SIGNING_KEY; "\n" escapes are accepted, for
# environments that cannot hold newlines) or a file (PERMIT_SIGNING_KEY_FILE).
# `manage.py permit_keys --generate` writes the file; `make run` does so for
# the demo. Verifiers need only the public key: `manage.py permit_keys --public`.
PERMIT_SIGNING_KEY = os.environ.get("PERMIT_SIGNING_KEY", "")
PERMIT_SIGNING_KEY_FILE = Path(
    os.environ.get("PERMIT_SIGNING_KEY_FILE", BASE_DIR / "var" / "permit_signing_key.pem")
)
# Where the public reaches /verify/: printed on permits and encoded in their QR codes.
PERMIT_PUBLIC_BASE_URL = os.environ.get("PERMIT_PUBLIC_BASE_URL", "").rstrip("/")
PERMIT_PUBLIC_BASE_URL = PERMIT_PUBLIC_BASE_URL or "http://127.0.0.1:8000"
# Where people reach the site: the links in notification mails start with it.
SITE_BASE_URL = os.environ.get("SITE_BASE_URL", "").rstrip("/") or PERMIT_PUBLIC_BASE_URL
# What happens when an issued permit's transaction commits: "background" renders
# its PDF in a worker thread of this process, "inline" in the committing thread
# (tests, scripts), "celery" on a worker (the default when a broker is set),
# "off" leaves it to `manage.py render_permits` (e.g. from cron).
# Whatever is missed (a crash, a failure) is picked up by render_permits.
PERMIT_RENDER_MODE = os.environ.get("PERMIT_RENDER_MODE", "") or (
    "celery" if os.environ.get("CELERY_BROKER_URL") else "background"
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Pages list this many rows; lists are paginated, never unbounded.
PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "25"))

# --- cache -------------------------------------------------------------------------
# Throttle and rate-limit counts (API throttles, the /verify/ limit) live in the
# cache, so every app process must share it, or each worker counts on its own and
# a limit of 10 is 10 per worker. CACHE_URL=redis://... is the fast shared one;
# without it, production (DEBUG off) uses a table in the database (made by
# `manage.py migrate`, see approvals.sharedcache), and the embedded demo (DEBUG on,
# one process) its own memory. CACHE_URL=db://table names another table.
CACHE_URL = os.environ.get("CACHE_URL", "")
DATABASE_CACHE_TABLE = "hw_cache"


def _database_cache(table: str) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": table,
        # Culling drops entries, live counts included: keep room for every client
        # of a minute's window before it starts.
        "OPTIONS": {"MAX_ENTRIES": 50000},
    }


if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL.startswith("db://"):
    CACHES = {"default": _database_cache(CACHE_URL.removeprefix("db://") or DATABASE_CACHE_TABLE)}
elif CACHE_URL:
    raise RuntimeError("CACHE_URL must start with redis://, rediss:// or db://.")
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {"default": _database_cache(DATABASE_CACHE_TABLE)}

# --- background work (Celery) ------------------------------------------------------
# With CELERY_BROKER_URL (Redis) set, permits render, timers sweep (on the
# beat schedule), notifications go out, and long reports and simulations run
# on workers. Without it (the `make run` demo) the same work runs in the
# process or from management commands: nothing else to install.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again...
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # ...and a worker holds one task at a time
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "900"))
# Simulations run for minutes to hours: on their own queue, so they never hold
# the workers that render permits and send mail. Its worker is started apart
# (`celery -A hainan_window worker -Q simulation`, see Procfile); the others
# consume the default queue only.
CELERY_TASK_ROUTES = {"approvals.tasks.simulate": {"queue": "simulation"}}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long an unacknowledged task (its worker died) waits before another
    # worker gets it. Longer than the longest task.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    # Publishing gives up after one quick retry (~0.1 s, not kombu's ~6 s), so a
    # broker outage does not stall requests: the work then runs in the process
    # or waits for the retry sweep (approvals.background.enqueue).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    # A broker that accepts connections but never answers must not hang a
    # request thread either.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "sweep-sla-timers": {
        "task": "approvals.tasks.sweep_timers",
        "schedule": float(os.environ.get("TIMER_SWEEP_SECONDS", "60")),
    },
    "retry-permit-renderings": {
        "task": "approvals.tasks.render_pending_permits",
        "schedule": 300.0,
    },
    "retry-notifications": {
        "task": "approvals.tasks.deliver_pending_notifications",
        "schedule": 300.0,
    },
    "recompute-estimates": {
        "task": "approvals.tasks.recompute_estimates",
        "schedule": 3600.0,
    },
}

# --- the API (/api/) ---------------------------------------------------------
# Browsers use their session; machines (agents' systems, other government
# systems) a token from /api/auth/token/. Throttle rates are requests per
# second, minute, hour or day, per client address (anonymous) or per user.
API_THROTTLE_RATES = {
    "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
    "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
    "token": os.environ.get("API_THROTTLE_TOKEN", "10/minute"),
}
API_PAGE_SIZE_MAX = 100
# A token from /api/auth/token/ authenticates for this long, then a new one is needed;
# its owner revokes it at once with DELETE /api/auth/token/.
API_TOKEN_TTL_HOURS = float(os.environ.get("API_TOKEN_TTL_HOURS", "24"))
if not 0 < API_TOKEN_TTL_HOURS < 24 * 366:
    raise RuntimeError("API_TOKEN_TTL_HOURS must be more than 0 and less than a year.")
REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "approvals.api.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "approvals.api.common.Pagination",
    "PAGE_SIZE": PAGE_SIZE,
    "DEFAULT_THROTTLE_CLASSES": [
        "approvals.api.common.AnonThrottle",
        "approvals.api.common.UserThrottle",
    ],
    "EXCEPTION_HANDLER": "approvals.api.common.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "approvals.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hainan_window API",
    "DESCRIPTION": (
        "The single window for investment, for machines: the service catalogue, "
        "shared-data prefill, applications, official tasks, permits and the "
        "approval-time report. Every error has the same shape (Error)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: nothing from the internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "approvals.models.applications.ApplicationStatus",
        "ReviewDecisionEnum": "approvals.models.applications.ReviewDecision",
        "TaskDecisionEnum": ["approve", "reject"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
