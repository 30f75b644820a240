"""The GPU path meets a real GPU (issue #23): one run, on a machine with an NVIDIA GPU.

1. Starts two PyTorch processes holding known GPU memory (2 GiB as this user, 5 GiB as
   another Linux user, made with useradd if missing and run with runuser).
2. Reads the GPU through labcontainer's production PynvmlReader + build_gpu_view, and
   through the nvidia-smi CSV seam (gpus/smi.py) fed the real nvidia-smi.
3. Compares the two views with each other, with what was started, and with nvidia-smi's
   own table (``nvidia-smi`` and ``nvidia-smi -L``): GPUs, UUIDs, processes, PIDs, memory
   within 1 %, users, free / not free. Then stops the processes and checks the GPU free again.
4. Writes both readings as recordings (pynvml JSON that RecordedReader replays as is,
   nvidia-smi's CSV outputs) and report.txt into the output folder.

Exits 1 when anything disagrees. No timing assertions. Needs only PyTorch, nvidia-ml-py
and nvidia-smi (labcontainer runs from the source tree: only its gpus/ and core/ are
imported). Run it through ``scripts/gpu-check.sh OUT_DIR`` (as root, for the other user).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labcontainer.core.models import GpuView  # noqa: E402
from labcontainer.gpus.inventory import build_gpu_view, user_of_pid  # noqa: E402
from labcontainer.gpus.nvml import NvmlReader, Readings  # noqa: E402
from labcontainer.gpus.smi import APPS_COMMAND, GPU_COMMAND, CommandRunner, SmiReader, run_local  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30
OTHER_USER = "lcgpucheck"
#: A CUDA context costs a few hundred MiB on top of what a process allocates.
CONTEXT_ALLOWANCE = 2 * GIB
TABLE_COMMAND: tuple[str, ...] = ("nvidia-smi",)
LIST_COMMAND: tuple[str, ...] = ("nvidia-smi", "-L")
#: Diagnostics only (not every driver knows memory.reserved): why memory.used may differ.
MEMORY_COMMAND: tuple[str, ...] = (
    "nvidia-smi", "--query-gpu=index,memory.total,memory.used,memory.free,memory.reserved", "--format=csv,noheader,nounits",
)

WORKER_CODE = """
import os, sys, torch
held = torch.empty(int(sys.argv[1]), dtype=torch.uint8, device="cuda")  # a plain cudaMalloc
torch.cuda.synchronize()
print("ready", os.getpid(), flush=True)
sys.stdin.read()  # hold the memory until the check closes our stdin
"""


@dataclass(frozen=True)
class Worker:
    """A process the check started: its PID as the GPU sees it, its user, what it allocated."""

    pid: int
    user: str
    allocated: int


# ---------------------------------------------------------------- comparisons (pure)


def _close(a: int | None, b: int | None) -> bool:
    """Memory figures agree within 1 % (and a MiB: nvidia-smi rounds to whole MiB)."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= max(0.01 * max(a, b), MIB)


def _mib(value: int | None) -> str:
    return "None" if value is None else f"{value / MIB:.0f} MiB"


def compare_views(a: GpuView, b: GpuView, names: tuple[str, str] = ("pynvml", "nvidia-smi")) -> list[str]:
    """What differs between two views of the same GPUs; empty when they agree."""
    na, nb = names
    problems = []
    if a.driver_version != b.driver_version:
        problems.append(f"driver version: {na} {a.driver_version!r}, {nb} {b.driver_version!r}")
    ga, gb = {g.index: g for g in a.gpus}, {g.index: g for g in b.gpus}
    if sorted(ga) != sorted(gb):
        problems.append(f"GPU indices: {na} {sorted(ga)}, {nb} {sorted(gb)}")
    for index in sorted(set(ga) & set(gb)):
        x, y = ga[index], gb[index]
        where = f"GPU {index}"
        for field in ("uuid", "name", "error", "free"):
            if getattr(x, field) != getattr(y, field):
                problems.append(f"{where} {field}: {na} {getattr(x, field)!r}, {nb} {getattr(y, field)!r}")
        for field in ("memory_total", "memory_used"):
            if not _close(getattr(x, field), getattr(y, field)):
                problems.append(f"{where} {field}: {na} {_mib(getattr(x, field))}, {nb} {_mib(getattr(y, field))} (over 1 %)")
        pa, pb = {p.pid: p for p in x.processes}, {p.pid: p for p in y.processes}
        if sorted(pa) != sorted(pb):
            problems.append(f"{where} PIDs: {na} {sorted(pa)}, {nb} {sorted(pb)}")
        for pid in sorted(set(pa) & set(pb)):
            if pa[pid].user != pb[pid].user:
                problems.append(f"{where} PID {pid} user: {na} {pa[pid].user!r}, {nb} {pb[pid].user!r}")
            if not _close(pa[pid].used_memory, pb[pid].used_memory):
                problems.append(f"{where} PID {pid} memory: {na} {_mib(pa[pid].used_memory)}, {nb} {_mib(pb[pid].used_memory)} (over 1 %)")
    return problems


