"""Extension points that plugins fill: extra ``tabulate`` columns and flop estimators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["plugin_columns"]


def plugin_columns(builtin: Mapping[str, Any]) -> dict[str, Any]:
    """Extra columns for ``tabulate`` added by plugins (none yet)."""
    return {}
