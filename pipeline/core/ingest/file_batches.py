"""Raw files parsed and transformed in batches, the batches on every core.

A batch is transformed together (one language-detection pass, polars over columns of
tens of thousands of records) and bounded in bytes, so its intermediate columns fit.

Reading a scrape is Python (the readers cut entries line by line) and holds the GIL:
two threads over a batch's files took 6.42 s where one took 6.28. So a run with more
than one batch to do spreads the batches over worker processes, one per core. Each
worker stores its batches' entries itself, so no record crosses a process boundary:
the parent hears, per file, how it was stored, plus the worker's new language
detections (for the persistent cache) and its counts.

A worker starts with the language cache the run began with and grows its own copy; a
text two workers both meet is detected twice, with the same answer (detection is
deterministic per text), so only the counts can differ from a run in one process.
Workers are spawned, not forked: polars' thread pool does not survive a fork.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.ingest.entries import FileOutput, FileOutputStore, RawFile, RecordSettings
from pipeline.core.ingest.raw_files import read_or_reject, refused_row
from pipeline.core.ingest.raw_listing import display_name
from pipeline.core.names import Progress, usable_cores
from pipeline.core.transform.language import DEFAULT_ENGINE, Engine
from pipeline.core.transform.records import transform_records

# Raw bytes transformed together: about 40k records of the sample's shape, ~1.5 GB of
# intermediate columns at most, which is what each worker process may hold at once.
BATCH_BYTES = 48 * 1024 * 1024
BATCH_PEAK_BYTES = 1536 * 1024 * 1024


def transform_files(
    files: Sequence[RawFile],
    settings: RecordSettings,
    language_cache: pl.DataFrame,
    workers: int | None = None,
    progress: Progress | None = None,
    language_engine: Engine = DEFAULT_ENGINE,
) -> tuple[list[FileOutput], pl.DataFrame, dict[str, int]]:
    """Parse and transform ``files`` together (one language-detection pass, on
    ``workers`` threads); returns each file's output, the grown language cache and
    language-detection counts. ``language_engine`` is not part of the entries' key: every
    engine gives langdetect's answers."""
    rows: list[dict] = []
    raw_rows: list[dict] = []
    for raw in files:
        name = display_name(raw.relative)  # the name as the tables spell it
        if raw.refused:
            row, records = refused_row(name, raw.refused), []
        else:
            row, records = read_or_reject(raw.path, name, settings.field_map)
        rows.append(row)
        raw_rows.extend(records)
    raw_records = schema.conform(
        pl.DataFrame(raw_rows, schema=schema.RAW_RECORDS), schema.RAW_RECORDS, "raw_records"
    )
    result = transform_records(
        raw_records,
        language_cache,
        settings.languages,
        workers=workers,
        bounds=settings.bounds,
        progress=progress,
        language_engine=language_engine,
    )
    by_file = result.records.partition_by("source_file", as_dict=True, maintain_order=True)
    empty = result.records.clear()
    outputs = [
        FileOutput(file_row=row, records=by_file.get((row["source_file"],), empty)) for row in rows
    ]
    return outputs, result.language_cache, result.language_stats


def batches(files: Sequence[RawFile], max_bytes: int = BATCH_BYTES) -> Iterator[list[RawFile]]:
    """Consecutive groups of files of at most ``max_bytes`` (a larger file goes alone)."""
    batch: list[RawFile] = []
    size = 0
    for raw in files:
        n = _size(raw)
        if batch and size + n > max_bytes:
            yield batch
            batch, size = [], 0
        batch.append(raw)
        size += n
    if batch:
        yield batch


def _size(raw: RawFile) -> int:
    try:
        return raw.path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class StoredFile:
    """One file of a batch after storing: the file as stored (its hash that of the bytes
    parsed), or None with the output itself when it could not be stored (unreadable)."""

    raw: RawFile
    stored_as: RawFile | None
    unstored: FileOutput | None


