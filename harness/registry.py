"""Name -> component registries (backends, scorers): explicit and lazy.

The built-ins are a map of names to `"module:attribute"` strings, imported only when used; a
package outside this one adds a component through the standard entry points
(`[project.entry-points."harness.backends"] name = "pkg.module:PLUGIN"`), as pytest plugins do;
a test or a notebook can also `register(name, obj)` at run time. Nothing registers itself as an
import side effect.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from importlib import metadata
from typing import Any

from harness.errors import HarnessError


class Registry:
    def __init__(self, kind: str, group: str, builtins: dict[str, str]):
        self.kind = kind
        """What a component is called in messages ("backend")."""
        self.group = group
        """The entry-point group other packages register under ("harness.backends")."""
        self._builtins = dict(builtins)
        self._registered: dict[str, Any] = {}
        self._found: tuple[tuple[str, ...], dict[str, Any]] | None = None

    def register(self, name: str, component: Any) -> None:
        """Add (or replace) a component at run time: an object or a "module:attribute" string."""
        self._registered[name] = component

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def _entry_points(self) -> dict[str, Any]:
        # Reading the installed distributions' metadata takes milliseconds and scoring asks once
        # per item, so it is read once per sys.path (a path added later, as a test does when it
        # installs a plugin, reads it again).
        key = tuple(sys.path)
        if self._found is None or self._found[0] != key:
            self._found = (key, {ep.name: ep for ep in metadata.entry_points(group=self.group)})
        return self._found[1]

    def names(self) -> list[str]:
        """Built-ins first, then installed plugins, then run-time registrations."""
        return list(dict.fromkeys([*self._builtins, *self._entry_points(), *self._registered]))

    def get(self, name: str) -> Any:
        if name in self._registered:
            return _resolve(self._registered[name])
        if name in self._builtins:
            return _resolve(self._builtins[name])
        entry_points = self._entry_points()
        if name in entry_points:
            return entry_points[name].load()
        names = self.names()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise HarnessError(f"unknown {self.kind} {name!r}.{hint} Available: {', '.join(names)}")

    def all(self) -> list[Any]:
        return [self.get(name) for name in self.names()]


def _resolve(component: Any) -> Any:
    if isinstance(component, str):
        module, _, attribute = component.partition(":")
        return getattr(importlib.import_module(module), attribute)
    return component
