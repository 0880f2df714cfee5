"""A tiny name → factory registry, the one kind of global state aulac-rag keeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from aulac_rag.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Factories registered by name (and aliases) for one role, e.g. embedders."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._factories: dict[str, T] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator: register ``factory`` under ``name`` and its aliases."""

        def decorate(factory: T) -> T:
            for key in (name, *aliases):
                self._factories[key] = factory
            return factory

        return decorate

    def get(self, name: str) -> T:
        """The factory for ``name``; ConfigError listing the known names otherwise."""
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "(none)"
            raise ConfigError(f"unknown {self.role} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._factories))
