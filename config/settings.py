"""Settings for the registry: every value comes from the environment, with a safe default.

Defaults are safe for production (DEBUG off, no hosts allowed, a SECRET_KEY required);
`make run` and `make test` set DEBUG=true for local work. See README.md for the list.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import envbool, envfloat, envint, envlist, envsecret, envstr
from config.setup import devdb

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", False)

SECRET_KEY = envsecret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) in the environment, or DEBUG=true.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "registry.backoffice.apps.RegisterAdminConfig",  # django.contrib.admin with a limited login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.gis",
    "django.contrib.postgres",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "geo",
    "registry",  # the domain: models, querysets, roles, actions, the shared filter set
    "registry.site.apps.SiteConfig",  # the public site
    "registry.backoffice.apps.BackofficeConfig",  # the maintainers' admin
    "registry.operations.apps.OperationsConfig",  # commands, backups, demo data, background jobs
    "config.apps.ProjectConfig",  # the deploy checks of the site's own settings (config/checks.py)
    "api",
    "opendata",
    "ogc",  # OGC API Features for GIS software
    "procrastinate.contrib.django",  # background jobs on PostgreSQL (registry/jobs.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.ApiHeadersMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Inside ConditionalGet: a 304 then carries no policy, and the browser keeps the page's own.
    "config.middleware.ContentSecurityPolicyMiddleware",
    "api.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body (CSRF reads the form), after the language is known.
    "config.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render with the project's templates too (the admin map widget lives in templates/geo/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "config.wsgi.application"

# Without DATABASE_URL: the project's own PostGIS cluster (config/setup/devdb.py).
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", devdb.default_url()),
        engine="config.postgis",  # PostGIS with a cheaper health check
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Settings of every connection's session. PostgreSQL's JIT compiler spends more time compiling
# than it saves on the register's queries (measured: 640 ms of the 1.6 s that the country-wide map
# data took): off, unless asked for. Parallel query: a web request's statement takes milliseconds,
# and starting a parallel worker for it (a new process) cost 12 ms of the 23 ms that a 1,000-feature
# box took on 2 cores, while the other requests wait for the same cores: none, unless asked for.
_SESSION_OPTIONS = ("" if envbool("DATABASE_JIT", False) else " -c jit=off") + (
    f" -c max_parallel_workers_per_gather={envint('DATABASE_PARALLEL_WORKERS', 0)}")
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = (_options.get("options", "") + _SESSION_OPTIONS).strip()
# Shared by every server process; REDIS_URL replaces them with Redis (below). `default` holds what
# counts per client (throttles, failed logins, suggestion limits) and sessions' helpers;
# `responses` the answers kept until the register changes (registry.caching), in a table of their
# own, so that no number of kept answers can evict a count.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "registry_cache",
        # Django's default of 300 entries would evict the throttle's counts of busy clients long
        # before they expire: a thousand visitors make more entries than that.
        "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 200_000)},
    },
    "responses": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "registry_response_cache",
        "OPTIONS": {"MAX_ENTRIES": envint("RESPONSE_CACHE_MAX_ENTRIES", 50_000)},
    },
}

# --- Scaling out: read replicas and Redis (docs/scaling.md) -------------------------------------
# Each URL in DATABASE_REPLICA_URLS becomes an alias replica1, replica2, … with the primary's
# engine, connection reuse, health checks and options (JIT off). Only with at least one replica
# is the router installed; it sends anonymous GET/HEAD reads there (config/replicas.py).
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(envlist("DATABASE_REPLICA_URLS", []), start=1):
    _replica = dj_database_url.parse(_url, engine=DATABASES["default"]["ENGINE"],
                                     conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True)
    # The primary's options unless the replica's URL names its own; session settings as on the primary.
    _own_options = _replica.get("OPTIONS", {})
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **_own_options}
    _replica["OPTIONS"]["options"] = (_own_options.get("options", "") + _SESSION_OPTIONS).strip()
    # A replica that cannot be reached is given up after this many seconds (libpq waits for ever by
    # default), unless its URL says otherwise (?connect_timeout=…; libpq's least is 2).
    _replica["OPTIONS"].setdefault("connect_timeout", 2)
    # Under test, a replica is the test database itself (it has no test database of its own).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
    # First, so the queries of every other middleware (sessions, authentication) are routed too.
    MIDDLEWARE.insert(0, "config.replicas.ReplicaReadsMiddleware")
# After a browser's POST that wrote, its reads stay on the primary this long (replication lag).
DATABASE_PRIMARY_STICKY_SECONDS = envint("DATABASE_PRIMARY_STICKY_SECONDS", 15)
# A replica that did not answer is left out by each app process this long, then tried again.
DATABASE_REPLICA_RETRY_SECONDS = envint("DATABASE_REPLICA_RETRY_SECONDS", 5)
if DATABASE_REPLICA_RETRY_SECONDS < 1:
    raise ImproperlyConfigured(
        f"DATABASE_REPLICA_RETRY_SECONDS must be 1 or more, not {DATABASE_REPLICA_RETRY_SECONDS}")

# With REDIS_URL (redis://host:6379/0, rediss://…, unix:///path/redis.sock?db=0), the shared cache
# (throttle counts, API response cache, suggestion limits) lives in Redis, and sessions are read
# from it too, with the database behind them (cached_db: a lost cache logs nobody out).
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Fail fast when Redis is away, rather than hold a worker until gunicorn's timeout.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    CACHES = {"default": _redis, "responses": {**_redis, "KEY_PREFIX": "responses"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# --- end of scaling out -------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# Our own date formats where Django's default for a language differs from the site's (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves the static files in every mode. In production (`make serve`) they are collected
# with content hashes in their names (STATIC_COLLECTED=true), so they can be cached for a year
# and compressed once; without a collected STATIC_ROOT they are served from the finders.
STATIC_COLLECTED = envbool("STATIC_COLLECTED", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COLLECTED else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = envbool("STATIC_FROM_FINDERS", not STATIC_COLLECTED)
if WHITENOISE_USE_FINDERS and not STATIC_ROOT.is_dir():
    # Serving from the finders needs no collected folder; WhiteNoise would warn at every start.
    warnings.filterwarnings("ignore", message=f"No directory at: {re.escape(str(STATIC_ROOT))}")
WHITENOISE_AUTOREFRESH = DEBUG
# Front-end libraries come from the npm registry (package.json) and are served as our own files.
NODE_MODULES = Path(envstr("NODE_MODULES", str(BASE_DIR / "node_modules")))
# The source maps go along: the scripts name them, and the hashed collection checks every reference.
NPM_STATIC_FILES = {
    "vendor/ol": ("ol", ["dist/ol.js", "dist/ol.js.map", "ol.css"]),
    "vendor/leaflet": ("leaflet/dist", ["leaflet.js", "leaflet.js.map", "leaflet.css", "images/*.png"]),
}
# The NL Design System (docs/design.md): the Utrecht component library's CSS for the elements the
# public pages use, one file each, and the design tokens of its example theme ("voorbeeld") that
# they read, served as one style sheet; registry/site.css sets our own palette on those tokens.
NLDS_COMPONENTS = ["root", "page-header", "page-footer", "skip-link", "heading-1", "heading-2", "heading-3",
                   "paragraph", "link", "button", "button-link", "form-fieldset", "form-field", "form-label",
                   "form-field-description", "form-field-error-message", "textbox", "textarea", "select",
                   "checkbox", "radio-button", "table", "alert"]
NPM_STATIC_BUNDLES = {
    "vendor/nlds/nlds.css": {
        "tokens": ["@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css"],
        "keep": ["--basis-"],  # the shared tier, which our own style sheets use too
        "files": [f"@utrecht/{name}-css/dist/index.css" for name in NLDS_COMPONENTS],
    },
}
NPM_BUNDLE_ROOT = Path(envstr("NPM_BUNDLE_ROOT", str(BASE_DIR / "var" / "npm-bundles")))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "config.staticfinders.NodeModulesFinder",
]

# The base map: PDOK BRT-Achtergrondkaart by default (free, Dutch national base map).
MAP_TILE_URL = envstr(
    "MAP_TILE_URL", "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
)
MAP_TILE_ATTRIBUTION = envstr(
    "MAP_TILE_ATTRIBUTION", '&copy; <a href="https://www.kadaster.nl">Kadaster</a> / PDOK BRT-Achtergrondkaart'
)

# The site's public address, for the links inside exported files written outside a request.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Who answers questions about the register, its API and its open data: the site's contact page
# unless another is set (a placeholder address sent the API's readers nowhere).
CONTACT_NAME = envstr("API_CONTACT_NAME", "Beheer register bewonersinitiatieven")
CONTACT_EMAIL_PLACEHOLDER = "register@example.org"  # check --deploy warns while it is the contact (config/checks.py)
CONTACT_EMAIL = envstr("API_CONTACT_EMAIL", CONTACT_EMAIL_PLACEHOLDER)
CONTACT_URL = envstr("API_CONTACT_URL", f"{SITE_URL}/contact")

# --- Backups (manage.py backup_register, restore_register) ------------------------------------
BACKUP_ROOT = Path(envstr("BACKUP_ROOT", str(BASE_DIR / "var" / "backups")))

# --- Open data ---------------------------------------------------------------------------------
OPENDATA_ROOT = Path(envstr("OPENDATA_ROOT", str(BASE_DIR / "var" / "opendata")))  # dated snapshots
OPENDATA_LICENSE_NAME = envstr("OPENDATA_LICENSE_NAME", "CC0-1.0")
OPENDATA_LICENSE_TITLE = envstr("OPENDATA_LICENSE_TITLE", "Creative Commons Zero v1.0 Universal")
OPENDATA_LICENSE_URL = envstr("OPENDATA_LICENSE_URL", "http://creativecommons.org/publicdomain/zero/1.0/")
OPENDATA_PUBLISHER_NAME = envstr("OPENDATA_PUBLISHER_NAME", "Register van bewonersinitiatieven")

# GDAL's converter, which writes the GeoPackage downloads.
OGR2OGR = envstr("OGR2OGR", "ogr2ogr")

# GDAL before 3.9 cannot block file and network access from spatial references. Debian 12 ships
# 3.6; the register parses geometries with GEOS (GeoJSON, WKT) and never hands users' spatial
# references to GDAL, so the warning is acknowledged here rather than printed on every command.
SILENCED_SYSTEM_CHECKS = envlist("SILENCED_SYSTEM_CHECKS", ["gis.W001"])

# --- Security (python manage.py check --deploy passes with the production defaults) ------------
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
# gunicorn speaks plain HTTP behind a proxy or load balancer that ends TLS and says so in
# X-Forwarded-Proto (it must overwrite that header from clients). Plain HTTP is sent to HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("TRUST_X_FORWARDED_PROTO", not DEBUG) else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer's health check asks over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the embed pages are exempt (registry.site.views.embed)
# Request bodies: forms and API writes are small; the admin's import takes files up to its own
# limit (registry.importing.MAX_UPLOAD_BYTES). Larger bodies are refused with 413 before reading.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# Failed admin logins: this many per account, or LOGIN_FAILURES_PER_ADDRESS per client address,
# within LOGIN_LOCKOUT_MINUTES lock further attempts until the window has passed.
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # procrastinate lists every task it registers, in every process that starts Django; WeasyPrint logs
    # each step of every PDF (the monitor's) and every CSS property its SVG reads from attributes instead.
    "loggers": {name: {"level": "WARNING"} for name in ("procrastinate.blueprints", "procrastinate.periodic",
                                                         "weasyprint.progress")}
    | {"weasyprint": {"level": "ERROR"}},
}

# --- Maintainers' workflow ----------------------------------------------------------------------
# A running initiative not verified for this many months is stale: marked on the site and in the API.
STALE_AFTER_MONTHS = envint("STALE_AFTER_MONTHS", 12)
# How long a verification link sent to an initiative stays valid.
VERIFICATION_LINK_DAYS = envint("VERIFICATION_LINK_DAYS", 60)
# How long a merge of two records can be undone (the removed record restored with its links and address).
MERGE_UNDO_DAYS = envint("MERGE_UNDO_DAYS", 30)
# Public forms (suggestions): submissions one address may make per hour.
SUGGESTIONS_PER_HOUR = envint("SUGGESTIONS_PER_HOUR", 5)

# The yearly verification loop (registry/campaigns.py): a running record is asked this many days before
# it goes stale, reminded after VERIFICATION_REMINDER_DAYS, and put on its region's editors' worklist
# after VERIFICATION_WORKLIST_DAYS without an answer. At most VERIFICATION_DAILY_CAP requests and
# reminders a day per province; VERIFICATION_SEND_PAUSE seconds between two messages (for the mail server).
VERIFICATION_LEAD_DAYS = envint("VERIFICATION_LEAD_DAYS", 30)
VERIFICATION_REMINDER_DAYS = envint("VERIFICATION_REMINDER_DAYS", 14)
VERIFICATION_WORKLIST_DAYS = envint("VERIFICATION_WORKLIST_DAYS", 30)
VERIFICATION_DAILY_CAP = envint("VERIFICATION_DAILY_CAP", 50)
VERIFICATION_SEND_PAUSE = envfloat("VERIFICATION_SEND_PAUSE", 0.0)

# --- Subscriptions and webhooks (registry/subscriptions.py, registry/webhooks.py; docs/webhooks.md) -----
# A subscription's confirmation link works this many days; an unconfirmed subscription goes after it.
SUBSCRIPTION_CONFIRM_DAYS = envint("SUBSCRIPTION_CONFIRM_DAYS", 7)
# Seconds between two digests (to spare the mail server).
SUBSCRIPTION_SEND_PAUSE = envfloat("SUBSCRIPTION_SEND_PAUSE", 0.0)
# When the worker delivers webhooks (cron, a sixth column for seconds).
WEBHOOKS_CRON = envstr("WEBHOOKS_CRON", "* * * * *")
# Seconds a receiver may take to answer (connecting and each read) before the attempt counts as failed.
WEBHOOK_TIMEOUT = envfloat("WEBHOOK_TIMEOUT", 5.0)
# A failed delivery is tried again after WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1), at most
# WEBHOOK_MAX_ATTEMPTS times; a webhook whose attempts failed WEBHOOK_DISABLE_AFTER times in a row is disabled.
WEBHOOK_RETRY_SECONDS = envfloat("WEBHOOK_RETRY_SECONDS", 60.0)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_DISABLE_AFTER = envint("WEBHOOK_DISABLE_AFTER", 10)
# Webhooks delivered at the same time (each in its own thread: a slow receiver holds up only its own).
WEBHOOK_CONCURRENCY = envint("WEBHOOK_CONCURRENCY", 8)
# Webhooks one account may register.
WEBHOOKS_PER_USER = envint("WEBHOOKS_PER_USER", 20)
# http:// to a loopback address (127.0.0.1, ::1) is allowed for a webhook only here: in development.
WEBHOOK_ALLOW_LOOPBACK = envbool("WEBHOOK_ALLOW_LOOPBACK", DEBUG)

# --- Background jobs (procrastinate, on this database; registry/jobs.py, docs/jobs.md) -------------
# A worker that sent no heartbeat for JOBS_STALLED_SECONDS is taken for dead (killed, its machine
# gone): its running jobs are retried by the next recovery (every minute, and when a worker starts).
JOBS_HEARTBEAT_SECONDS = envfloat("JOBS_HEARTBEAT_SECONDS", 10.0)
JOBS_STALLED_SECONDS = envfloat("JOBS_STALLED_SECONDS", 60.0)
# Finished jobs are deleted after this many days (failed ones are kept until retried or deleted).
JOBS_KEEP_DAYS = envint("JOBS_KEEP_DAYS", 14)
# A failed job is retried a bounded number of times (registry/jobs.py), after JOBS_RETRY_WAIT ** attempt s.
JOBS_RETRY_WAIT = envint("JOBS_RETRY_WAIT", 4)
# Whether workers defer the periodic schedules (registry/jobs.py); off only for a worker that must run
# just what it is given (the tests' simulated year drives the schedules' days itself).
JOBS_SCHEDULES = envbool("JOBS_SCHEDULES", True)
# When the recovery of stalled jobs runs (cron, a sixth column for seconds; tests check more often).
JOBS_RECOVERY_CRON = envstr("JOBS_RECOVERY_CRON", "* * * * *")
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
PROCRASTINATE_ON_APP_READY = "registry.jobs.on_app_ready"
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": JOBS_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": JOBS_STALLED_SECONDS,
}
# The daily open-data snapshot (opendata/tasks.py) keeps the snapshots of this many days.
OPENDATA_KEEP_DAYS = envint("OPENDATA_KEEP_DAYS", 30)

# E-mail to editors: printed to the console by default, written to files with
# EMAIL_BACKEND=file (EMAIL_FILE_PATH), or sent with EMAIL_BACKEND=smtp and EMAIL_HOST etc.
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}.get(envstr("EMAIL_BACKEND", "console"), envstr("EMAIL_BACKEND", "console"))
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", CONTACT_EMAIL)

# --- REST API v1 -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.MaintainerWritesOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": envstr("API_ANON_RATE", "600/minute")},
    "EXCEPTION_HANDLER": "api.exceptions.problem_exception_handler",
    "URL_FORMAT_OVERRIDE": "format",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": False,
    # Trusted reverse proxies in front; the throttle reads the client address behind them. Left
    # unset, DRF would believe any X-Forwarded-For header, and a client could dodge the limit.
    # Production runs behind one (TRUST_X_FORWARDED_PROTO): counted unless set otherwise.
    "NUM_PROXIES": envint("NUM_PROXIES", 0 if DEBUG else 1),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Register van bewonersinitiatieven – API",
    "DESCRIPTION": (
        "Open data about residents' initiatives and resident enterprises in the Netherlands: where they are, "
        "what they offer, who they work with and how they are financed. Read access is open to all; "
        "writing needs a maintainer's token (`Authorization: Token …`). Errors are RFC 9457 problem documents."
    ),
    "VERSION": "1.0.0",
    "CONTACT": {
        "name": CONTACT_NAME,
        "email": CONTACT_EMAIL,
        "url": CONTACT_URL,
    },
    "LICENSE": {"name": "CC0 1.0 (the data)", "url": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["api.schema.add_problem_responses"],
    "ENUM_NAME_OVERRIDES": {},
}

# Anonymous API reads are answered from the shared cache while the register is unchanged.
API_RESPONSE_CACHE = envbool("API_RESPONSE_CACHE", True)
# Public pages for anonymous visitors likewise (registry.caching.cached_page).
PAGE_CACHE = envbool("PAGE_CACHE", True)

CORS_URLS_REGEX = r"^/(api|ogc)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]  # reads only; writes come from servers with a token
CORS_EXPOSE_HEADERS = ["API-Version", "ETag", "Last-Modified", "Retry-After", "Content-Crs"]
