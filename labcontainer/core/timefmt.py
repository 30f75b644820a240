"""Times, durations and sizes in the words the podman CLI uses ("Up 3 minutes", "1.2 GB").

One parser for Podman's timestamps (RFC 3339 with nanoseconds, or epoch seconds) and one
duration wording, shared by the engine's records, the log follower and every front-end.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any


def parse_timestamp_ns(text: str) -> int:
    """``2026-11-24T15:20:00.123456789Z`` (any number of fraction digits, or none; any
    offset) → nanoseconds since the epoch, exactly (datetime alone keeps microseconds).
    Raises ValueError for text that is not such a timestamp."""
    head, dot, rest = text.partition(".")
    if dot:
        # The fraction is the leading run of digits; the offset after it has digits too.
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        zone = rest[len(digits):]
    else:
        digits, zone = "", ""
        for marker in ("Z", "+", "-"):
            cut = head.find(marker, 11)  # after the date's own dashes
            if cut != -1:
                head, zone = head[:cut], head[cut:]
                break
    zone = "+00:00" if zone in ("", "Z") else zone
    seconds = datetime.fromisoformat(head + zone).astimezone(timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int((digits + "000000000")[:9])


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 string or epoch seconds → aware datetime; Go's zero time and junk → None."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc) if value > 0 else None
    text = str(value)
    if text.startswith("0001-01-01"):
        return None
    try:
        nanoseconds = parse_timestamp_ns(text)
    except ValueError:
        return None
    # Whole seconds and microseconds apart: one float of both would round the last digit.
    seconds, rest = divmod(nanoseconds, 1_000_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest // 1000)


def describe_duration(seconds: float) -> str:
    """``Less than a second`` / ``Less than a minute`` / ``3 minutes`` / ``2 days``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "Less than a minute" if seconds >= 1 else "Less than a second"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"  # pragma: no cover - every value >= 60 matched a unit


def human_age(when: datetime | None, now: datetime | None = None) -> str:
    """``3 minutes ago``; ``just now`` within the first minute; ``-`` when unknown."""
    if when is None:
        return "-"
    seconds = ((now or datetime.now(timezone.utc)) - when).total_seconds()
    return "just now" if seconds < 60 else f"{describe_duration(seconds)} ago"


def describe_status(state: str, started: datetime | None, finished: datetime | None, exit_code: Any, now: datetime | None = None) -> str:
    """``Up 3 minutes`` / ``Exited (1) 2 hours ago`` / ``Created``, as podman ps says it."""
    now = now or datetime.now(timezone.utc)
    if state == "running" and started:
        return f"Up {describe_duration((now - started).total_seconds()).lower()}"
    if state in ("exited", "stopped"):
        code = exit_code if exit_code is not None else 0
        if finished:
            return f"Exited ({code}) {describe_duration((now - finished).total_seconds()).lower()} ago"
        return f"Exited ({code})"
    return state.capitalize()


def human_bytes(value: int | None) -> str:
    """Decimal units, as ``podman images`` shows sizes: ``1.2 GB``."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def human_mib(value: int | None) -> str:
    """Binary MiB, as nvidia-smi shows GPU memory."""
    return "-" if value is None else f"{value / (1 << 20):,.0f} MiB"
