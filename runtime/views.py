"""Response models taken from a core dataclass, so that each field is declared in one place.

An answer that is a core type with a few of its fields left out (row keys, provenance) or a
few added (columns joined from another table) is a `view` of that type: the names, types and
order come from the core type, and the model reads its instances or database rows alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model


def view(
    core: type, name: str, *, omit: Iterable[str] = (), doc: str | None = None, **added: Any
) -> type[BaseModel]:
    """The model `name`: `core`'s fields but `omit`, in order, then the `added` ones (name=type).
    Every field is required, as every answer carries it (null when unknown)."""
    hints = get_type_hints(core)
    names = [f.name for f in dataclasses.fields(core)]
    left_out = set(omit)
    if unknown := left_out - set(names):
        raise ValueError(f"{core.__name__} has no field {sorted(unknown)}")
    fields: dict[str, Any] = {n: (hints[n], ...) for n in names if n not in left_out}
    fields |= {n: (kind, ...) for n, kind in added.items()}
    return create_model(name, __config__=ConfigDict(from_attributes=True), __doc__=doc, **fields)
