"""What the app serves: the index, the answering chain and the parsed plans, swapped whole.

Loaded once at startup. An upload or a delete changes the plans folder, rebuilds the index
and swaps in a new `Engine` and `Library`; requests already running keep the ones they
took (the previous build is kept on disk by `index.build`), and a replaced engine is closed
when the last of them ends, so a long-running service does not grow with its rebuilds
(`Served`). One lock serialises rebuilds.
If a rebuild fails, the plans folder is put back as it was and the old index stays served.
A build switched in by another process (another worker that took an upload, or
`plan-assistant index build`) is noticed within a second and opened in the background.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from assistant import llm
from assistant.api.library import Library
from assistant.api.logs import log
from assistant.api.metrics import Metrics
from assistant.chain import AnswerChain
from assistant.retrieve import Searcher
from index.build import IndexNotReady, Manifest, build_index, current_build
from index.catalog import CATALOG_FILE, CatalogError, add_entry, entry_for, read_catalog, remove_entry, restore
from index.chunk import chunk_document
from index.corpus import parse_document
from index.load import SUPPORTED_SUFFIXES, Limits, LoadError, TooLarge, load_bytes
from index.settings import Settings

FOLLOW_SECONDS = 1.0  # how often requests look for a build switched in by another process
RETRY_SECONDS = 30.0  # a switched-in build that failed to open is tried again after this long
_UNSAFE = re.compile(r"[^\w.\-() ]")  # \w is Unicode-aware: Japanese file names stay readable
_MAX_NAME_BYTES = 200  # file systems allow 255 bytes; room for the ".<name>.upload" of the partial file
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))})


@dataclass(frozen=True)
class PlanAbout:
    """What an uploader says of a plan that its text may not give: its title, English title and
    the names users call its institution (YNU, 横国)."""

    title: str = ""
    title_en: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.title or self.title_en or self.aliases)


class PlanError(Exception):
    """An upload or delete that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Engine:
    """One loaded index and the chain answering over it."""

    searcher: Searcher
    chain: AnswerChain

    @property
    def key(self) -> str:
        return self.searcher.key

    @classmethod
    def open(cls, settings: Settings, model: BaseChatModel | None) -> Engine:
        searcher = Searcher(settings)
        return cls(searcher, AnswerChain(searcher, model))

    def close(self) -> None:
        self.searcher.close()


def _return_freed_memory() -> None:
    """Collect the closed engine's objects and hand the freed heap back to the system: glibc
    keeps it otherwise, and a service rebuilt every few minutes grows by tens of MB an hour
    (measured: +84 MB RSS over 60 rebuilds without this, +10 MB with it)."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _glibc()


class Served:
    """The engine being served, and the engines it replaced that requests still use: each
    request leases the engine it starts with, and a replaced engine is closed when its last
    lease ends (at once when none is held)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Engine | None = None
        self._leases: dict[int, int] = {}  # id(engine) → requests using it

    def replace(self, engine: Engine | None) -> None:
        with self._lock:
            old, self.current = self.current, engine
            idle = old is not None and old is not engine and not self._leases.get(id(old))
        if idle:
            old.close()
            del old  # its objects are freed here, so the heap they leave can be returned
            _return_freed_memory()

    @contextmanager
    def lease(self) -> Iterator[Engine | None]:
        """The current engine, kept open until the block ends."""
        with self._lock:
            engine = self.current
            if engine is not None:
                self._leases[id(engine)] = self._leases.get(id(engine), 0) + 1
        try:
            yield engine
        finally:
            if engine is not None:
                with self._lock:
                    left = self._leases[id(engine)] = self._leases[id(engine)] - 1
                    if not left:
                        del self._leases[id(engine)]
                    retired = not left and engine is not self.current
                if retired:
                    engine.close()
                    del engine
                    _return_freed_memory()

    @property
    def leased(self) -> int:
        """Requests holding an engine now (for tests and metrics)."""
        with self._lock:
            return sum(self._leases.values())


