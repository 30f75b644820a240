"""Following a container's logs without losing lines.

Podman 4.3's ``logs?follow=true`` stream drops lines when a container writes fast (seen
here: about 65,000 of 100,000 lines arrived, with gaps in the middle), while a plain read
returns them all. So following is done as repeated plain reads: read with timestamps, then,
every ``interval`` seconds, read again from the last second seen and keep only the lines
after the last one already given; one more read once the container has stopped picks up
whatever it wrote at the end.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Iterable, Iterator

#: ``read(tail, since_seconds)`` → lines that start with an RFC 3339 timestamp and a space.
Reader = Callable[[int | str, int | None], Iterable[str]]


def parse_log_timestamp(text: str) -> int:
    """``2026-11-24T15:20:00.123456789Z`` (any number of fraction digits, or none; any
    offset) → nanoseconds since the epoch, exactly (datetime alone keeps microseconds)."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
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


@lru_cache(maxsize=64)
def _cached_parse(stamp: str) -> int | None:
    # Podman's stamps have whole seconds here: thousands of lines share one.
    try:
        return parse_log_timestamp(stamp)
    except ValueError:
        return None


def split_timestamp(line: str) -> tuple[int, str] | None:
    """``"<timestamp> text"`` → (nanoseconds, text), or None if the line has no timestamp."""
    stamp, sep, text = line.partition(" ")
    if not sep:
        return None
    ns = _cached_parse(stamp)
    return None if ns is None else (ns, text)


def follow_lines(
    read: Reader,
    is_running: Callable[[], bool],
    *,
    tail: int | str = "all",
    keep_timestamps: bool = False,
    interval: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Yield each log line once, in order, until the container stops."""
    last_ns: int | None = None
    given_at_last = 0  # lines already given that carry exactly last_ns
    first = True
    while True:
        running = is_running()  # asked before reading: a stopped container's read is final
        since = None if last_ns is None else last_ns // 1_000_000_000
        seen_at_last = 0
        for line in read(tail if first else "all", since):
            parsed = split_timestamp(line)
            if parsed is None:
                continue
            ns, text = parsed
            if last_ns is not None and ns < last_ns:
                continue
            if ns == last_ns:
                seen_at_last += 1
                if seen_at_last <= given_at_last:
                    continue
                given_at_last += 1
            else:
                last_ns, given_at_last, seen_at_last = ns, 1, 1
            yield line if keep_timestamps else text
        first = False
        if not running:
            return
        sleep(interval)
