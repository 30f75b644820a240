"""Following a log: the polling follower fed scripted reads, the log-file reader fed files
written as conmon writes them (no Podman needed), then both against a real Podman service."""

from __future__ import annotations

import contextlib
import io
import os
import threading

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.core.errors import ContainerNotFound
from labcontainer.core.models import ContainerSpec
from labcontainer.core.timefmt import parse_timestamp_ns as parse_log_timestamp
from labcontainer.engine import logfile, logs
from labcontainer.engine.logfile import (
    LogRecords,
    local_log_path,
    read_log_file,
    tail_start,
)
from labcontainer.engine.logs import log_still_written
from labcontainer.engine.streams import follow_batches
from labcontainer.engine.streams import timestamped_lines as _timestamped_lines
from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

from .conftest import wait_until


def _lines(batches) -> list[str]:
    """The lines of ``follow_batches``' lists, in order (as its callers write them)."""
    return [line for batch in batches for line in batch]


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

    lines = _lines(follow_batches(read, is_running, tail="all", interval=0))
    assert lines == ["a", "b", "c", "d", "e"]
    assert reads == [("all", None), ("all", 5), ("all", 5)]


def test_follow_starts_from_the_tail_and_stops_after_the_final_read():
    full = [f"1970-01-01T00:00:0{i}Z line{i}" for i in range(1, 6)]

    def read(tail, since):
        rows = full if tail == "all" else full[-tail:]
        return [r for r in rows if since is None or parse_log_timestamp(r.split()[0]) >= since * 10**9]

    assert _lines(follow_batches(read, lambda: False, tail=2, keep_timestamps=True)) == full[-2:]


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

    assert _lines(follow_batches(read, is_running, tail=2, interval=0)) == ["same3", "same4", "new"]


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


# -- the log file, as conmon writes it ----------------------------------------------------------

STAMP = "2026-11-25T02:15:10.{:09d}+00:00"


def record(n: int, text: str | bytes, flag: str = "F", stream: str = "stdout") -> bytes:
    body = text.encode() if isinstance(text, str) else text
    return f"{STAMP.format(n)} {stream} {flag} ".encode() + body + b"\n"


def conmon_log() -> tuple[bytes, list[str]]:
    """A log with every shape conmon writes, and the lines `podman logs` shows for it."""
    accent = "é".encode()
    parts = [
        record(1, "plain"),
        record(2, "to stderr", stream="stderr"),
        record(3, ""),  # an empty line
        record(4, "text with F in it F "),
        record(5, "a long line, ", "P"),  # a line cut at conmon's buffer edge: P pieces, then F
        record(6, "in three ", "P"),
        record(7, "pieces"),
        record(8, b"caf" + accent[:1], "P"),  # a character cut between two pieces
        record(9, accent[1:] + b" au lait"),
        record(10, "last whole line"),
    ]
    return b"".join(parts), ["plain", "to stderr", "", "text with F in it F ", "a long line, in three pieces", "café au lait", "last whole line"]


def test_log_records_are_lines_however_the_file_is_cut():
    data, expected = conmon_log()
    for size in (1, 2, 3, 7, 64, len(data)):
        parser = LogRecords()
        lines = [line for i in range(0, len(data), size) for line in parser.feed(data[i : i + size])]
        assert lines + parser.finish() == expected


def test_log_records_keep_the_first_piece_s_time_as_podman_logs_t_prints_it():
    data, expected = conmon_log()
    parser = LogRecords(timestamps=True)
    stamped = parser.feed(data)
    assert [line.split(" ", 1)[1] for line in stamped] == expected
    assert stamped[0].split(" ", 1)[0] == "2026-11-25T02:15:10.000000001Z"
    assert stamped[4].split(" ", 1)[0] == "2026-11-25T02:15:10.000000005Z"  # the first of 3 pieces


def test_a_line_still_open_at_the_end_is_given_when_the_log_ends():
    parser = LogRecords()
    assert parser.feed(record(1, "done") + record(2, "prompt> ", "P") + b"2026-11-25T02:15:10.3+00:00 std") == ["done"]
    assert parser.finish() == ["prompt> "]


