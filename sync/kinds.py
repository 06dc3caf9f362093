"""The kinds of source and target a plugin registers: a name, an options model and a factory.

The options model and the factory may be named instead of given (``"package.module:name"``):
they are imported when first used (a run, a config check, a plugin command), so a plugin
that names them registers at ``rostersync --help`` without importing pydantic, an HTTP
client or a database driver. Kept apart from ``sync.contract`` (which needs pydantic).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sync.contract import PluginContext, PluginOptions, Source, Target  # noqa: F401 (quoted below)

OptionsT = TypeVar("OptionsT", bound="PluginOptions")
BuiltT = TypeVar("BuiltT")


def import_ref(ref: str) -> Any:
    """The object ``"package.module:name"`` (or ``"package.module:Outer.name"``) names."""
    module, sep, attribute = ref.partition(":")
    if not sep or not module or not attribute:
        raise ValueError(f"not a 'module:name' reference: {ref!r}")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


class _Kind(Generic[OptionsT, BuiltT]):
    """A frozen value: the name and description, and the options and factory, each given
    as itself or as a ``"module:name"`` reference resolved on first use."""

    __slots__ = ("_factory", "_given", "_options", "description", "name")

    name: str
    description: str
    _options: type[OptionsT] | str
    _factory: Callable[[OptionsT, PluginContext], BuiltT] | str
    _given: tuple[object, object]

    def __init__(
        self,
        name: str,
        options: type[OptionsT] | str,
        factory: Callable[[OptionsT, PluginContext], BuiltT] | str,
        description: str = "",
    ) -> None:
        for attribute, value in (
            ("name", name),
            ("_options", options),
            ("_factory", factory),
            ("description", description),
            ("_given", (options, factory)),
        ):
            object.__setattr__(self, attribute, value)

    @property
    def options(self) -> type[OptionsT]:
        """The pydantic model of the plugin's table in config.toml (imported if named)."""
        if isinstance(self._options, str):
            object.__setattr__(self, "_options", import_ref(self._options))
        assert not isinstance(self._options, str)
        return self._options

    @property
    def factory(self) -> Callable[[OptionsT, PluginContext], BuiltT]:
        """``factory(options, context)`` builds one for a run (imported if named)."""
        if isinstance(self._factory, str):
            object.__setattr__(self, "_factory", import_ref(self._factory))
        assert not isinstance(self._factory, str)
        return self._factory

    @property
    def loaded(self) -> bool:
        """Whether the options model and the factory are imported already."""
        return not isinstance(self._options, str) and not isinstance(self._factory, str)

    def _key(self) -> tuple[object, ...]:
        return (type(self), self.name, self._given, self.description)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Kind) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, options={self._options!r}, "
            f"factory={self._factory!r}, description={self.description!r})"
        )


class SourceType(_Kind[OptionsT, "Source"]):
    """A kind of source a plugin offers, e.g. ``impero_csv``."""

    __slots__ = ()


class TargetType(_Kind[OptionsT, "Target"]):
    """A kind of target a plugin offers, e.g. ``directory``."""

    __slots__ = ()
