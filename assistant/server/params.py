"""Bounded integer types for ids and offsets in paths and query strings, validated at the boundary.

SQLite integers are signed 64-bit: a larger Python int reaching a query raises OverflowError (a 500).
Declaring routes with these types turns such values into a 422 before any handler runs."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

SQLITE_INT_MAX = 2**63 - 1

RowId = Annotated[int, Interval(ge=1, le=SQLITE_INT_MAX)]  # documents, versions, index jobs
Offset = Annotated[int, Interval(ge=0, le=SQLITE_INT_MAX)]
PageSize = Annotated[int, Interval(ge=1, le=SQLITE_INT_MAX)]  # callers clamp further to their own maximum
