"""Settings fail closed: production without secrets refuses to boot; --deploy is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser fixture for its own process only.
        if k not in {"SECRET_KEY", "DEBUG", "FIELD_ENCRYPTION_KEY", "GOVSERVICE_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "govservice.settings"
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_without_secret_key_and_debug_off_the_app_refuses_to_boot():
    result = _run("import django; django.setup()")
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_without_field_encryption_key_in_production_the_app_refuses_to_boot():
    result = _run("import django; django.setup()", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = _run(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="x" * 60,
        FIELD_ENCRYPTION_KEY="k" * 40,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_mode_boots_without_secrets_for_development():
    result = _run("import django; django.setup(); from django.conf import settings; print(settings.DEBUG)", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_check_deploy_is_clean_under_production_settings():
    result = _run(
        "import sys; from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        SECRET_KEY="a-long-random-production-secret-key-with-enough-entropy-0123456789",
        FIELD_ENCRYPTION_KEY="production-field-key",
        ALLOWED_HOSTS="govservice.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_malformed_boolean_setting_is_an_error_not_a_guess():
    result = _run("import django; django.setup()", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_single_sign_on_switched_on_without_its_platform_refuses_to_boot():
    result = _run("import django; django.setup()", DEBUG="1", OIDC_ENABLED="1", OIDC_OP_ISSUER="https://idp.example")
    assert result.returncode != 0
    assert "OIDC_ENABLED is on but OIDC_OP_AUTHORIZATION_ENDPOINT" in result.stderr


def test_single_sign_on_refuses_a_shared_secret_algorithm():
    endpoints = {
        name: "https://idp.example/x"
        for name in (
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
        )
    }
    result = _run("import django; django.setup()", DEBUG="1", OIDC_ENABLED="1", OIDC_RP_SIGN_ALGO="HS256", **endpoints)
    assert result.returncode != 0
    assert "OIDC_RP_SIGN_ALGO must be an asymmetric algorithm" in result.stderr
    result = _run(
        "import django; django.setup(); from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS[-1])",
        DEBUG="1",
        OIDC_ENABLED="1",
        **endpoints,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "staff.sso.StaffOIDCBackend"
    result = _run(
        "import django; django.setup(); from django.conf import settings; print(*settings.SECURE_CSP['form-action'])",
        DEBUG="1",
        OIDC_ENABLED="1",
        OIDC_OP_END_SESSION_ENDPOINT="https://idp.example.gov.cn:8443/oauth2/logout?x=1",
        **endpoints,
    )
    # Signing out posts a form that redirects to the platform: CSP's form-action must allow its origin.
    assert result.stdout.strip() == "'self' https://idp.example.gov.cn:8443", result.stderr
