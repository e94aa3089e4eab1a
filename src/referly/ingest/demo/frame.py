"""A generated table: named columns of equal length (or one value for every row), keyed by field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import models


def _is_column(values: Any) -> bool:
    return isinstance(values, np.ndarray | list)


@dataclass
class Frame:
    model: type[models.Model]
    columns: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return next((len(v) for v in self.columns.values() if _is_column(v)), 0)

    def check(self) -> None:
        lengths = {name: len(v) for name, v in self.columns.items() if _is_column(v)}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{self.model.__name__}: columns of unequal length {lengths}")