def check_workers(view: GpuView, workers: Sequence[Worker], label: str) -> list[str]:
    """Each started process is on exactly one GPU, with its user and at least its memory,
    and that GPU is not free."""
    problems = []
    for worker in workers:
        found = [(g, p) for g in view.gpus for p in g.processes if p.pid == worker.pid]
        if len(found) != 1:
            problems.append(f"{label}: PID {worker.pid} ({worker.user}) is on {len(found)} GPUs, not 1")
            continue
        gpu, proc = found[0]
        if proc.user != worker.user:
            problems.append(f"{label}: PID {worker.pid} user is {proc.user!r}, started as {worker.user!r}")
        used = proc.used_memory
        if used is None or not worker.allocated <= used <= worker.allocated + CONTEXT_ALLOWANCE:
            problems.append(f"{label}: PID {worker.pid} uses {_mib(used)}, allocated {_mib(worker.allocated)} (+ a context)")
        if gpu.free:
            problems.append(f"{label}: GPU {gpu.index} holds PID {worker.pid} but is shown free")
    return problems


def check_idle(view: GpuView, label: str) -> list[str]:
    """No process left: every readable GPU is free."""
    return [f"{label}: GPU {g.index} is not free after the processes ended ({[p.pid for p in g.processes]})"
            for g in view.gpus if g.error is None and not g.free]


_TABLE_PROCESS = re.compile(r"^\|\s+(\d+)\s+(?:\S+\s+\S+\s+)?(\d+)\s+(?:C|G|M|C\+G|M\+C)\s+.*?\s(\d+)MiB\s*\|\s*$")
_TABLE_MEMORY = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")
_TABLE_DRIVER = re.compile(r"Driver Version:\s*(\S+)")
_LIST_GPU = re.compile(r"^GPU (\d+): (.*) \(UUID: (\S+)\)\s*$")


def compare_with_table(view: GpuView, table: str, listing: str, label: str) -> list[str]:
    """``view`` against nvidia-smi's own human outputs: the table and ``-L``."""
    problems = []
    driver = _TABLE_DRIVER.search(table)
    if not driver or driver.group(1) != view.driver_version:
        problems.append(f"{label}: driver {view.driver_version!r}, nvidia-smi's table {driver.group(1) if driver else None!r}")
    listed = {int(m[1]): (m[2], m[3]) for m in map(_LIST_GPU.match, listing.splitlines()) if m}
    shown = {g.index: (g.name, g.uuid) for g in view.gpus if g.error is None}
    if listed != shown:
        problems.append(f"{label}: GPUs {shown}, nvidia-smi -L {listed}")
    memory = [(int(u) * MIB, int(t) * MIB) for u, t in _TABLE_MEMORY.findall(table)]
    readable = [g for g in view.gpus if g.error is None]
    if len(memory) != len(readable):
        problems.append(f"{label}: {len(readable)} GPUs, nvidia-smi's table shows memory for {len(memory)}")
    for gpu, (used, total) in zip(readable, memory):
        if not (_close(gpu.memory_used, used) and _close(gpu.memory_total, total)):
            problems.append(f"{label}: GPU {gpu.index} memory {_mib(gpu.memory_used)} / {_mib(gpu.memory_total)}, "
                            f"table {_mib(used)} / {_mib(total)}")
    in_table = {(int(m[1]), int(m[2])): int(m[3]) * MIB for m in map(_TABLE_PROCESS.match, table.splitlines()) if m}
    in_view = {(g.index, p.pid): p.used_memory for g in view.gpus for p in g.processes}
    if sorted(in_table) != sorted(in_view):
        problems.append(f"{label}: (GPU, PID) {sorted(in_view)}, nvidia-smi's table {sorted(in_table)}")
    for key in sorted(set(in_table) & set(in_view)):
        if not _close(in_view[key], in_table[key]):
            problems.append(f"{label}: GPU {key[0]} PID {key[1]} memory {_mib(in_view[key])}, table {_mib(in_table[key])}")
    return problems


