"""Page analysis off the reactor: a pool of worker processes running ``analyze_page``.

Extraction is CPU work (parsing, scoring) that would otherwise run on the one
reactor thread and hold up every download.  ``ExtractionPool`` sends each
page to a ``concurrent.futures.ProcessPoolExecutor`` of
``CRAWL_EXTRACT_PROCESSES`` workers (default ``os.cpu_count()``; 0 or 1 runs
``analyze_page`` in the crawl's own process, as the unit tests may) and
awaits the answer on the asyncio loop, so the reactor keeps downloading and
storing meanwhile.  Inputs and outputs are plain values (bytes, str, dict,
the frozen ``ExtractOptions``, ``PageAnalysis`` and ``Article``); an
``ExtractionError`` travels back as its reason, since exceptions with
keyword fields do not survive pickling.

Workers start with the ``spawn`` method: a forked copy of the crawl process
would carry the reactor, its threads and its open SQLite connection, and
``forkserver`` workers are children of the fork server, which outlives a
killed crawl as long as they do.  Spawned workers are the crawl's own
children: they ignore SIGINT (the crawl shuts them down) and exit when the
crawl process is gone, even after a SIGKILL.  Starting two costs about
half a second (``crawl/time/pool_start_seconds``).  A crashed worker (``BrokenProcessPool``) or an unexpected exception
in the extractor fails that page only (``PageFailure``); the pool is
replaced and the crawl goes on.  Imports the stdlib and crawler.extract.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Mapping

from crawler.extract import ExtractionError, ExtractOptions
from crawler.extract.analyze import PageAnalysis, analyze_page

logger = logging.getLogger(__name__)

# The start method of the workers and what their server process imports once.
WORKER_START_METHOD = "spawn"
# A worker whose crawl died (SIGKILL) notices within this many seconds and
# exits, instead of holding the crawl's stdout and stderr open for ever.
PARENT_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class PoolAnswer:
    """What a worker returns: the analysis, or the reason extraction gave up."""

    analysis: PageAnalysis | None
    error_reason: str | None
    cpu_seconds: float


class PageFailure(Exception):
    """Extraction of one page failed for a reason other than the page itself:
    the worker crashed (``extract_worker_crashed``) or the extractor raised
    something unexpected (``extract_failed``)."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason
        self.url = url


Analyzer = Callable[[bytes, str, Mapping[str, str], ExtractOptions], PageAnalysis]


def analyze_in_worker(body: bytes, url: str, headers: dict[str, str],
                      options: ExtractOptions, analyzer: Analyzer = analyze_page) -> PoolAnswer:
    """Run ``analyzer`` (``analyze_page``) on one page; return a PoolAnswer.

    Runs in a worker process, or in the crawl's own process when the pool is
    off.  ExtractionError becomes ``error_reason``; anything else propagates.
    """
    started = time.process_time()
    try:
        analysis: PageAnalysis | None = analyzer(body, url, headers, options)
        reason = None
    except ExtractionError as exc:
        analysis, reason = None, exc.reason
    return PoolAnswer(analysis, reason, time.process_time() - started)


def prepare_worker() -> None:
    """Set up a worker process: leave Ctrl-C to the crawl, and exit when orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ExtractionPool:
    """Analyze pages in ``processes`` worker processes (in-process for 0 or 1)."""

    def __init__(self, processes: int, analyzer: Analyzer = analyze_page) -> None:
        self.processes = processes
        self.analyzer = analyzer
        self.executor: Executor | None = None

    @classmethod
    def from_setting(cls, value: object) -> "ExtractionPool":
        """Return a pool sized by CRAWL_EXTRACT_PROCESSES (None: one per core).

        Raises ValueError naming the setting for a value that is not a
        whole number from 0 up.
        """
        if value is None or value == "":
            return cls(os.cpu_count() or 1)
        try:
            processes = int(str(value))
        except ValueError:
            processes = -1
        if processes < 0:
            raise ValueError(f"CRAWL_EXTRACT_PROCESSES must be a whole number from 0 up "
                             f"(0 or 1: extract in the crawl's process), not {value!r}")
        return cls(processes)

    @property
    def in_process(self) -> bool:
        return self.processes <= 1

    def start(self) -> None:
        """Start the worker processes and wait until they run (nothing for an
        in-process pool), so their start-up cost is paid, and seen, at once."""
        if not self.in_process and self.executor is None:
            self.executor = self._new_executor()
            self.executor.submit(os.getpid).result()

    def _new_executor(self) -> Executor:
        context = multiprocessing.get_context(WORKER_START_METHOD)
        return ProcessPoolExecutor(max_workers=self.processes, mp_context=context,
                                   initializer=prepare_worker)

    def shutdown(self) -> None:
        """Stop the workers; pages still waiting are cancelled."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    async def analyze(self, body: bytes, url: str, headers: dict[str, str],
                      options: ExtractOptions) -> PoolAnswer:
        """Return the PoolAnswer of one page.

        Raises PageFailure when a worker crashed or the extractor raised
        anything but an ExtractionError.
        """
        try:
            if self.in_process:
                return analyze_in_worker(body, url, headers, options, self.analyzer)
            self.start()
            executor = self.executor
            assert executor is not None
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(executor, analyze_in_worker, body, url,
                                                  headers, options, self.analyzer)
            except BrokenProcessPool as exc:
                self._replace(executor)
                raise PageFailure("extract_worker_crashed", url) from exc
        except PageFailure:
            raise
        except Exception as exc:  # one bad page must not stop the crawl
            logger.exception("Extraction of %s failed", url)
            raise PageFailure("extract_failed", url) from exc

    def _replace(self, broken: Executor) -> None:
        """Put a new executor in place of ``broken`` (once, however many pages failed)."""
        if self.executor is broken:
            logger.error("An extraction worker died; starting new workers")
            broken.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new_executor()
