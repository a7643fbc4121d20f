"""The linter: findings on a post's text for one network and locale, each with its position."""

from __future__ import annotations

from typing import Any

from hub.linting.networks import NETWORK_RULES, measured_length


def finding(
    rule: str, severity: str, network: str, locale: str, start: int, end: int, message: str, /, **values: Any
) -> dict[str, Any]:
    """One finding; `message` is an English msgid, shown translated with `values`.

    The fixed fields are positional-only, so `values` may carry its own `network` (a label).
    """
    return {
        "rule": rule, "severity": severity, "network": network, "locale": locale,
        "start": start, "end": end, "message": message, "values": values,
    }


def lint_text(text: str, network: str, locale: str) -> list[dict[str, Any]]:
    """Findings of the network rules on `text`."""
    rules = NETWORK_RULES[network]
    findings: list[dict[str, Any]] = []
    if not text.strip():
        findings.append(finding("text.empty", "error", network, locale, 0, 0,
                                "The text for {network} is empty: write something or drop this network.",
                                network=rules.label))
    length = measured_length(network, text)
    if length > rules.max_length:
        findings.append(finding(
            "network.too_long", "error", network, locale, 0, len(text),
            "{network} accepts {limit} {counting}; this text has {length}: shorten it by {over}.",
            network=rules.label, limit=rules.max_length, counting=rules.counting, length=length,
            over=length - rules.max_length,
        ))
    return findings


def has_errors(findings: list[dict[str, Any]]) -> bool:
    """True when a finding blocks distribution, approval and publishing."""
    return any(item["severity"] == "error" for item in findings)
