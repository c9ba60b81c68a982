"""Shim for ``datasette serve --plugins-dir``: loads archive.datasette_plugin.

Datasette executes this file by path, so it cannot use the package's entry
point; ``archive.browse.datasette_args`` passes this folder only when the
package is not installed.  Imports ``archive`` (appending the checkout to
sys.path if it is not importable yet).
"""

import sys
from pathlib import Path

_CHECKOUT = str(Path(__file__).resolve().parents[2])
if _CHECKOUT not in sys.path:
    sys.path.append(_CHECKOUT)

from archive.datasette_plugin import (  # noqa: E402
    get_metadata,
    prepare_connection,
    register_routes,
    render_cell,
)

__all__ = ["get_metadata", "prepare_connection", "register_routes", "render_cell"]