class Service:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.served = Served()
        self.model = llm.chat_model(settings)  # one client for every engine: its connections outlive rebuilds
        self.reason: str | None = "the index has not been loaded yet"
        self.library = Library()
        self._lock = threading.Lock()
        self._checked = 0.0  # when the CURRENT file was last read (monotonic seconds)
        self._unopenable: str | None = None  # a live build that failed to open: not tried again for RETRY_SECONDS
        self._failed = 0.0  # when it failed (monotonic seconds)

    @property
    def engine(self) -> Engine | None:
        """The engine being served now; a request that uses it holds a `lease`."""
        return self.served.current

    def lease(self) -> AbstractContextManager[Engine | None]:
        return self.served.lease()

    def _open(self) -> tuple[Engine, Library]:
        """A new engine over the live build, and the plans it was built from."""
        engine = Engine.open(self.settings, self.model)
        try:
            return engine, Library.read(self.settings)
        except BaseException:
            engine.close()
            raise

    def _switch_in(self, engine: Engine | None, library: Library | None, reason: str | None) -> None:
        if library is not None:
            self.library = library
        self.reason = reason
        self.served.replace(engine)

    def close(self) -> None:
        """At shutdown: close the engine being served."""
        self.served.replace(None)

    def load(self) -> None:
        """Open the live index and parse the plans; a missing index leaves the service up but not ready."""
        library = Library.read(self.settings)
        try:
            self._switch_in(Engine.open(self.settings, self.model), library, None)
        except IndexNotReady as exc:
            self._switch_in(None, library, str(exc))
            log.warning("index not ready: %s", exc)
        except Exception as exc:  # noqa: BLE001 - any failure to open: serve health and say why
            self._switch_in(None, library, f"the index cannot be opened ({type(exc).__name__}: {exc})")
            log.exception("index cannot be opened")

    def follow_live_build(self) -> None:
        """Open the live build in the background if another process switched it in: reads
        the CURRENT file at most once a second, and never while this process rebuilds; a build
        that failed to open is tried again only after RETRY_SECONDS."""
        now = time.monotonic()
        if now - self._checked < FOLLOW_SECONDS:
            return
        self._checked = now
        live = current_build(self.settings.data_dir)
        served = self.engine.searcher.build if self.engine else None
        retry = live != self._unopenable or now - self._failed >= RETRY_SECONDS  # a failure may pass (a restarting store)
        if live and live != served and retry and self._lock.acquire(blocking=False):
            threading.Thread(target=self._reopen, args=(live,), name="reopen-index", daemon=True).start()

    def _reopen(self, live: str) -> None:
        try:
            self._switch_in(*self._open(), None)
            log.info("opened index %s, switched in by another process", live)
        except Exception:  # noqa: BLE001 - the engine already loaded keeps answering
            self._unopenable, self._failed = live, time.monotonic()
            log.exception("the index %s switched in by another process cannot be opened", live)
        finally:
            self._lock.release()

    @property
    def not_ready(self) -> str:
        """Why no question can be answered, and what to do about it."""
        reason = self.reason or "the index is not loaded"
        command = "plan-assistant index build" + (" --force" if "--force" in reason else "")
        reason = re.split(r":\s*(?:re)?build (?:it )?with `", reason)[0]  # the command is said once, below
        return f"the index is not ready ({reason}); run `{command}`"

    # --- uploads and deletes ------------------------------------------------------------

    def add_plan(self, filename: str, data: bytes, about: PlanAbout | None = None) -> tuple[str, Manifest]:
        """Check, save and index a plan file; return its document id and the new build's manifest.
        `about` is what the uploader says of it that its text may not (kept in the catalog)."""
        name = safe_name(filename)
        if len(data) > self.settings.max_upload_bytes:
            raise PlanError(413, f"the file is {len(data)} bytes; the limit is {self.settings.max_upload_bytes}")
        limits = Limits(max_pages=self.settings.max_upload_pages,
                        max_unpacked_bytes=self.settings.max_upload_unpacked_bytes)
        try:
            loaded = load_bytes(data, name, limits)
        except TooLarge as exc:
            raise PlanError(413, str(exc)) from None
        except LoadError as exc:
            raise PlanError(422, str(exc)) from None
        with self._lock:
            plans = self.settings.plans_dir
            try:
                entry = entry_for(Path(name), read_catalog(plans))
            except CatalogError as exc:
                raise PlanError(500, f"the plans catalog cannot be read ({exc}); fix it before uploading") from None
            if about is not None and about.given:
                entry = replace(entry, title=about.title or entry.title, title_en=about.title_en or entry.title_en,
                                aliases=tuple(dict.fromkeys((*entry.aliases, *about.aliases))))
            if (plans / name).exists():
                raise PlanError(409, f"a file named '{name}' is already in the plans; delete its document first")
            if entry.id in self.library.documents:
                raise PlanError(409, f"document '{entry.id}' already exists; delete it first to replace it")
            doc = parse_document(loaded, entry)
            if not chunk_document(doc, self.settings.chunk_max_tokens):
                raise PlanError(422, f"{name}: no text to index")
            catalogued = about is not None and about.given
            if catalogued:
                add_entry(plans, entry)
            partial = plans / f".{name}.upload"  # hidden: never read by a build until renamed
            partial.write_bytes(data)
            os.replace(partial, plans / name)
            try:
                manifest = self._rebuild()
            except Exception as exc:
                (plans / name).unlink(missing_ok=True)
                if catalogued:
                    remove_entry(plans, name)
                self._recover(exc)
                raise PlanError(500, f"the index could not be rebuilt ({type(exc).__name__}: {exc}); "
                                     "the upload was undone and the previous index is still served") from exc
            if entry.id not in self.library.documents:  # parsed above, so only a changed folder gets here
                log.warning("uploaded %s but document %s is not in the rebuilt corpus", name, entry.id)
            return entry.id, manifest

    def remove_plan(self, document_id: str) -> Manifest:
        """Delete a plan's file and rebuild; on failure the file is put back."""
        with self._lock:
            doc = self.library.documents.get(document_id)
            if doc is None:
                raise PlanError(404, f"unknown document '{document_id}' (known: {', '.join(self.library.documents) or 'none'})")
            if len(self.library.documents) == 1:
                raise PlanError(409, f"'{document_id}' is the only document; upload another before deleting it")
            path = self.settings.plans_dir / doc.source
            aside = path.with_name(f".{path.name}.deleted")  # hidden, kept until the rebuild succeeds
            os.replace(path, aside)
            catalog = remove_entry(self.settings.plans_dir, path.name)
            try:
                manifest = self._rebuild()
            except Exception as exc:
                os.replace(aside, path)
                restore(self.settings.plans_dir, catalog)
                self._recover(exc)
                raise PlanError(500, f"the index could not be rebuilt ({type(exc).__name__}: {exc}); "
                                     "the document was kept and the previous index is still served") from exc
            aside.unlink(missing_ok=True)
            return manifest

    def _rebuild(self) -> Manifest:
        manifest, _ = build_index(self.settings, progress=False)
        engine, library = self._open()
        self._switch_in(engine, library, None)
        self.metrics.rebuilds.labels(result="ok").inc()
        log.info("index rebuilt: %s (%s documents, %.2f s)", manifest.key, len(library.documents), manifest.seconds)
        return manifest

    def _recover(self, exc: Exception) -> None:
        """After a failed rebuild with the plans folder restored: if the failed build was already
        switched in, build the restored plans again, so what is live matches what is served."""
        self.metrics.rebuilds.labels(result="failed").inc()
        log.error("index rebuild failed: %s: %s", type(exc).__name__, exc)
        served = self.engine.key if self.engine else None
        live = current_build(self.settings.data_dir)
        if served is None or (live and live.startswith(f"{served}-")):
            return  # nothing was switched in: the old build is still the live one
        try:
            self._rebuild()
        except Exception:  # noqa: BLE001 - the old engine stays in memory and keeps answering
            log.exception("rebuilding the restored plans failed too")


