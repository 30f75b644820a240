"""Podman's timestamps and states in the words ``podman ps`` uses ("Up 3 minutes")."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 string (nanoseconds allowed) or epoch seconds → aware datetime; Go's zero time → None."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc) if value > 0 else None
    text = str(value)
    if text.startswith("0001-01-01"):
        return None
    text = text.replace("Z", "+00:00")
    # Python wants at most 6 fractional digits.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def describe_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "Less than a minute" if seconds >= 1 else "Less than a second"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def describe_status(state: str, started: datetime | None, finished: datetime | None, exit_code: Any, now: datetime | None = None) -> str:
    """``Up 3 minutes`` / ``Exited (1) 2 hours ago`` / ``Created``, as podman ps says it."""
    now = now or datetime.now(timezone.utc)
    if state == "running" and started:
        return f"Up {describe_duration((now - started).total_seconds()).lower()}".replace("up less", "Up less")
    if state in ("exited", "stopped"):
        code = exit_code if exit_code is not None else 0
        if finished:
            return f"Exited ({code}) {describe_duration((now - finished).total_seconds()).lower()} ago"
        return f"Exited ({code})"
    return state.capitalize()
