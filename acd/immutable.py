"""Value objects of the hot path: immutable to the type checker, cheap to build at run time.

The engine builds some sixty values per call (inputs, effects, records, notifications). A
``frozen=True`` dataclass stores every field through ``object.__setattr__`` in its ``__init__``,
about three times the cost of a plain slot store (2.7 vs 0.8 us for the 23 fields of a
``CallRecord``). PEP 681's ``frozen_default`` makes mypy reject any assignment to a field of these
classes, so "nothing mutates a value once it is emitted" is checked where the code is written,
which is where it matters; equality and hashing are those of a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def immutable(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)`` for mypy; a slotted dataclass with a hash at run time."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
