"""Extraction benchmark: newsarchive beside trafilatura, in one process, on the same bytes.

Runs every page of ../shared/bench/zyte (181 English-mostly pages) and
../shared/bench/zh-dev (42 Chinese 2000s pages) through ``extract_article``
and trafilatura 2.3.1 (``pip install -e '.[bench]'``), scores both with the
benchmark's own ``score.py`` and prints precision, recall, F1, pages per second
of extraction CPU time (parsing included), median and 99th-percentile
milliseconds per page, and the five slowest pages.  The extractors take
each page in turn, back to back (paired timing), so that load from elsewhere
on a shared machine falls on both alike; ``--repeat N`` repeats the whole
pass and counts each page's best time (trafilatura's caches then favour it).

    python benchmarks/extraction.py                 # both sets, both extractors
    python benchmarks/extraction.py --only newsarchive --set zyte --per-page out.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract import ExtractionError, extract_article  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
_WRAPPER_ID_RE = re.compile(rb'^<text id="([^"]+)"')


def load_scorer():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_score", BENCH / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(name: str) -> tuple[dict, list[tuple[str, str, bytes]]]:
    folder = BENCH / name
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        raw = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        url = truth[key].get("url")
        if not url:
            # zh-dev pages are wrapped in <text id="URL" ...> by their dataset.
            match = _WRAPPER_ID_RE.match(raw)
            url = match.group(1).decode("utf-8", "replace") if match else f"http://{key}.invalid/"
        pages.append((key, url, raw))
    return truth, pages


def run_newsarchive(raw: bytes, url: str) -> str:
    try:
        return extract_article(raw, url=url).body
    except ExtractionError:
        return ""


def make_trafilatura() -> Callable[[bytes, str], str]:
    import trafilatura

    def run(raw: bytes, url: str) -> str:
        return trafilatura.extract(raw, url=url, include_comments=False) or ""

    return run


def run_one(extract: Callable[[bytes, str], str], key: str, url: str, raw: bytes,
            errors: list[str]) -> tuple[str, float]:
    """Extract one page; return its body and the CPU seconds it took."""
    start = time.process_time()
    try:
        body = extract(raw, url)
    except Exception as exc:  # a benchmark must report, not stop, on a crash
        body = ""
        errors.append(f"{key}: {type(exc).__name__}: {exc}")
    return body, time.process_time() - start


def measure(extractors: list[tuple[str, Callable[[bytes, str], str]]],
            pages: list[tuple[str, str, bytes]], repeat: int):  # type: ignore[no-untyped-def]
    """Run every extractor on each page in turn, page by page.

    Paired: both extractors see a page back to back, the first one
    alternating, so that load from elsewhere on a shared machine falls on
    both alike.  With ``repeat`` > 1 the whole pass is repeated and each
    page's best time counts.
    """
    results = {label: ({}, [[0.0] * len(pages) for _ in range(repeat)], []) for label, _ in extractors}
    for run in range(repeat):
        for index, (key, url, raw) in enumerate(pages):
            order = extractors if (index + run) % 2 == 0 else extractors[::-1]
            for label, extract in order:
                preds, times, errors = results[label]
                body, seconds = run_one(extract, key, url, raw, errors if run == 0 else [])
                times[run][index] = seconds
                if run == 0:
                    preds[key] = {"articleBody": body}
    return {label: (preds, [(min(t[i] for t in times), pages[i][0]) for i in range(len(pages))], errors)
            for label, (preds, times, errors) in results.items()}


def report(name: str, label: str, scorer, truth, preds, times, errors, cjk: bool) -> dict:  # type: ignore[no-untyped-def]
    bodies = {key: value["articleBody"] for key, value in preds.items()}
    result, per_page = scorer.score(truth, bodies, cjk=cjk, n_bootstrap=200)
    ms = sorted(t * 1000 for t, _ in times)
    total = sum(t for t, _ in times)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    row = {
        "set": name, "extractor": label, "f1": result["f1"], "precision": result["precision"],
        "recall": result["recall"], "pages_per_s": len(times) / total if total else 0.0,
        "median_ms": statistics.median(ms), "p99_ms": p99, "errors": errors,
        "slowest": sorted(times, reverse=True)[:5], "per_page": per_page,
    }
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=["zyte", "zh-dev", "both"], default="both")
    ap.add_argument("--only", choices=["newsarchive", "trafilatura", "both"], default="both")
    ap.add_argument("--per-page", type=Path, help="write newsarchive per-page scores here (jsonl)")
    ap.add_argument("--predictions", type=Path, help="write newsarchive predictions here (one file per set)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="passes over the pages; each page's best time counts "
                         "(the minimum is the least disturbed by other load, as in timeit)")
    args = ap.parse_args()
    scorer = load_scorer()
    sets = ["zyte", "zh-dev"] if args.set == "both" else [args.set]
    extractors: list[tuple[str, Callable[[bytes, str], str]]] = []
    if args.only in ("newsarchive", "both"):
        extractors.append(("newsarchive", run_newsarchive))
    if args.only in ("trafilatura", "both"):
        extractors.append(("trafilatura 2.3.1", make_trafilatura()))
    rows = []
    for name in sets:
        truth, pages = load_pages(name)
        measured = measure(extractors, pages, max(1, args.repeat))
        for label, _ in extractors:
            preds, times, errors = measured[label]
            row = report(name, label, scorer, truth, preds, times, errors, cjk=(name == "zh-dev"))
            rows.append(row)
            if label == "newsarchive" and args.per_page:
                out = args.per_page.with_name(f"{args.per_page.stem}.{name}{args.per_page.suffix}")
                with out.open("w", encoding="utf-8") as f:
                    for page in row["per_page"]:
                        f.write(json.dumps(page, ensure_ascii=False) + "\n")
            if label == "newsarchive" and args.predictions:
                out = args.predictions.with_name(f"{args.predictions.stem}.{name}.json")
                out.write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
    print(f"{'set':<7} {'extractor':<18} {'F1':>6} {'prec':>6} {'recall':>6} "
          f"{'pages/s':>8} {'med ms':>7} {'p99 ms':>7} {'errors':>6}")
    for r in rows:
        print(f"{r['set']:<7} {r['extractor']:<18} {r['f1']:6.3f} {r['precision']:6.3f} "
              f"{r['recall']:6.3f} {r['pages_per_s']:8.1f} {r['median_ms']:7.1f} "
              f"{r['p99_ms']:7.1f} {len(r['errors']):>6}")
    for r in rows:
        slow = ", ".join(f"{key[:8]} {t * 1000:.0f}ms" for t, key in r["slowest"])
        print(f"slowest {r['set']} {r['extractor']}: {slow}")
        for err in r["errors"]:
            print(f"  error {r['set']} {r['extractor']}: {err}")
    pairs = {(r["set"], r["extractor"]): r for r in rows}
    for name in sets:
        ours, theirs = pairs.get((name, "newsarchive")), pairs.get((name, "trafilatura 2.3.1"))
        if ours and theirs and theirs["pages_per_s"]:
            print(f"speed ratio on {name}: {ours['pages_per_s'] / theirs['pages_per_s']:.2f}x trafilatura")


if __name__ == "__main__":
    main()