# ---------------------------------------------------------------- one reading, recorded


class RecordingRunner:
    """The smi seam's command runner, keeping what each command printed."""

    def __init__(self, run: CommandRunner) -> None:
        self._run = run
        self.outputs: dict[tuple[str, ...], str] = {}

    def __call__(self, argv: Sequence[str]) -> str:
        self.outputs[tuple(argv)] = text = self._run(argv)
        return text


def recording_of(readings: Readings) -> dict:
    """Readings as the JSON RecordedReader replays."""
    return asdict(readings)


def read_both(nvml: NvmlReader, run: CommandRunner, user_of: Callable[[int], str | None]) -> tuple:
    """One reading through each seam, the views built by the production build_gpu_view."""
    recorder = RecordingRunner(run)
    nvml_readings = nvml.read()
    smi_readings = SmiReader(recorder).read()
    views = tuple(build_gpu_view(r, [], container_of_pid=lambda pid: None, user_of=user_of)
                  for r in (nvml_readings, smi_readings))
    return nvml_readings, recorder.outputs, *views


def check_phase(phase: str, nvml: NvmlReader, run: CommandRunner, user_of, workers: Sequence[Worker],
                out: Path, prefix: str, report: list[str]) -> list[str]:
    """Read, compare and record one phase ("busy": workers running, "idle": after)."""
    nvml_readings, outputs, nvml_view, smi_view = read_both(nvml, run, user_of)
    table, listing = run(TABLE_COMMAND), run(LIST_COMMAND)
    (out / f"{prefix}-pynvml-{phase}.json").write_text(json.dumps(recording_of(nvml_readings), indent=1) + "\n")
    (out / f"{prefix}-smi-gpus-{phase}.csv").write_text(outputs[GPU_COMMAND])
    (out / f"{prefix}-smi-apps-{phase}.csv").write_text(outputs[APPS_COMMAND])
    problems = compare_views(nvml_view, smi_view)
    for label, view in (("pynvml", nvml_view), ("nvidia-smi CSV", smi_view)):
        problems += compare_with_table(view, table, listing, f"{phase}, {label}")
        problems += check_workers(view, workers, f"{phase}, {label}") if workers else check_idle(view, f"{phase}, {label}")
    report.append(f"== {phase}: {len(nvml_view.gpus)} GPU(s), driver {nvml_view.driver_version}")
    for gpu in nvml_view.gpus:
        other = next((g for g in smi_view.gpus if g.index == gpu.index), None)
        report.append(f"GPU {gpu.index} {gpu.uuid} {gpu.name!r}: used {_mib(gpu.memory_used)} (smi "
                      f"{_mib(other.memory_used) if other else '-'}) of {_mib(gpu.memory_total)}, free={gpu.free}")
        for proc in gpu.processes:
            report.append(f"  PID {proc.pid} {proc.user}: {_mib(proc.used_memory)}")
    report.append(f"nvidia-smi {' '.join(GPU_COMMAND[1:])}:\n{outputs[GPU_COMMAND]}")
    report.append(f"nvidia-smi {' '.join(APPS_COMMAND[1:])}:\n{outputs[APPS_COMMAND] or '(empty)'}")
    report.append(f"nvidia-smi -L:\n{listing}\nnvidia-smi:\n{table}")
    try:
        report.append(f"memory diagnostics (index, total, used, free, reserved; MiB):\n{run(MEMORY_COMMAND)}")
    except Exception as exc:  # diagnostics only; an old driver may not know memory.reserved
        report.append(f"memory diagnostics unavailable: {exc}")
    report += [f"DISAGREE {p}" for p in problems] or [f"{phase}: everything agreed"]
    return problems


def prefix_for(readings: Readings) -> str:
    """Recordings are named for where they came from: ``h100`` for an NVIDIA H100."""
    names = {g.name for g in readings.gpus if g.name}
    found = re.search(r"\b([A-Z]{1,2}\d{2,4})\b", " ".join(sorted(names)))
    return found.group(1).lower() if found else "gpu"


