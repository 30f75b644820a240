"""The polling log follower, fed scripted reads (no Podman needed)."""

from __future__ import annotations

from labcontainer.engine.streams import follow_lines
from labcontainer.core.timefmt import parse_timestamp_ns as parse_log_timestamp
from labcontainer.engine.streams import timestamped_lines as _timestamped_lines


def test_timestamps_parse_to_exact_nanoseconds():
    assert parse_log_timestamp("1970-01-01T00:00:01Z") == 1_000_000_000
    assert parse_log_timestamp("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert parse_log_timestamp("1970-01-01T00:00:01.000000007Z") == 1_000_000_007
    assert parse_log_timestamp("1970-01-01T01:00:01+01:00") == 1_000_000_000
    # a fraction followed by an offset (Podman on a host whose time zone is not UTC)
    assert parse_log_timestamp("1970-01-01T01:00:01.25+01:00") == 1_250_000_000
    assert parse_log_timestamp("1970-01-01T00:00:01.000000007-00:30") == 1_801_000_000_007


def test_podman_times_become_exact_datetimes():
    from datetime import datetime, timezone

    from labcontainer.core.timefmt import parse_time

    assert parse_time("2026-11-24T16:20:00.999999+01:00") == datetime(2026, 11, 24, 15, 20, 0, 999999, tzinfo=timezone.utc)
    assert parse_time("2026-11-24T15:20:00.123456789Z").microsecond == 123456
    assert parse_time("0001-01-01T00:00:00Z") is None and parse_time(0) is None


def test_follow_gives_each_line_once_across_reads_with_equal_timestamps():
    log: list[str] = []
    states = iter([True, True, False])
    writes = iter([["a", "b"], ["c"], ["d", "e"]])

    def is_running() -> bool:
        log.extend(f"1970-01-01T00:00:05Z {x}" for x in next(writes))  # everything in one second
        return next(states)

    reads = []

    def read(tail, since):
        reads.append((tail, since))
        return list(log) if since is None else [line for line in log if parse_log_timestamp(line.split()[0]) >= since * 10**9]

    lines = list(follow_lines(read, is_running, tail="all", interval=0))
    assert lines == ["a", "b", "c", "d", "e"]
    assert reads == [("all", None), ("all", 5), ("all", 5)]


def test_follow_starts_from_the_tail_and_stops_after_the_final_read():
    full = [f"1970-01-01T00:00:0{i}Z line{i}" for i in range(1, 6)]

    def read(tail, since):
        rows = full if tail == "all" else full[-tail:]
        return [r for r in rows if since is None or parse_log_timestamp(r.split()[0]) >= since * 10**9]

    assert list(follow_lines(read, lambda: False, tail=2, keep_timestamps=True)) == full[-2:]


def test_follow_from_a_tail_that_cuts_a_second_gives_no_line_twice():
    # Podman's stamps have whole seconds here: a tail of 2 out of 5 lines written in one
    # second, then the next read from that second returns all 5 again (seen through the
    # REST stream as a repeated line).
    log = [f"1970-01-01T00:00:04Z old{i}" for i in range(3)] + [f"1970-01-01T00:00:05Z same{i}" for i in range(5)]
    states = iter([True, False])

    def is_running() -> bool:
        running = next(states)
        if not running:
            log.append("1970-01-01T00:00:05Z new")  # written in the same second, after the tail was read
        return running

    def read(tail, since):
        rows = log if tail == "all" else log[-tail:]
        return [r for r in rows if since is None or parse_log_timestamp(r.split()[0]) >= since * 10**9]

    assert list(follow_lines(read, is_running, tail=2, interval=0)) == ["same3", "same4", "new"]


def test_timestamped_records_of_one_long_line_are_joined():
    frames = ["T1 abc", "T2 def\n", "T3 x\nT3 y\n"[0:5], "T4 tail"]
    assert list(_timestamped_lines(frames)) == ["T1 abcdef", "T3 x", "T4 tail"]


def test_demux_gives_the_same_frames_however_the_stream_is_cut():
    from labcontainer.engine.streams import demux as _demux

    texts = [f"line {i}\n".encode() for i in range(500)]
    stream = b"".join(bytes([2 if i % 3 == 0 else 1, 0, 0, 0]) + len(t).to_bytes(4, "big") + t for i, t in enumerate(texts))
    whole = list(_demux(iter([stream])))
    assert [t for _s, t in whole] == [t.decode() for t in texts]
    assert whole[0][0] == "stderr" and whole[1][0] == "stdout"
    for size in (1, 7, 8, 37, 4096):
        assert list(_demux(iter(stream[i : i + size] for i in range(0, len(stream), size)))) == whole