_MAX_ALIAS = 100


def plan_about(title: str = "", title_en: str = "", aliases: list[str] | tuple[str, ...] = ()) -> PlanAbout:
    """An uploader's metadata, checked: one line each, no control characters, aliases short."""
    fields = [title, title_en, *aliases]
    if any(unicodedata.category(ch) in ("Cc", "Cs") for text in fields for ch in text):
        raise PlanError(422, "titles and aliases must be one line of text, without control characters")
    names = tuple(dict.fromkeys(a.strip() for a in aliases if a.strip()))
    if any(len(a) > _MAX_ALIAS for a in names):
        raise PlanError(422, f"an alias may be at most {_MAX_ALIAS} characters")
    return PlanAbout(title.strip(), title_en.strip(), names)


def safe_name(filename: str | None) -> str:
    """A plan file name that stays inside the plans folder and that a build will read."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise PlanError(415, f"unsupported file type '{suffix or name or '(none)'}' (supported: {supported})")
    name = _UNSAFE.sub("_", name)  # NUL, control characters, separators, shell and URL syntax
    stem = Path(name).stem.lower()
    if (name.startswith(".") or len(name.encode()) > _MAX_NAME_BYTES or name == CATALOG_FILE
            or stem in ("", "readme") or stem.split(".")[0].rstrip(" ") in _RESERVED):
        raise PlanError(422, f"{filename!r} cannot be used as a plan file name")
    return name