@dataclass(frozen=True)
class BatchResult:
    """A batch's files as stored, the language detections it added to the cache it
    started with, and its language-detection counts."""

    files: list[StoredFile]
    new_detections: pl.DataFrame
    language_stats: dict[str, int]


def transform_and_store(
    batch: Sequence[RawFile],
    store: FileOutputStore,
    settings: RecordSettings,
    cache: pl.DataFrame,
    threads: int | None,
    language_engine: Engine,
) -> BatchResult:
    """Transform ``batch`` (language detection on ``threads``) and store every file's
    entry; a file that cannot be stored keeps its output in the result."""
    outputs, grown, stats = transform_files(
        batch, settings, cache, threads, language_engine=language_engine
    )
    files = []
    for raw, output in zip(batch, outputs, strict=True):
        stored_as = store.put(raw, output)
        files.append(StoredFile(raw, stored_as, output if stored_as is None else None))
    return BatchResult(files, grown.slice(cache.height), stats)


def transform_batches(
    batches: Sequence[Sequence[RawFile]],
    store: FileOutputStore,
    settings: RecordSettings,
    cache: pl.DataFrame,
    workers: int | None,
    language_engine: Engine,
) -> Iterator[BatchResult]:
    """Each batch's result, in order: in this process when there is one batch or one
    worker, else in that many processes (``workers``: None or 0 for every core this
    process may use, as many as the available memory holds batches)."""
    processes = min(workers or usable_cores(), len(batches), _batches_memory_holds())
    if processes <= 1:
        for batch in batches:
            result = transform_and_store(batch, store, settings, cache, workers, language_engine)
            cache = pl.concat([cache, result.new_detections])
            yield result
        return
    pool = ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(cache, os.getpid()),
    )
    try:
        futures = [
            pool.submit(_worker_batch, batch, store, settings, language_engine) for batch in batches
        ]
        for future in futures:
            yield future.result()
    except BaseException:  # a failed batch, an interrupted or abandoned run
        _stop(pool)
        raise
    pool.shutdown()


def _batches_memory_holds() -> int:
    """How many batches the available memory holds at once (at least one), from
    Linux's MemAvailable; unbounded where it cannot be read."""
    try:
        lines = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
        fields = dict(line.split(":", 1) for line in lines)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return 1 << 16
    return max(1, available // BATCH_PEAK_BYTES)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the workers now, then drop the batches not started: ``shutdown`` alone would
    let them finish their batches, and a terminated run must not keep writing. Killed
    first: a worker that exits cleanly on shutdown's sentinel is replaced by the pool
    (Python 3.11's executor manager respawns after a clean exit), and the replacement
    would outlive this; killed workers make the pool broken, which respawns nothing."""
    workers = list((pool._processes or {}).values())  # shutdown forgets them (3.11-3.13)
    for process in workers:
        process.kill()
    for process in workers:
        process.join()
    pool.shutdown(wait=True, cancel_futures=True)


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# A worker's language cache: the run's starting cache, grown by its own batches.
_worker_cache: pl.DataFrame | None = None


def _start_worker(cache: pl.DataFrame, parent: int) -> None:
    """A worker's start: the run's language cache, and death with the run's process."""
    global _worker_cache
    _worker_cache = cache
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Have Linux kill this worker when the run's process dies, even by SIGKILL (which
    runs no clean-up in the parent): an orphan would go on writing entries."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # adopted: the parent died before prctl took effect
            os._exit(1)


def _worker_batch(
    batch: Sequence[RawFile],
    store: FileOutputStore,
    settings: RecordSettings,
    language_engine: Engine,
) -> BatchResult:
    """One batch in a worker: one detection thread, since every core has a worker."""
    global _worker_cache
    assert _worker_cache is not None, "the pool's initializer sets the cache"
    result = transform_and_store(batch, store, settings, _worker_cache, 1, language_engine)
    _worker_cache = pl.concat([_worker_cache, result.new_detections])
    return result
