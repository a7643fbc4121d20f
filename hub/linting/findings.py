"""The shape of a linter finding, shared by every rule."""

from __future__ import annotations

from typing import Any


def finding(
    rule: str, severity: str, network: str, locale: str, start: int, end: int, message: str, /,
    *, fix: str | None = None, **values: Any,
) -> dict[str, Any]:
    """One finding; `message` is an English msgid, shown translated with `values`; `fix` a suggested text.

    The fixed fields are positional-only, so `values` may carry its own `network` (a label).
    """
    item = {
        "rule": rule, "severity": severity, "network": network, "locale": locale,
        "start": start, "end": end, "message": message, "values": values,
    }
    if fix is not None:
        item["fix"] = fix
    return item


def has_errors(findings: list[dict[str, Any]]) -> bool:
    """True when a finding blocks distribution, approval and publishing."""
    return any(item["severity"] == "error" for item in findings)
