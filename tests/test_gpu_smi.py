"""nvidia-smi's CSV seam (gpus/smi.py) gives the readings the pynvml seam gives, and the
GPU check (scripts/gpu_check.py) catches any disagreement between them.

The recordings in tests/data are named for where they came from: ``handmade-*`` were written
by hand, in nvidia-smi's own formats (``[N/A]`` fields included), until a real GPU run of
``scripts/gpu-check.sh`` brings ``h100-*`` ones (issue #23).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from labcontainer.gpus import NvmlUnavailable, RecordedReader, SmiReader, build_gpu_view, readings_from_csv
from labcontainer.gpus.inventory import user_of_pid
from labcontainer.gpus.smi import APPS_COMMAND, GPU_COMMAND, GPU_FIELDS, parse_apps_csv, parse_gpus_csv, run_local

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
MIB = 1 << 20
GIB = 1 << 30
UUID0 = "GPU-5b3ad9c4-8e21-4f0a-9c77-2d61e0f4a1b3"
UUID1 = "GPU-c0ffee00-1d2e-4f30-a5b6-c7d8e9f0a1b2"
#: Who ran the recorded processes (the recordings hold PIDs, not users: /proc says who).
USERS = {4242: "alice", 4343: "bob"}


def _load_check():
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "scripts" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check = _load_check()


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def smi_runner(gpus: str | None = None, apps: str | None = None):
    """The command seam answered from the hand-made nvidia-smi recordings."""
    answers = {
        GPU_COMMAND: recorded("handmade-2gpu-smi-gpus.csv") if gpus is None else gpus,
        APPS_COMMAND: recorded("handmade-2gpu-smi-apps.csv") if apps is None else apps,
        check.TABLE_COMMAND: recorded("handmade-2gpu-smi-table.txt"),
        check.LIST_COMMAND: recorded("handmade-2gpu-smi-list.txt"),
        check.MEMORY_COMMAND: "0, 81559, 8198, 72849, 512\n1, 81559, 0, 81047, 512\n",
    }
    asked = []

    def run(argv):
        asked.append(tuple(argv))
        return answers[tuple(argv)]

    run.asked = asked
    return run


def view_of(readings):
    return build_gpu_view(readings, [], container_of_pid=lambda pid: None, user_of=USERS.get)


def pynvml_recording() -> dict:
    return json.loads(recorded("handmade-2gpu-pynvml.json"))


# ---------------------------------------------------------------- the parser


def test_the_recorded_csv_reads_as_pynvml_would_read_it():
    readings = SmiReader(smi_runner()).read()
    gpu0, gpu1 = readings.gpus
    assert readings.driver_version == "580.159.04"
    assert (gpu0.index, gpu0.uuid, gpu0.name) == (0, UUID0, "NVIDIA H100 80GB HBM3")
    assert gpu0.memory_total == 81559 * MIB and gpu0.memory_used == 8198 * MIB  # MiB → bytes
    assert (gpu0.utilization, gpu0.temperature, gpu0.power_draw, gpu0.power_limit) == (0, 34, 118.62, 700.0)
    assert [(p.pid, p.used_memory) for p in gpu0.processes] == [(4242, 2560 * MIB), (4343, 5632 * MIB)]
    # [N/A] and [Not Supported] become None, as NVMLError does in PynvmlReader
    assert (gpu1.utilization, gpu1.power_draw, gpu1.power_limit) == (None, None, None)
    assert gpu1.temperature == 31 and gpu1.processes == () and gpu1.error is None


def test_the_reader_asks_nvidia_smi_through_the_command_seam_with_the_name_last():
    run = smi_runner()
    SmiReader(run).read()
    assert run.asked == [GPU_COMMAND, APPS_COMMAND]
    assert GPU_COMMAND[1] == "--query-gpu=" + ",".join(f[1] for f in GPU_FIELDS) and GPU_FIELDS[-1][0] == "name"
    assert GPU_COMMAND[-1] == APPS_COMMAND[-1] == "--format=csv,noheader,nounits"
    assert APPS_COMMAND[1] == "--query-compute-apps=gpu_uuid,pid,used_memory"


def test_smi_and_pynvml_recordings_give_the_same_gpu_view():
    smi_view = view_of(SmiReader(smi_runner()).read())
    nvml_view = view_of(RecordedReader(pynvml_recording()).read())
    assert [(g.index, g.uuid, g.name) for g in smi_view.gpus] == [(g.index, g.uuid, g.name) for g in nvml_view.gpus]
    assert [[(p.pid, p.user) for p in g.processes] for g in smi_view.gpus] == [[(4242, "alice"), (4343, "bob")], []]
    assert [[(p.pid, p.user) for p in g.processes] for g in nvml_view.gpus] == [[(4242, "alice"), (4343, "bob")], []]
    assert smi_view.free_indices() == nvml_view.free_indices() == [1]
    # pynvml's bytes are not whole MiB; nvidia-smi's are: within a MiB is the same reading
    assert nvml_view.gpus[0].memory_used != smi_view.gpus[0].memory_used
    assert check.compare_views(nvml_view, smi_view) == []


@pytest.mark.parametrize("word", ["[N/A]", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]", "[GPU is lost]", "N/A", ""])
def test_every_value_the_driver_cannot_give_becomes_none(word):
    line = f"0, {UUID0}, {word}, {word}, {word}, {word}, {word}, {word}, {word}, {word}"
    readings = readings_from_csv(line, f"{UUID0}, 77, {word}\n")
    gpu = readings.gpus[0]
    assert gpu.name == "" and readings.driver_version is None  # text fields too, not "[N/A]" as a name
    assert (gpu.memory_total, gpu.memory_used, gpu.utilization, gpu.temperature, gpu.power_draw, gpu.power_limit) == (None,) * 6
    assert gpu.uuid == UUID0 and gpu.processes[0].pid == 77 and gpu.processes[0].used_memory is None
    assert not view_of(readings).gpus[0].free


def test_a_name_with_commas_stays_whole_because_it_comes_last():
    gpus, _ = parse_gpus_csv(f"0, {UUID0}, 550.54.15, 40960, 0, 0, 30, 50.00, 250.00, NVIDIA A100, PCIe, 40GB\n")
    assert gpus[0].name == "NVIDIA A100, PCIe, 40GB" and gpus[0].power_limit == 250.0


def test_no_compute_process_is_an_empty_output():
    readings = readings_from_csv(recorded("handmade-2gpu-smi-gpus.csv"), "")
    assert all(g.processes == () for g in readings.gpus)
    assert view_of(readings).free_indices() == [0, 1]
    assert parse_apps_csv("\n") == {}


def test_a_recording_made_with_units_still_reads():
    gpus, _ = parse_gpus_csv(f"0, {UUID0}, 580.159.04, 81559 MiB, 12 MiB, 3 %, 40 C, 70.25 W, 700.00 W, NVIDIA H100 80GB HBM3\n")
    assert (gpus[0].memory_total, gpus[0].memory_used, gpus[0].utilization, gpus[0].power_draw) == (81559 * MIB, 12 * MIB, 3, 70.25)


def test_a_process_listed_twice_on_a_gpu_counts_once():
    assert [p.pid for p in parse_apps_csv(f"{UUID0}, 5, 100\n{UUID0}, 5, 100\n{UUID1}, 5, 7\n")[UUID0]] == [5]


def test_a_gpu_nvidia_smi_cannot_open_is_one_row_not_a_failed_query():
    text = (f"0, {UUID0}, 580.159.04, 81559, 0, 0, 30, 60.00, 700.00, NVIDIA H100 80GB HBM3\n"
            "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error\n")
    view = view_of(readings_from_csv(text, ""))
    assert [g.index for g in view.gpus] == [0, 1]
    assert "Unknown Error" in view.gpus[1].error and not view.gpus[1].free
    assert view.free_indices() == [0]


@pytest.mark.parametrize("said", [
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running.",
    "No devices were found",
])
def test_a_machine_without_usable_gpus_is_unavailable_in_nvidia_smis_words(said):
    with pytest.raises(NvmlUnavailable) as caught:
        SmiReader(lambda argv: said + "\n").read()
    assert said in caught.value.reason


def test_this_machine_has_no_nvidia_smi_and_the_local_reader_says_so():
    with pytest.raises(NvmlUnavailable) as caught:
        run_local(("/lc-no-such-dir/nvidia-smi", "--query-gpu=index"))
    assert "/lc-no-such-dir/nvidia-smi is not installed" in caught.value.reason
    with pytest.raises(NvmlUnavailable) as caught:
        run_local((str(DATA / "handmade-2gpu-smi-gpus.csv"), "--query-gpu=index"))  # not executable
    assert "cannot be run here" in caught.value.reason
    with pytest.raises(NvmlUnavailable):
        SmiReader(lambda argv: run_local(("/lc-no-such-dir/nvidia-smi", *argv[1:]))).read()


# ---------------------------------------------------------------- the GPU check's comparison


def _disagreeing(change) -> dict:
    data = pynvml_recording()
    change(data["gpus"])
    return data


@pytest.mark.parametrize("change, expected", [
    (lambda gpus: gpus[0].update(uuid="GPU-00000000-0000-0000-0000-000000000000"), "GPU 0 uuid"),
    (lambda gpus: gpus[0]["processes"][1].update(pid=9999), "GPU 0 PIDs"),
    (lambda gpus: gpus[0]["processes"][0].update(used_memory=2700 * MIB), "GPU 0 PID 4242 memory"),
    (lambda gpus: gpus[0].update(memory_used=8400 * MIB), "GPU 0 memory_used"),
    (lambda gpus: gpus[1]["processes"].append({"pid": 4343, "used_memory": MIB}), "GPU 1 free"),
    (lambda gpus: gpus.pop(), "GPU indices"),
])
def test_the_check_reports_a_disagreeing_pair(change, expected):
    smi_view = view_of(SmiReader(smi_runner()).read())
    wrong = view_of(RecordedReader(_disagreeing(change)).read())
    problems = check.compare_views(wrong, smi_view)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_check_reports_a_wrong_user_and_a_missing_process():
    view = build_gpu_view(SmiReader(smi_runner()).read(), [], container_of_pid=lambda pid: None, user_of=lambda pid: "alice")
    problems = check.check_workers(view, [check.Worker(4343, "bob", 5 * GIB), check.Worker(31337, "alice", GIB)], "busy")
    assert any("PID 4343 user is 'alice', started as 'bob'" in p for p in problems)
    assert any("PID 31337 (alice) is on 0 GPUs" in p for p in problems)
    assert check.check_workers(view_of(SmiReader(smi_runner()).read()), [check.Worker(4343, "bob", 5 * GIB)], "busy") == []
    assert check.check_idle(view, "idle") == ["idle: GPU 0 is not free after the processes ended ([4242, 4343])"]


def test_the_check_reads_nvidia_smis_own_table_and_catches_a_difference():
    table, listing = recorded("handmade-2gpu-smi-table.txt"), recorded("handmade-2gpu-smi-list.txt")
    view = view_of(SmiReader(smi_runner()).read())
    assert check.compare_with_table(view, table, listing, "busy") == []
    problems = check.compare_with_table(view, table.replace("4343", "4344").replace("8198MiB", "9000MiB"), listing, "busy")
    assert any("(GPU, PID)" in p for p in problems) and any("GPU 0 memory" in p for p in problems)
    # a table the parser cannot read is a disagreement, never a vacuous pass
    assert check.compare_with_table(view, "", "", "busy")


def test_a_check_phase_on_recordings_compares_and_writes_replayable_recordings(tmp_path):
    """The script's CPU-side run: both seams read, compared, recorded, reported."""
    report: list[str] = []
    workers = [check.Worker(4242, "alice", 2 * GIB), check.Worker(4343, "bob", 5 * GIB)]
    nvml = RecordedReader(pynvml_recording())
    problems = check.check_phase("busy", nvml, smi_runner(), USERS.get, workers, tmp_path, "handmade", report)
    assert problems == [], report
    assert "busy: everything agreed" in report
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "handmade-pynvml-busy.json", "handmade-smi-apps-busy.csv", "handmade-smi-gpus-busy.csv"]
    # the pynvml recording replays as is, to the same readings
    assert RecordedReader(tmp_path / "handmade-pynvml-busy.json").read() == nvml.read()
    assert (tmp_path / "handmade-smi-gpus-busy.csv").read_text() == recorded("handmade-2gpu-smi-gpus.csv")
    assert (tmp_path / "handmade-smi-apps-busy.csv").read_text() == recorded("handmade-2gpu-smi-apps.csv")
    assert check.prefix_for(nvml.read()) == "h100"


