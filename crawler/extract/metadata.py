"""Article metadata: title, dates, source/authors/editors, section, language and more.

``extract_metadata`` reads the parsed page (never changing it) and returns a
frozen ``Metadata``; each of title, date and source carries the label of
the rule that found it.  The order of work: machine-readable tags and
JSON-LD → headline → text lines around the headline (bylines, breadcrumb)
→ language and time zone → dates → people → links.  The rules live in
``titles``, ``dates``, ``bylines``, ``breadcrumbs`` and ``language``; the
tree reading in ``page``, ``regions`` and ``tags``; the scored choices in
``dating``, ``people`` and ``links``.  Imports stdlib,
lxml and python-dateutil only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import urlsplit

from .breadcrumbs import choose_breadcrumb
from .dates import PageDate, format_date, is_plausible, load_zone
from .dating import DateCandidate, collect_date_candidates, collect_modified_candidates
from .language import choose_language, default_zone_name
from .links import choose_canonical, choose_description, choose_image, choose_keywords
from .model import ExtractOptions
from .page import PageContext, read_context
from .parse import Document
from .people import choose_people

# A date-only winner takes the time of a same-day candidate at least this
# heavy (a byline within ~8 lines of the headline) or about as heavy as
# itself; a sidebar item of the same day says nothing about the article's hour.
MIN_REFINING_WEIGHT = 4.0


@dataclass(frozen=True)
class Metadata:
    """Everything about an article but its body, each value with its provenance."""

    title: str | None = None
    title_source: str | None = None
    published: str | None = None
    modified: str | None = None
    date_source: str | None = None
    source: str | None = None
    source_source: str | None = None
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    section: str | None = None
    breadcrumb: tuple[str, ...] = ()
    language: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    image: str | None = None
    keywords: tuple[str, ...] = ()
    # Text lines recognised as headline, byline or breadcrumb, so that the body
    # stage can drop their repetitions inside the article text.
    boilerplate_lines: tuple[str, ...] = ()


def extract_metadata(doc: Document, options: ExtractOptions) -> Metadata:
    """Return the page's metadata.  Reads ``doc.root`` and never changes it.

    Absent values are None or (); the function does not raise on odd pages.
    """
    context = read_context(doc)
    language = choose_language(context.declared_language, context.sample_text)
    zone = _choose_zone(doc, context, language, options)
    chinese = language == "zh"
    context.read_bylines(chinese=chinese, month_first=language in (None, "en"))
    published, date_source = _choose_date(collect_date_candidates(context), zone, options)
    modified, _ = _choose_date(collect_modified_candidates(context), zone, options)
    people = choose_people(context)
    breadcrumb, section, crumb_lines = choose_breadcrumb(context)
    boilerplate = context.boilerplate_lines() + crumb_lines
    return Metadata(
        title=context.title.text if context.title else None,
        title_source=context.title.source if context.title else None,
        published=published,
        modified=modified,
        date_source=date_source,
        source=people.source,
        source_source=people.source_source,
        authors=people.authors,
        editors=people.editors,
        section=section,
        breadcrumb=breadcrumb,
        language=language,
        description=choose_description(context),
        canonical_url=choose_canonical(context),
        image=choose_image(context),
        keywords=choose_keywords(context),
        boilerplate_lines=tuple(dict.fromkeys(line for line in boilerplate if line)),
    )


def _choose_zone(doc: Document, context: PageContext, language: str | None,
                 options: ExtractOptions) -> tzinfo | None:
    """Return the zone for dates the page gives without offset: site profile, else locale."""
    zone = load_zone(options.site_timezone)
    if zone is not None:
        return zone
    host = urlsplit(doc.url).hostname or "" if doc.url else ""
    return load_zone(default_zone_name(context.declared_language, language, doc.encoding, host))


def _choose_date(candidates: list[DateCandidate], zone: tzinfo | None,
                 options: ExtractOptions) -> tuple[str | None, str | None]:
    """Return (ISO date, label) of the best plausible candidate, refined by a same-day time."""
    plausible = [c for c in candidates if is_plausible(c.date, options.fetched_at)]
    if not plausible:
        return None, None
    best = max(plausible, key=lambda c: c.weight)
    if not best.date.has_time:
        floor = min(MIN_REFINING_WEIGHT, best.weight - 0.5)
        same_day = [c for c in plausible if c.date.has_time and c.weight >= floor
                    and _local_day(c.date, zone) == best.date.value.date()]
        if same_day:
            best = max(same_day, key=lambda c: c.weight)
    return format_date(best.date, zone), best.label


def _local_day(page_date: PageDate, zone: tzinfo | None) -> object:
    value = page_date.value
    if value.tzinfo is not None and zone is not None:
        value = value.astimezone(zone)
    return value.date()