@pytest.mark.parametrize("chunk", [5, 16, 100, 1 << 18])
def test_tail_finds_the_last_lines_reading_backwards(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(logfile, "CHUNK", chunk)
    data, expected = conmon_log()
    unfinished = record(11, "half a ", "P")
    path = tmp_path / "ctr.log"
    path.write_bytes(data + unfinished + b"2026-11-25T02:15:10.000000012+00:00 stdout F and a rec")  # conmon mid-write
    for count in range(len(expected) + 2):
        with open(path, "rb") as log:
            log.seek(tail_start(log, path.stat().st_size, count))
            parser = LogRecords()
            assert parser.feed(log.read()) == expected[max(0, len(expected) - count) :][:count]
        assert parser.finish() == ["half a and a rec"]  # the open line, after the last `count` whole ones
    assert [line for batch in read_log_file(str(path), tail=2) for line in batch] == expected[-2:] + ["half a and a rec"]


def test_file_follower_reads_what_is_appended_across_a_rotation(tmp_path):
    path = tmp_path / "ctr.log"
    path.write_bytes(record(1, "one") + record(2, "tw", "P"))

    def write(*records: bytes, to=path) -> None:
        with open(to, "ab") as log:
            log.write(b"".join(records))

    def rotate() -> None:  # conmon's rotation: a new file renamed over the old one
        write(record(5, "four, in the old file after the last read"))
        write(record(6, "five, first of the new file"), to=tmp_path / "new")
        os.replace(tmp_path / "new", path)

    steps = iter([
        (lambda: None, True),
        (lambda: write(record(3, "o"), record(4, "three")), True),
        (rotate, True),
        (lambda: write(record(7, "six, written before the container stopped")), False),
    ])

    def is_running() -> bool:
        action, running = next(steps)
        action()
        return running

    lines = [line for batch in read_log_file(str(path), is_running=is_running, interval=0) for line in batch]
    assert lines == ["one", "two", "three", "four, in the old file after the last read", "five, first of the new file",
                     "six, written before the container stopped"]


def test_a_stopped_container_s_log_is_followed_until_podman_says_exited(tmp_path):
    """conmon writes what the ended process left in its pipe, syncs the log, and only then
    its exit file: in between Podman says "stopped". The follower reads on until "exited"."""
    path = tmp_path / "ctr.log"
    path.write_bytes(record(1, "one"))
    script = iter([("running", b""), ("stopped", record(2, "two")), ("stopped", record(3, "three")), ("exited", b"")])

    def state() -> str:
        now, written = next(script)
        with open(path, "ab") as log:
            log.write(written)
        return now

    follower = read_log_file(str(path), is_running=log_still_written(state), interval=0)
    assert [line for batch in follower for line in batch] == ["one", "two", "three"]


def test_a_log_is_finished_when_its_container_is_gone_or_stays_stopped_too_long(monkeypatch):
    def gone() -> str:
        raise ContainerNotFound("x")

    assert log_still_written(lambda: "running")() and not log_still_written(lambda: "exited")()
    assert not log_still_written(gone)()  # removed (--rm): what was written is all there is
    assert log_still_written(lambda: "stopped")()
    monkeypatch.setattr(logs, "STOPPED_GRACE", 0)  # a conmon that died writes no exit file
    assert not log_still_written(lambda: "stopped")()


def test_file_follower_ends_when_stopped_even_while_it_waits(tmp_path):
    """A panel's follower is stopped when another container's logs are asked for: it must
    not sleep out its interval (10 minutes here) or go on reading."""
    path = tmp_path / "ctr.log"
    path.write_bytes(record(1, "one"))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert list(read_log_file(str(path), is_running=lambda: True, stop=stop, interval=600)) == [["one"]]

    stop = threading.Event()
    follower = read_log_file(str(path), is_running=lambda: True, stop=stop, interval=600)
    assert next(follower) == ["one"]
    stop.set()
    with open(path, "ab") as log:
        log.write(record(2, "two"))
    assert list(follower) == []


def test_the_log_file_is_read_only_when_it_is_this_machine_s_and_readable(tmp_path):
    container_id = "c" * 64
    mine = tmp_path / "overlay-containers" / container_id / "userdata" / "ctr.log"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"")

    def inspect(path, kind="k8s-file", cid=container_id):
        return {"Id": cid, "HostConfig": {"LogConfig": {"Type": kind, "Path": str(path)}}}

    assert local_log_path(inspect(mine), "unix:///run/podman/podman.sock") == str(mine)
    assert local_log_path(inspect(mine), "ssh://lab@gpu1/run/podman/podman.sock") is None  # another machine's
    assert local_log_path(inspect(mine, kind="journald"), "unix:///run/podman/podman.sock") is None
    assert local_log_path(inspect(tmp_path / "elsewhere.log"), "unix:///x") is None  # not under the container's own folder
    assert local_log_path(inspect(mine.parent / "missing.log"), "unix:///x") is None