def test_a_check_phase_on_a_disagreeing_pair_fails_and_says_why(tmp_path):
    report: list[str] = []
    wrong = RecordedReader(_disagreeing(lambda gpus: gpus[0]["processes"][1].update(pid=9999)))
    workers = [check.Worker(4343, "bob", 5 * GIB)]
    problems = check.check_phase("busy", wrong, smi_runner(), USERS.get, workers, tmp_path, "x", report)
    assert any("GPU 0 PIDs: pynvml [4242, 9999], nvidia-smi [4242, 4343]" == p for p in problems)
    assert any(line.startswith("DISAGREE ") for line in report)


def test_the_idle_phase_after_the_processes_end(tmp_path):
    report: list[str] = []
    idle = pynvml_recording()
    idle["gpus"][0].update(processes=[], memory_used=0)
    gpus = recorded("handmade-2gpu-smi-gpus.csv").replace(", 8198, ", ", 0, ")
    run = smi_runner(gpus=gpus, apps="")
    table = recorded("handmade-2gpu-smi-table.txt")
    table = table.replace("8198MiB", "   0MiB").split("|    0   N/A")[0]
    run_with_table = lambda argv: table if tuple(argv) == check.TABLE_COMMAND else run(argv)  # noqa: E731
    problems = check.check_phase("idle", RecordedReader(idle), run_with_table, USERS.get, (), tmp_path, "x", report)
    assert problems == [], report
    assert (tmp_path / "x-smi-apps-idle.csv").read_text() == ""


