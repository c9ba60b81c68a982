"""Serving the archive with Datasette: bundled metadata and the command line.

Owns ``metadata_path``, ``templates_path`` and ``datasette_args``.  Imports stdlib only: building
the argv must not import Datasette, so the crawler CLI stays fast.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Holds a one-line shim that registers archive.datasette_plugin; used only when
# the package is not installed (a plain checkout), where the
# ``datasette`` entry point of pyproject.toml does not exist.
PLUGINS_DIR = PACKAGE_DIR / "datasette_plugins"
ENTRY_POINT_NAME = "newsarchive"
# Datasette's facet suggestions try every column of a table on each page view
# (up to 50 ms each): 2 of the 3 s of the articles page at 100,000 articles
# (benchmarks/archive_scale.py).  The bundled facets and the columns' "Facet by
# this" menu remain.
# Datasette drops a facet whose query runs past facet_time_limit_ms (200 ms by
# default) without a word; at 100,000 articles the authors facet needs about
# 300 ms on two busy cores, and the page stays under 0.5 s with all facets.
FACET_TIME_LIMIT_MS = 1000
# The search box sorts every matching article by date: a word in 38% of the
# benchmark's 100,000 articles took 1.6 s, past Datasette's 1 s limit, and
# the page said "SQL Interrupted".  An archive is browsed by its owner, so a
# slow answer beats none.
SQL_TIME_LIMIT_MS = 5000
SETTINGS = {"suggest_facets": False, "facet_time_limit_ms": FACET_TIME_LIMIT_MS,
            "sql_time_limit_ms": SQL_TIME_LIMIT_MS}
SETTINGS_ARGS = ("--setting", "suggest_facets", "off",
                 "--setting", "facet_time_limit_ms", str(FACET_TIME_LIMIT_MS),
                 "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS))


def templates_path() -> Path:
    """Return the folder of the bundled Datasette templates (archive/templates)."""
    return PACKAGE_DIR / "templates"


def metadata_path() -> Path:
    """Return the path of the bundled Datasette metadata (archive/metadata.yaml)."""
    return PACKAGE_DIR / "metadata.yaml"


def datasette_args(db_path: str | Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """Return the arguments after ``datasette`` to serve the archive.

    Use as ``[sys.executable, "-m", "datasette", *datasette_args(...)]`` or
    ``["datasette", *datasette_args(...)]``.  The list starts with ``serve``
    and names the database, host, port, bundled metadata and templates.  When the
    newsarchive entry point is not installed it adds ``--plugins-dir`` so the
    CJK-aware search still loads (the served process must be able to import
    ``archive``: run it from the checkout or set PYTHONPATH).  Raises nothing.
    """
    args = [
        "serve",
        str(db_path),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(metadata_path()),
        "--template-dir",
        str(templates_path()),
        *SETTINGS_ARGS,
    ]
    if not _plugin_installed() and PLUGINS_DIR.is_dir():
        args += ["--plugins-dir", str(PLUGINS_DIR)]
    return args


def _plugin_installed() -> bool:
    return any(
        ep.value == "archive.datasette_plugin"
        for ep in entry_points(group="datasette", name=ENTRY_POINT_NAME)
    )
