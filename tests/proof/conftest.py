from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: schemathesis against the OpenAPI schema (bounded; runs in CI)")