def _without_out() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "OUT"}


def test_the_script_on_a_machine_without_a_gpu_fails_in_words_and_leaves_a_report(tmp_path):
    done = subprocess.run(["bash", str(REPO / "scripts" / "gpu-check.sh"), str(tmp_path)], capture_output=True, text=True,
                          env={**_without_out(), "PYTHON": sys.executable}, timeout=120)
    assert done.returncode == 1, done.stderr
    report = (tmp_path / "report.txt").read_text()
    assert "the check itself failed: NvmlUnavailable" in report and "RESULT: FAIL" in report
    usage = subprocess.run(["bash", str(REPO / "scripts" / "gpu-check.sh")], capture_output=True, text=True,
                           env=_without_out())
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_readings_recorded_by_the_check_replay_through_recorded_reader():
    readings = SmiReader(smi_runner()).read()
    assert RecordedReader(json.loads(json.dumps(check.recording_of(readings)))).read() == readings
    assert replace(readings.gpus[0], processes=()) != readings.gpus[0]


#: The worker's life without PyTorch: report the PID, hold until stdin closes.
STUB_WORKER = "import os, sys\nprint('ready', os.getpid(), flush=True)\nsys.stdin.read()\n"


def test_a_worker_reports_its_pid_and_ends_when_the_check_stops_it():
    proc = check.start_worker(0, None, code=STUB_WORKER)
    pid = check.wait_ready(proc)
    assert pid == proc.pid and user_of_pid(pid) == pwd.getpwuid(os.geteuid()).pw_name
    assert os.getpgid(pid) == pid  # its own group, so a stuck one can be killed with its children
    check.stop([proc])
    assert proc.returncode == 0 and not Path(f"/proc/{pid}").exists()


