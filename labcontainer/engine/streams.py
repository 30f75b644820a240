"""Podman's byte streams as text: multiplexed frames, log lines, and following a log.

Following a container's logs through the service (when its log file cannot be read here,
see logfile.py) without losing lines: Podman 4.3's ``logs?follow=true`` stream drops lines
when a container writes fast (seen here, even with our own frame reader on a raw socket:
38,000 to 64,000 of 100,000 lines arrived, with gaps in the middle), while a plain read
returns them all. So following is done as repeated plain reads: read with timestamps, then,
every ``interval`` seconds, read again from the last second seen and keep only the lines
after the last one already given; one more read once the container has stopped picks up
whatever it wrote at the end.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from ..core.timefmt import parse_timestamp_ns

#: ``read(tail, since_seconds)`` → lines that start with an RFC 3339 timestamp and a space.
Reader = Callable[[int | str, int | None], Iterable[str]]


@lru_cache(maxsize=64)
def _cached_parse(stamp: str) -> int | None:
    # Podman's stamps have whole seconds here: thousands of lines share one.
    try:
        return parse_timestamp_ns(stamp)
    except ValueError:
        return None


def split_timestamp(line: str) -> tuple[int, str] | None:
    """``"<timestamp> text"`` → (nanoseconds, text), or None if the line has no timestamp."""
    stamp, sep, text = line.partition(" ")
    if not sep:
        return None
    ns = _cached_parse(stamp)
    return None if ns is None else (ns, text)


#: Lines in one batch at most: a batch is written at once, so this bounds what it holds.
BATCH = 5000


def batched(lines: Iterable[str], size: int = BATCH) -> Iterator[list[str]]:
    """Lines in lists of up to ``size``, for front-ends that write a list at once."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def follow_batches(
    read: Reader,
    is_running: Callable[[], bool],
    *,
    tail: int | str = "all",
    keep_timestamps: bool = False,
    interval: float = 0.25,
    stop: threading.Event | None = None,
) -> Iterator[list[str]]:
    """Each log line once, in order, as lists (the new lines of one read, ``BATCH`` at most
    per list), until the container stops or ``stop`` is set. ``stop`` is also what the
    follower sleeps on, so setting it ends a quiet follow at once instead of leaving a
    thread polling Podman until the container stops."""
    stop = stop or threading.Event()
    last_ns: int | None = None
    given_at_last = 0  # lines already given that carry exactly last_ns
    hidden_at_last = 0  # lines before the tail that carry the same stamp as its last line
    first = True
    while not stop.is_set():
        running = is_running()  # asked before reading: a stopped container's read is final
        since = None if last_ns is None else last_ns // 1_000_000_000
        seen_at_last = 0
        batch: list[str] = []
        if first and isinstance(tail, int):
            lines, hidden_at_last = _read_tail(read, tail)
        else:
            lines = read(tail if first else "all", since)
        for line in lines:
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
            batch.append(line if keep_timestamps else text)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch
        if first:
            given_at_last += hidden_at_last  # the next read, from that second, returns them again
        first = False
        if not running or stop.wait(interval):
            return


def _read_tail(read: Reader, tail: int) -> tuple[list[str], int]:
    """The last ``tail`` timestamped lines, and how many lines before them carry the same
    stamp as the last one. Podman's stamps have whole seconds here, so a tail can cut a
    second in two; when the whole read shares one stamp, read more until it does not (or
    the log is exhausted) to count them."""
    asked = tail
    while True:
        stamped = [(parsed[0], line) for line in read(asked, None) if (parsed := split_timestamp(line)) is not None]
        window = stamped[max(len(stamped) - tail, 0) :]
        if not window:
            return [], 0
        last = window[-1][0]
        hidden = sum(1 for ns, _ in stamped[: len(stamped) - len(window)] if ns == last)
        if len(stamped) < asked or stamped[0][0] != last:
            return [line for _, line in window], hidden
        asked *= 2


def demux(chunks: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """Docker's multiplexed stream → ``("stdout"|"stderr", text)`` pieces. Each frame has
    an 8-byte header: stream id, 3 zero bytes, big-endian payload size. Buffers across
    chunks: podman-py's own reader assumes full reads and lost whole frames on short ones."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        # Walk the frames by offset and cut the buffer once per chunk: cutting after every
        # frame copied the rest each time, quadratic when one read holds many frames.
        offset = 0
        while len(buffer) - offset >= 8:
            end = offset + 8 + int.from_bytes(buffer[offset + 4 : offset + 8], "big")
            if len(buffer) < end:
                break
            stream_id, payload = buffer[offset], buffer[offset + 8 : end]
            offset = end
            yield ("stderr" if stream_id == 2 else "stdout", payload.decode("utf-8", errors="replace"))
        buffer = buffer[offset:]


def split_streams(pieces: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """``(stream, text)`` pieces → the whole stdout and the whole stderr, exactly as written."""
    parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for stream_name, text in pieces:
        parts[stream_name].append(text)
    return "".join(parts["stdout"]), "".join(parts["stderr"])


def lines_of(pieces: Iterable[str]) -> Iterator[str]:
    """Reassemble output pieces (which may split or join lines) into lines without newlines."""
    pending = ""
    for piece in pieces:
        pending += piece
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def timestamped_lines(frames: Iterable[str]) -> Iterator[str]:
    """Lines of a timestamped log. Each frame is one log record, ``"<timestamp> text"``;
    a long line Podman stored in parts arrives as several records, each with its own
    timestamp, only the last one ending in a newline. A line keeps its first timestamp."""
    stamp: str | None = None
    text = ""
    for frame in frames:
        record_stamp, _, record = frame.partition(" ")
        if stamp is None:
            stamp = record_stamp
        text += record
        while "\n" in text:
            line, text = text.split("\n", 1)
            yield f"{stamp} {line}"
            stamp = record_stamp if text else None
    if stamp is not None and text:
        yield f"{stamp} {text}"
