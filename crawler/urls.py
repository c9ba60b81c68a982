"""URL identity for crawls: one canonical string per page, and host checks.

``canonicalize_url`` turns the many spellings of one page's URL into a single
key, which the frontier (``archive.frontier``) uses to remember what it has
seen.  It is an identity key only: the crawler still fetches the URL as it
found it.  ``url_host`` and ``in_hosts`` decide whether a link stays inside a
site's allowed hosts.  Pure functions, stdlib only.

Choices made for the key:

* ``http`` and ``https`` are one page: both become ``https`` (sites moved to
  https in the 2010s and old pages link the http form of the same article).
* The host is lower-cased and an internationalised name is written in its
  ASCII (punycode) form; default ports (80, 443) are dropped; ``www.`` is kept
  (``www.example.com`` and ``example.com`` may be different sites).
* Percent-escapes get upper-case hex, unreserved characters are unescaped,
  and non-ASCII characters are percent-encoded as UTF-8, so ``/新闻/`` and
  ``/%E6%96%B0%E9%97%BB/`` are one path.  Escapes of other bytes (a GBK
  ``%D0%C2``) are kept as they are.
* ``.``/``..`` segments are resolved, ``//`` collapsed, a trailing
  ``index.html`` (and kin) and a trailing slash removed (except the root).
* Tracking parameters are removed; the others are sorted; ``a`` and ``a=``
  are the same parameter; an empty query disappears.  The fragment is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

# Query parameters that only say where a visitor came from.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "spm", "from", "share", "ref_src", "ref_url", "igshid", "_ga", "_gl", "_hsenc", "_hsmi",
    "mkt_tok", "scm", "share_token", "sharesource", "wt.mc_id", "cmpid", "s_cid", "vd_source",
    "isappinstalled",
})
TRACKING_PREFIXES = ("utm_", "pk_", "hmsr")
# Last path segments that name a folder's default page.
INDEX_FILES = frozenset({
    "index.html", "index.htm", "index.shtml", "index.php", "default.asp", "default.aspx",
})
DEFAULT_PORTS = {"http": 80, "https": 443}

_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left alone when percent-encoding a path or query part.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*+,;-._~%?"
_SLASHES_RE = re.compile(r"/{2,}")


def canonicalize_url(url: str) -> str:
    """Return the identity key of ``url`` (see the module docstring for the rules).

    URLs that are not http(s) come back with only scheme and host lower-cased
    and the fragment dropped.  Raises ValueError for a URL urllib cannot split
    (a bad IPv6 literal, a non-numeric port).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _normal_host(parts.hostname or "")
    port = parts.port
    if scheme not in DEFAULT_PORTS:
        netloc = parts.netloc.lower()
        return urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit(("https", netloc, _normal_path(parts.path), _normal_query(parts.query), ""))


def url_host(url: str) -> str:
    """Return the lower-cased host of ``url`` (ASCII form, no port); "" if it has none."""
    try:
        return _normal_host(urlsplit(url.strip()).hostname or "")
    except ValueError:
        return ""


def in_hosts(url: str, hosts: Iterable[str]) -> bool:
    """Return True when ``url``'s host is one of ``hosts`` or a subdomain of one.

    A leading ``www.`` is ignored on both sides, so ``example.com`` allows
    ``www.example.com`` and ``news.example.com``.  Entries of ``hosts`` may
    be bare host names or URLs.
    """
    host = _strip_www(url_host(url))
    if not host:
        return False
    for allowed in hosts:
        allowed = _strip_www(url_host(allowed) if "/" in allowed else _normal_host(allowed))
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _normal_escapes(text: str, safe: str) -> str:
    """Upper-case escapes, unescape unreserved characters, escape non-ASCII."""
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE_RE.sub(fix, text), safe=safe)


def _normal_path(path: str) -> str:
    path = _SLASHES_RE.sub("/", _normal_escapes(path, _PATH_SAFE)) or "/"
    path = _remove_dot_segments(path)
    head, _, last = path.rpartition("/")
    if last.lower() in INDEX_FILES:
        path = head + "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path that starts with "/"."""
    output: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _normal_query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        if _is_tracking(unquote_plus(name).strip().lower()):
            continue
        pairs.append((_normal_escapes(name, _QUERY_SAFE), _normal_escapes(value, _QUERY_SAFE)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)
