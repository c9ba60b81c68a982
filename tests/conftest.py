"""Fixtures for the whole suite: no test may reach a proxy or the network."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy")


@pytest.fixture(scope="session", autouse=True)
def no_proxies() -> Iterator[None]:
    """Remove proxy variables so every request goes straight to loopback."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower() in PROXY_VARIABLES}
    yield
    os.environ.update(saved)