def test_a_worker_as_another_user_runs_under_runuser_and_shows_that_user():
    if os.geteuid() != 0:
        pytest.skip("starting a process as another user needs root (the GPU check runs as root)")
    proc = check.start_worker(0, "nobody", code=STUB_WORKER)
    pid = check.wait_ready(proc)
    assert pid != proc.pid  # runuser forks: the PID the GPU shows is the one the worker says
    assert user_of_pid(pid) == "nobody"
    check.stop([proc])
    assert not Path(f"/proc/{pid}").exists()


def test_a_worker_that_cannot_start_says_why():
    proc = check.start_worker(0, None, code="import sys; sys.exit('no CUDA here')")
    with pytest.raises(RuntimeError, match="no CUDA here"):
        check.wait_ready(proc, timeout=60)
    check.stop([proc])


def test_pynvml_reads_used_memory_as_nvidia_smi_counts_it(monkeypatch):
    """NVML's v1 memory info counts what the driver reserves as used (hundreds of MiB on an
    idle A100 or H100); nvidia-smi and NVML's v2 do not. Both seams must agree, so
    PynvmlReader asks for v2. Here over the simulated GPU's stub pynvml and nvidia-smi."""
    sim = REPO / "tests" / "gpusim"
    monkeypatch.syspath_prepend(str(sim))
    spec = importlib.util.spec_from_file_location("pynvml", sim / "pynvml.py")
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    monkeypatch.setitem(sys.modules, "pynvml", stub)
    from labcontainer.gpus import PynvmlReader

    nvml_view = view_of(PynvmlReader().read())
    smi_view = view_of(SmiReader(lambda argv: run_local((str(sim / "nvidia-smi"), *argv[1:]))).read())
    assert smi_view.gpus[0].memory_used == 0 and smi_view.gpus[0].free
    assert check.compare_views(nvml_view, smi_view) == []