# ---------------------------------------------------------------- the real run


def ensure_user(name: str, report: list[str]) -> str:
    """``name``, made with useradd if missing; ``nobody`` where it cannot be made."""
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        pass
    try:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True, capture_output=True, text=True)
        return name
    except (OSError, subprocess.CalledProcessError) as exc:
        report.append(f"useradd {name} failed ({getattr(exc, 'stderr', '') or exc}); the other user is nobody")
        return "nobody"


def start_worker(gib: int, user: str | None, code: str = WORKER_CODE) -> subprocess.Popen:
    """A PyTorch process holding ``gib`` GiB, as ``user`` (runuser) or as this user. Its PID
    is the one it reports (:func:`wait_ready`): runuser forks, so Popen's is not the worker's."""
    argv = [sys.executable, "-c", code, str(gib * GIB)]
    as_user = {}
    if user == pwd.getpwuid(os.geteuid()).pw_name:
        user = None  # the same user needs no runuser (which only root may use)
    if user and shutil.which("runuser"):
        argv = ["runuser", "-u", user, "--", *argv]
    elif user:
        as_user = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
    # Its own process group, not session: the device machine ends what a session leaves behind.
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd="/", preexec_fn=os.setpgrp, **as_user)


def wait_ready(proc: subprocess.Popen, timeout: float = 180.0) -> int:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("ready "):
        proc.kill()
        raise RuntimeError(f"worker did not start: {line!r} {proc.stderr.read()[-2000:]}")
    return int(line.split()[1])


def stop(procs: Sequence[subprocess.Popen]) -> None:
    for proc in procs:
        try:
            proc.stdin.close()
        except OSError:
            pass
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for_idle(run: CommandRunner, timeout: float = 60.0) -> None:
    """Until nvidia-smi lists no compute process (the driver frees a context after exit)."""
    deadline = time.monotonic() + timeout
    while run(APPS_COMMAND).strip() and time.monotonic() < deadline:
        time.sleep(0.5)  # polling a condition, bounded by the deadline


class Stopped(Exception):
    """SIGTERM (gpu-check.sh's time limit) arrived."""


def _stopped(signum, frame) -> None:
    raise Stopped("stopped by SIGTERM (the time limit in gpu-check.sh?)")


def main(argv: Sequence[str]) -> int:
    target = os.environ.get("OUT") or (argv[1] if len(argv) > 1 else None)
    if not target:
        print("usage: gpu_check.py OUT_DIR (or set OUT, which comes first)", file=sys.stderr)
        return 2
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _stopped)  # so the report is written and the workers stop
    from labcontainer.gpus.nvml import PynvmlReader

    report: list[str] = [f"gpu_check on {os.uname().nodename}, python {sys.version.split()[0]}"]
    problems: list[str] = []
    procs: list[subprocess.Popen] = []
    nvml = PynvmlReader()
    try:
        prefix = prefix_for(nvml.read())
        me = pwd.getpwuid(os.geteuid()).pw_name
        other = ensure_user(os.environ.get("GPU_CHECK_OTHER_USER", OTHER_USER), report)
        plan = [(2, None, me), (5, other, other)]
        procs = [start_worker(gib, user) for gib, user, _ in plan]
        workers = [Worker(pid=wait_ready(p), user=who, allocated=gib * GIB) for p, (gib, _, who) in zip(procs, plan)]
        report.append("started: " + ", ".join(f"PID {w.pid} as {w.user} holding {_mib(w.allocated)}" for w in workers))
        problems += check_phase("busy", nvml, run_local, user_of_pid, workers, out, prefix, report)
        stop(procs)
        wait_for_idle(run_local)
        problems += check_phase("idle", nvml, run_local, user_of_pid, (), out, prefix, report)
    except Exception as exc:  # the report says what broke; the workers still end below
        problems.append(f"the check itself failed: {type(exc).__name__}: {exc}")
        report.append(f"DISAGREE the check itself failed: {type(exc).__name__}: {exc}")
    finally:
        stop(procs)
    report.append(f"RESULT: {'FAIL, ' + str(len(problems)) + ' disagreement(s)' if problems else 'PASS'}")
    (out / "report.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
