"""Tracking URIs → stores.

=====================================  ============================================
URI                                    store
=====================================  ============================================
(nothing set)                          ``./runlab/``: ``runlab.db`` + ``artifacts/``
a directory path, or ``file:`` URI     that folder: ``runlab.db`` + ``artifacts/``
``sqlite:///path/to/file.db``          that file; artifacts in ``artifacts/`` beside it
``postgresql://user@host/db``          PostgreSQL; artifacts under the artifact root
``mysql://user@host/db``               MySQL or MariaDB (PyMySQL); artifacts likewise
``http(s)://host:port``                a tracking server (runlab's or MLflow's)
=====================================  ============================================

Resolution order: the explicit argument, ``runlab.set_tracking_uri()``, then the
``RUNLAB_TRACKING_URI`` environment variable, then the default. New schemes register
a factory with :func:`register_store`.

The model registry lives behind the same URIs: :func:`get_registry_store` gives the
registry of a URI. For the SQL schemes it shares the tracking store's database; other
schemes plug theirs in with :func:`register_registry_store`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from runlab import environment_variables as env
from runlab.errors import InvalidInputError
from runlab.store.base import TrackingStore
from runlab.store.registry_base import RegistryStore

TRACKING_URI_ENV = env.RUNLAB_TRACKING_URI.name
ARTIFACT_ROOT_ENV = env.RUNLAB_ARTIFACT_ROOT.name
DEFAULT_DIR = "runlab"
DB_FILE = "runlab.db"

StoreFactory = Callable[[str, "str | None"], TrackingStore]
_factories: dict[str, StoreFactory] = {}
_stores: dict[tuple[str, str | None], TrackingStore] = {}
_lock = threading.Lock()
RegistryStoreFactory = Callable[[str, "str | None"], RegistryStore]
_registry_factories: dict[str, RegistryStoreFactory] = {}
_registry_stores: dict[tuple[str, str | None], RegistryStore] = {}
_chosen_uri: str | None = None  # set by runlab.set_tracking_uri()


def register_store(scheme: str, factory: StoreFactory) -> None:
    """Route URIs with ``scheme`` to ``factory(uri, artifact_root)``."""
    _factories[scheme] = factory


def default_tracking_uri() -> str:
    return str(Path.cwd() / DEFAULT_DIR)


def set_chosen_uri(uri: str | None) -> None:
    """Record the process-wide choice of ``runlab.set_tracking_uri()`` (None forgets it)."""
    global _chosen_uri
    _chosen_uri = uri


def resolve(uri: str | None) -> str:
    """The URI that applies when ``uri`` (an explicit choice) may be None, with relative
    local paths made absolute, so a later change of directory does not move the store."""
    chosen = (
        str(uri) if uri else _chosen_uri or env.RUNLAB_TRACKING_URI.get() or default_tracking_uri()
    )
    scheme = _scheme(chosen)
    if scheme == "":
        return str(Path(chosen).expanduser().resolve())
    if scheme == "sqlite" and chosen.startswith("sqlite:///") and ":memory:" not in chosen:
        raw, _, query = chosen[len("sqlite:///") :].partition("?")
        path = Path(unquote(raw)).expanduser().resolve()
        return f"sqlite:///{path}" + (f"?{query}" if query else "")
    return chosen


def _scheme(uri: str) -> str:
    parsed = urlparse(uri)
    # "C:\\x" parses with a one-letter scheme; treat that as a path too.
    if len(parsed.scheme) <= 1:
        return ""
    return parsed.scheme.split("+", 1)[0].lower()


def _path_of_file_uri(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidInputError(f"tracking URI {uri!r}: file URIs must not name a host")
    return Path(unquote(parsed.path))


def local_folder_store(folder: Path, artifact_root: str | None) -> TrackingStore:
    from runlab.store.sql.store import SqlStore

    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"tracking URI {str(folder)!r} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    root = artifact_root or (folder / "artifacts").as_uri()
    return SqlStore(f"sqlite:///{folder / DB_FILE}", root)


def _sqlite_store(uri: str, artifact_root: str | None) -> TrackingStore:
    from runlab.store.sql.store import SqlStore

    prefix, _, raw = uri.partition(":///")
    if not raw or raw.startswith(":memory:") or not prefix.startswith("sqlite"):
        raise InvalidInputError(
            f"tracking URI {uri!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db "
            "(in-memory databases are not supported)"
        )
    path = Path(unquote(raw.split("?", 1)[0])).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = artifact_root or (path.parent / "artifacts").as_uri()
    return SqlStore(f"sqlite:///{path}", root)


def _server_database_store(uri: str, artifact_root: str | None) -> TrackingStore:
    """PostgreSQL or MySQL: the database holds no files, so artifacts go to the root."""
    from runlab.store.sql.store import SqlStore

    root = artifact_root or env.RUNLAB_ARTIFACT_ROOT.get()
    if not root:
        root = (Path.cwd() / DEFAULT_DIR / "artifacts").as_uri()
    return SqlStore(uri, root)


def _rest_store(uri: str, artifact_root: str | None) -> TrackingStore:
    from runlab.store.rest import RestStore

    # The server decides where artifacts go; a local artifact root has no say in it.
    return RestStore(uri)


register_store("sqlite", _sqlite_store)
register_store("postgresql", _server_database_store)
register_store("postgres", _server_database_store)
register_store("mysql", _server_database_store)
register_store("http", _rest_store)
register_store("https", _rest_store)


def build_store(uri: str, artifact_root: str | None = None) -> TrackingStore:
    """A new store for ``uri`` (callers that want sharing use :func:`get_store`)."""
    scheme = _scheme(uri)
    if scheme == "":
        return local_folder_store(Path(uri), artifact_root)
    if scheme == "file":
        return local_folder_store(_path_of_file_uri(uri), artifact_root)
    factory = _factories.get(scheme)
    if factory is None:
        known = ", ".join(sorted({"file", *_factories}))
        raise InvalidInputError(
            f"tracking URI {uri!r}: scheme {scheme!r} is not supported (known: {known}, "
            "or a folder path)"
        )
    return factory(uri, artifact_root)


def get_store(uri: str | None = None, artifact_root: str | None = None) -> TrackingStore:
    """The process-wide store for ``uri`` (resolved as described above), made once."""
    resolved = resolve(uri)
    cache_key = (resolved, artifact_root)
    store = _stores.get(cache_key)
    if store is not None:
        return store
    with _lock:
        store = _stores.get(cache_key)
        if store is None:
            store = build_store(resolved, artifact_root)
            _stores[cache_key] = store
        return store


def close_all() -> None:
    """Dispose every cached store (used by tests and at interpreter exit)."""
    with _lock:
        for registry in _registry_stores.values():
            registry.close()
        _registry_stores.clear()
        for store in _stores.values():
            store.close()
        _stores.clear()


# ----------------------------------------------------------------------------- the registry


def register_registry_store(scheme: str, factory: RegistryStoreFactory) -> None:
    """Route registry URIs with ``scheme`` to ``factory(uri, artifact_root)``."""
    _registry_factories[scheme] = factory


def registry_for_store(store: TrackingStore) -> RegistryStore:
    """The registry kept in the same database as a SQL tracking ``store`` (a server
    holding a tracking store uses this)."""
    from runlab.store.sql.registry import SqlRegistryStore
    from runlab.store.sql.store import SqlStore

    if not isinstance(store, SqlStore):
        raise InvalidInputError(
            f"{type(store).__name__} keeps no model registry; pass a registry store explicitly"
        )
    return SqlRegistryStore(store.db)


def _sql_registry(uri: str, artifact_root: str | None) -> RegistryStore:
    """The registry in the database of the (shared) SQL tracking store for ``uri``."""
    return registry_for_store(get_store(uri, artifact_root))


for _scheme_name in ("", "file", "sqlite", "postgresql", "postgres", "mysql"):
    register_registry_store(_scheme_name, _sql_registry)


def _rest_registry(uri: str, _artifact_root: str | None) -> RegistryStore:
    from runlab.store.rest.registry import RestRegistryStore

    return RestRegistryStore(uri)


register_registry_store("http", _rest_registry)
register_registry_store("https", _rest_registry)


def get_registry_store(uri: str | None = None, artifact_root: str | None = None) -> RegistryStore:
    """The process-wide registry store for ``uri`` (resolved like a tracking URI)."""
    resolved = resolve(uri)
    cache_key = (resolved, artifact_root)
    found = _registry_stores.get(cache_key)
    if found is not None:
        return found
    scheme = _scheme(resolved)
    factory = _registry_factories.get(scheme)
    if factory is None:
        known = ", ".join(sorted(s for s in _registry_factories if s))
        raise InvalidInputError(
            f"registry URI {resolved!r}: scheme {scheme!r} has no model registry "
            f"(known: {known}, or a folder path)"
        )
    registry = factory(resolved, artifact_root)
    with _lock:
        return _registry_stores.setdefault(cache_key, registry)
