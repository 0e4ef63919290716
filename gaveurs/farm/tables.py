"""Columnar tables as the generator produces them and the loader consumes them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

Column: TypeAlias = "Sequence[Any] | np.ndarray[Any, Any]"


@dataclass(frozen=True)
class Table:
    """One table's rows, column by column (lists or numpy arrays of equal length)."""

    name: str
    columns: tuple[str, ...]
    data: tuple[Column, ...]

    def __len__(self) -> int:
        return len(self.data[0]) if self.data else 0

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return zip(
            *(column.tolist() if hasattr(column, "tolist") else column for column in self.data), strict=True
        )

    def column(self, name: str) -> Column:
        return self.data[self.columns.index(name)]

    def values(self, name: str) -> list[Any]:
        """One column as plain Python values."""
        column = self.column(name)
        return column.tolist() if isinstance(column, np.ndarray) else list(column)