#: The check's other user: nobody as root (as the check runs); a non-root test run (the
#: rootless mode) cannot use runuser, so there its "other" user is itself.
OTHER_USER = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _check_on_simulated_gpu(out: Path, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    """gpu-check.sh as it will run on a GPU machine, but over tests/gpusim (stub pynvml,
    nvidia-smi and torch over the live worker processes): the flow, not the driver."""
    sim = Path(tempfile.mkdtemp(prefix="lc-gpusim-"))
    try:
        sim.chmod(0o755)  # the other user's worker imports the stub torch from here
        for source in (REPO / "tests" / "gpusim").iterdir():
            if source.is_file():
                shutil.copy2(source, sim / source.name)
        env = {**_without_out(), "PYTHON": sys.executable, "PYTHONPATH": str(sim), "GPU_CHECK_OTHER_USER": OTHER_USER,
               "PATH": f"{sim}:{os.environ['PATH']}", **env}
        done = subprocess.run(["bash", str(REPO / "scripts" / "gpu-check.sh"), str(out)], capture_output=True, text=True,
                              env=env, timeout=240)
        return done, (out / "report.txt").read_text()
    finally:
        shutil.rmtree(sim)


def test_the_whole_check_runs_on_a_simulated_gpu_and_passes(tmp_path):
    out = tmp_path / "out"
    done, report = _check_on_simulated_gpu(out)
    assert done.returncode == 0, report + done.stderr
    assert "busy: everything agreed" in report and "idle: everything agreed" in report and "RESULT: PASS" in report
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"h100-{kind}-{phase}.{ext}" for phase in ("busy", "idle")
        for kind, ext in (("pynvml", "json"), ("smi-gpus", "csv"), ("smi-apps", "csv"))) + ["report.txt"]
    busy = RecordedReader(out / "h100-pynvml-busy.json").read()
    pids = sorted(p.pid for p in busy.gpus[0].processes)
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert len(pids) == 2 and any(f"PID {pid} {me}:" in report for pid in pids)
    assert {f"PID {pid} {OTHER_USER}:" in report for pid in pids} == ({True, False} if OTHER_USER != me else {True})
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids)  # the workers ended
    assert readings_from_csv((out / "h100-smi-gpus-idle.csv").read_text(), "").gpus[0].uuid == busy.gpus[0].uuid


def test_the_whole_check_fails_when_pynvml_and_nvidia_smi_disagree_and_still_stops_its_workers(tmp_path):
    done, report = _check_on_simulated_gpu(tmp_path / "out", GPUSIM_PYNVML_SKEW_MIB="100")
    assert done.returncode == 1, report
    assert "RESULT: FAIL" in report and "idle: everything agreed" in report
    skewed = [line for line in report.splitlines() if line.startswith("DISAGREE busy") or line.startswith("DISAGREE GPU 0 PID")]
    assert any("memory: pynvml" in line and "(over 1 %)" in line for line in skewed), report
    assert not check_processes_left()


def check_processes_left() -> list[str]:
    """Live processes running the check's worker code (none once the check has ended)."""
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _is_worker(p)]


def _is_worker(proc: Path) -> bool:
    try:
        return b"hold the memory until the check closes our stdin" in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_the_other_user_is_kept_when_it_exists_and_nobody_when_it_cannot_be_made(monkeypatch):
    report: list[str] = []
    assert check.ensure_user("nobody", report) == "nobody" and report == []
    monkeypatch.setenv("PATH", "/lc-no-such-dir")  # no useradd to be found
    assert check.ensure_user("lc-no-such-user-here", report) == "nobody"
    assert "useradd lc-no-such-user-here failed" in report[0]