# -- against a real Podman service ----------------------------------------------------------------


def test_a_long_line_of_non_ascii_text_arrives_intact(engine, test_image, unique_name):
    """conmon cuts long lines into 8 KiB pieces, so a two-byte character falls across two
    pieces; reading each piece through the service turned it into two U+FFFD."""
    name = unique_name()
    long_line = "a" + "é" * 20000
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", f"sleep 0.5; echo {long_line}; echo end")))
    assert list(engine.logs(name, follow=True)) == [long_line, "end"]
    assert list(engine.logs(name)) == [long_line, "end"]


def test_following_a_container_that_removes_itself_gives_every_line(engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, remove=True, command=("sh", "-c", "seq 1 3000; sleep 1; echo last")))
    assert list(engine.logs(name, follow=True)) == [str(i) for i in range(1, 3001)] + ["last"]
    wait_until(lambda: not podman_cli.exists(name), message="Podman to remove the container (--rm)")


def test_following_goes_on_across_a_log_rotation(engine, test_image, unique_name, podman_cli):
    """With --log-opt max-size Podman replaces the log file as it fills (dropping the old
    lines, as `podman logs` shows afterwards): the follower goes on to the end."""
    name = unique_name()
    script = "sleep 0.5; for i in $(seq 1 40); do seq 1 500; sleep 0.05; done; echo last"
    podman_cli("run", "-d", "--name", name, "--log-opt", "max-size=50k", test_image, "sh", "-c", script)
    followed = list(engine.logs(name, follow=True))
    kept = podman_cli("logs", name).stdout.splitlines()
    assert kept[-1] == "last" and followed[-len(kept) :] == kept


def test_timestamps_are_podman_s_own_to_the_nanosecond(engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "echo one; echo two")))
    engine.wait(name)
    ours = list(engine.logs(name, timestamps=True))
    witness = podman_cli("logs", "-t", name).stdout.splitlines()  # whole seconds through the service
    assert [line.split(" ", 1)[1] for line in ours] == ["one", "two"]
    for line, seen in zip(ours, witness, strict=True):
        stamp, text = line.split(" ", 1)
        whole, _, fraction = stamp.partition(".")
        assert f"{whole}Z {text}" == seen and fraction.rstrip("Z").isdigit()


def test_fast_output_through_the_service_is_complete_too(engine, test_image, unique_name, monkeypatch):
    """Where the log file cannot be read here (a remote Podman, another user's service) the
    follower reads through the service: the same lines, every one."""
    monkeypatch.setattr("labcontainer.engine.logs.local_log_path", lambda _inspect, _url: None)
    name = unique_name()
    long_line = "x" * 20000
    script = f"seq 1 30000; echo {long_line}; sleep 1.2; seq 30001 30010"
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", script)))
    expected = [str(i) for i in range(1, 30001)] + [long_line] + [str(i) for i in range(30001, 30011)]
    assert list(engine.logs(name, follow=True)) == expected
    assert list(engine.logs(name, tail=3)) == expected[-3:]


class _CountingOut(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_logs_f_writes_the_output_in_a_few_writes_not_one_per_line(engine, test_image, unique_name):
    """In a notebook every flushed write is a message to the browser: 30,000 lines are
    written a read at a time."""
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "sleep 0.5; seq 1 30000")))
    magics = ContainerMagics(InteractiveShell.instance(), service=LabService(engine, nvml=RecordedReader({"gpus": []})))
    out = _CountingOut()
    with contextlib.redirect_stdout(out):
        magics.container(f"logs -f {name}")
    assert out.getvalue() == "".join(f"{i}\n" for i in range(1, 30001))
    assert out.writes < 100

