"""Name → factory registries, the one kind of global state aulac-rag keeps, and how plugins join them.

Every registry is filled the same way: a lazy ``"module:attr"`` spec per name. Built-ins are
given to the constructor; third-party packages declare setuptools entry points in the
registry's group (e.g. ``aulac_rag.embedders``), read once on first use::

    [project.entry-points."aulac_rag.embedders"]
    toy = "my_package.embedder:create_toy"

A spec's module is imported only when its name is asked for, so an optional dependency is
needed only by the sandbox that uses it. ``register(name)`` adds an object at run time
(tests, notebooks). A name given twice raises: a plugin cannot silently replace a built-in.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Generic, TypeVar, cast

from aulac_rag.errors import ConfigError
from aulac_rag.extras import MissingExtra, extra_for, import_error_message

T = TypeVar("T")

#: The entry-point groups aulac-rag reads, by registry.
ENTRY_POINT_GROUPS = (
    "aulac_rag.embedders",
    "aulac_rag.index_engines",
    "aulac_rag.generators",
    "aulac_rag.connectors",
    "aulac_rag.input_rails",
    "aulac_rag.output_rails",
    "aulac_rag.tokenizers",
    "aulac_rag.rerankers",
)


class DuplicateName(ConfigError):
    """Two providers claim one name in one registry."""


class UnknownName(ConfigError, ValueError):
    """No provider for a name (a ValueError too, so pydantic reports it under the config field)."""


class Registry(Generic[T]):
    """Factories for one role (e.g. embedders), by name, from built-in specs, entry points and ``register``."""

    def __init__(self, role: str, group: str | None = None, builtins: Mapping[str, str] | None = None) -> None:
        self.role = role
        self.group = group
        self._specs: dict[str, str] = {}
        self._objects: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._plugins_loaded = group is None
        self._lock = threading.RLock()
        for name, spec in (builtins or {}).items():
            self.add_spec(name, spec, origin="aulac-rag")

    # -- filling ---------------------------------------------------------------------------------

    def add_spec(self, name: str, spec: str, *, origin: str) -> None:
        """Register the lazy ``"module:attr"`` ``spec`` under ``name`` (DuplicateName if taken)."""
        if ":" not in spec:
            raise ConfigError(f"{self.role} {name!r}: spec {spec!r} is not 'module:attribute'")
        with self._lock:
            if self._specs.get(name) == spec:
                return  # the same entry point seen twice (e.g. two metadata copies of one install)
            self._claim(name, origin)
            self._specs[name] = spec

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name`` and its aliases at run time (DuplicateName if taken)."""

        def decorate(obj: T) -> T:
            origin = str(getattr(obj, "__module__", "") or "run time")
            with self._lock:
                for key in (name, *aliases):
                    self._claim(key, origin)
                    self._objects[key] = obj
            return obj

        return decorate

    def unregister(self, name: str) -> None:
        """Forget ``name`` (tests and notebooks that registered something temporary)."""
        with self._lock:
            self._objects.pop(name, None)
            self._specs.pop(name, None)
            self._origins.pop(name, None)

    def load_entry_points(self, group: str | None = None) -> list[str]:
        """Register the plugins declared in the entry-point ``group`` (default: this registry's); their names."""
        group = group or self.group
        if group is None:
            return []
        added = []
        for point in entry_points(group=group):
            origin = point.dist.name if point.dist is not None else group
            self.add_spec(point.name, point.value, origin=origin)
            added.append(point.name)
        return added

    def _claim(self, name: str, origin: str) -> None:
        if name in self._specs or name in self._objects:
            raise DuplicateName(
                f"{self.role} {name!r} is provided twice: by {self._origins.get(name, '?')} and by {origin}; "
                "rename one of them"
            )
        self._origins[name] = origin

    def _ensure_plugins(self) -> None:
        if self._plugins_loaded:
            return
        with self._lock:
            if not self._plugins_loaded:
                self._plugins_loaded = True
                self.load_entry_points()

    # -- reading ---------------------------------------------------------------------------------

    def get(self, name: str) -> T:
        """The object for ``name``, importing its module on first use.

        ConfigError listing the known names for an unknown name; a module that fails to import
        raises with the cause (and the extra to install when an optional dependency is missing).
        """
        self._ensure_plugins()
        with self._lock:
            if name in self._objects:
                return self._objects[name]
            spec = self._specs.get(name)
        if spec is None:
            raise UnknownName(f"unknown {self.role} {name!r}; known: {', '.join(self.names()) or '(none)'}")
        obj = cast(T, self._load(name, spec))
        with self._lock:
            self._objects[name] = obj
        return obj

    def _load(self, name: str, spec: str) -> object:
        module_name, _, attr = spec.partition(":")
        try:
            obj: object = importlib.import_module(module_name)
        except ImportError as exc:
            error = MissingExtra if extra_for(exc) else ConfigError
            raise error(import_error_message(f"{self.role} {name!r}", exc)) from exc
        try:
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{self.role} {name!r}: {spec!r} names nothing ({module_name} has no {attr!r})") from None
        return obj

    def check(self, name: str) -> str:
        """``name`` when it is registered (nothing is imported); ConfigError listing the known names otherwise."""
        if name not in self:
            raise UnknownName(f"unknown {self.role} {name!r}; known: {', '.join(self.names()) or '(none)'}")
        return name

    def origin(self, name: str) -> str:
        """Who provided ``name`` (``aulac-rag`` for built-ins, else the plugin's distribution or module)."""
        self.check(name)
        return self._origins[name]

    def names(self) -> list[str]:
        self._ensure_plugins()
        with self._lock:
            return sorted(set(self._specs) | set(self._objects))

    def __contains__(self, name: object) -> bool:
        self._ensure_plugins()
        return name in self._specs or name in self._objects

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
