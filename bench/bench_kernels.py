"""Container kernel start-up against a local ipykernel and a bare `podman run`.

* cold start: provisioner start → first kernel_info reply, median of N, against (a) a local
  ipykernel started by jupyter_client and (b) `podman run --rm IMAGE true`, same image;
  and the same cold start on an ordinary image (Debian's python3-ipykernel, nothing tuned:
  PLAIN_IMAGE, built by scripts/build-kernel-image.sh) against the same local samples;
  and that plain image's kernel against the same kernel run from the same root file system
  with no container at all (``chroot`` into a mounted, never started container of the image;
  rootful, local Podman): what the container itself costs, the image's own software aside.
* 10 kernels started at once through a Jupyter server: total time against 10 × one start,
  and the server's memory growth per kernel.
* warm start: a kernelspec with ``pool: 1`` (a kernel waiting, started in advance), through a
  Jupyter server: POST /api/kernels → the first kernel_info reply, against a local ipykernel
  (python3) started through the same server and timed the same way, interleaved.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from common import IMAGE, median_seconds, podman, print_results, ready_kernel, result

PLAIN_IMAGE = os.environ.get("LABCONTAINER_PLAIN_IMAGE", "localhost/labcontainer-debian-ipykernel:latest")
#: The contender "PLAIN_IMAGE's kernel without a container": a chroot into its root file system.
CHROOT = "chroot-plain"


@contextmanager
def plain_image_root() -> Iterator[str]:
    """PLAIN_IMAGE's root file system, mounted (``podman mount`` of a container never
    started: no namespace, no cgroup, no conmon), with the host's /proc and /dev in it as a
    container has its own (without /proc the kernel's psutil import fails and takes another
    path); unmounted and removed afterwards. Needs root and local Podman."""
    holder = f"lcbench-chroot-{os.getpid()}"
    podman("create", "--name", holder, PLAIN_IMAGE, "true")
    mounted: list[str] = []
    try:
        root = podman("mount", holder).stdout.strip()
        for source, target, options in (("proc", "proc", ["-t", "proc"]), ("/dev", "dev", ["--bind"])):
            subprocess.run(["mount", *options, source, f"{root}/{target}"], check=True)
            mounted.append(f"{root}/{target}")
        yield root
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", "-l", target], check=False)
        podman("rm", "-f", holder, check=False)


def _manager(kernel_name: str, chroot_root: str | None):
    """A kernel manager for a kernelspec, or for CHROOT: the same argv the plain image's
    container runs, in a chroot of that image's files (the connection file written inside it)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    if kernel_name != CHROOT:
        return AsyncKernelManager(kernel_name=kernel_name)
    assert chroot_root is not None, "the chroot contender runs inside plain_image_root()"
    km = AsyncKernelManager(kernel_name="python3")
    inside = f"/tmp/lcbench-{os.getpid()}-{time.monotonic_ns()}.json"
    km.connection_file = chroot_root + inside
    km._kernel_spec = KernelSpec(argv=["chroot", chroot_root, "python3", "-m", "ipykernel_launcher", "-f", inside],
                                 env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"}, language="python", display_name=CHROOT)
    return km


async def _time_to_ready(kernel_name: str, cpu: dict[str, list[float]] | None = None, *, chroot_root: str | None = None) -> float:
    """Seconds from start_kernel to the first kernel_info reply; with ``cpu``, also the CPU
    seconds the kernel's processes used until then (appended under ``kernel_name``)."""
    km = _manager(kernel_name, chroot_root)
    async with ready_kernel(km) as (_, elapsed):
        if cpu is not None:
            cpu.setdefault(kernel_name, []).append(_kernel_cpu_seconds(km))
        return elapsed


def _kernel_cpu_seconds(km) -> float:
    """CPU (user + system) of the kernel's process, or of the container's init and its
    children: unlike wall time, hardly moved by other load on a shared machine."""
    name = getattr(km.provisioner, "container_name", None)
    if name is None:
        pids = [km.provisioner.process.pid]
    else:
        init = int(podman("inspect", "--format", "{{.State.Pid}}", name).stdout.strip())
        pids = [init, *map(int, Path(f"/proc/{init}/task/{init}/children").read_text().split())]
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A Jupyter server in a subprocess on ``base`` (labcontainer's extension is enabled by
    its installed config), and its REST API."""

    def __init__(self, base: Path) -> None:
        self.port, self.token, self.base = _free_port(), "bench", base
        self.env = dict(os.environ, JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
        command = [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
                   f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={base}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                self.call("GET", "/api/status")
                break
            except OSError:
                time.sleep(0.1)

    def call(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=300) as response:
            text = response.read()
            return json.loads(text) if text else None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def _first_reply_through_server(server: _Server, kernel_name: str) -> float:
    """POST /api/kernels → the kernel's first kernel_info reply, as a notebook's first
    request would get it (the kernel is then shut down)."""
    from jupyter_client.blocking import BlockingKernelClient

    started = time.perf_counter()
    kernel_id = server.call("POST", "/api/kernels", {"name": kernel_name})["id"]
    client = BlockingKernelClient()
    client.load_connection_file(str(server.base / "runtime" / f"kernel-{kernel_id}.json"))
    client.start_channels(iopub=False, stdin=False, hb=False, control=False)
    try:
        msg_id = client.kernel_info()
        while client.get_shell_msg(timeout=120)["parent_header"].get("msg_id") != msg_id:
            pass
        return time.perf_counter() - started
    finally:
        client.stop_channels()
        server.call("DELETE", f"/api/kernels/{kernel_id}")


def _warm_start(base: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Pooled starts and local starts, one of each per round."""
    from labcontainer.kernels import pool

    state = base / "runtime" / "labcontainer-kernels"

    def pool_ready() -> None:
        deadline = time.monotonic() + 120
        while not any(m.waiting for m in pool.load_members(state)):
            if time.monotonic() > deadline:
                raise RuntimeError("the pool did not fill within 120 s")
            time.sleep(0.05)

    server = _Server(base)
    warm: list[float] = []
    local: list[float] = []
    try:
        pool_ready()
        _first_reply_through_server(server, "python3")  # warm the page cache alike
        for _ in range(repeat):
            pool_ready()
            time.sleep(1)  # the refill of the previous round has settled: a quiet machine for both
            warm.append(_first_reply_through_server(server, "lc-bench-pool"))
            local.append(_first_reply_through_server(server, "python3"))
    finally:
        server.stop()
    return warm, local


def _concurrent_through_server(count: int, base: Path) -> dict:
    server = _Server(base)
    try:
        rss_before = _rss_kib(server.process.pid)
        one = time.perf_counter()
        kid = server.call("POST", "/api/kernels", {"name": "lc-bench"})["id"]
        single = time.perf_counter() - one
        server.call("DELETE", f"/api/kernels/{kid}")
        started = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            ids = list(pool.map(lambda _i: server.call("POST", "/api/kernels", {"name": "lc-bench"})["id"], range(count)))
        total = time.perf_counter() - started
        rss_after = _rss_kib(server.process.pid)
        for kid in ids:
            server.call("DELETE", f"/api/kernels/{kid}")
        return {"single_s": single, "total_s": total, "rss_per_kernel_mib": (rss_after - rss_before) / count / 1024}
    finally:
        server.stop()


def run(quick: bool = False) -> list[dict]:
    from labcontainer.kernels.kernelspecs import install_kernelspec

    repeat = 3 if quick else 7
    concurrent = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="lcbench-") as scratch, plain_image_root() as root:
        base = Path(scratch)
        os.environ["JUPYTER_DATA_DIR"] = str(base / "data")
        os.environ["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")
        install_kernelspec(IMAGE, name="lc-bench")
        install_kernelspec(PLAIN_IMAGE, name="lc-bench-plain")
        install_kernelspec(IMAGE, name="lc-bench-pool", pool=1)
        contenders = ("lc-bench", "lc-bench-plain", CHROOT, "python3")
        samples, kernel_cpu = _cold_starts(contenders, repeat, root)
        container, plain, chrooted, local = (samples[name] for name in contenders)
        bare = median_seconds(lambda: podman("run", "--rm", IMAGE, "true"), repeat)
        many = _concurrent_through_server(concurrent, base)
        warm, warm_local = _warm_start(base, repeat)
    ours = statistics.median(container)
    return [
        result("kernel_cold_start_vs_local_ipykernel", ours, statistics.median(local), "local ipykernel via jupyter_client",
               target="<= 1.5", samples=[round(s, 3) for s in container],
               kernel_cpu_s={"ours": kernel_cpu["lc-bench"], "local": kernel_cpu["python3"]}),
        result("kernel_cold_start_plain_image_vs_local_ipykernel", statistics.median(plain), statistics.median(local),
               f"local ipykernel via jupyter_client; image {PLAIN_IMAGE} (Debian's python3-ipykernel)",
               target="<= 1.0", samples=[round(s, 3) for s in plain],
               kernel_cpu_s={"ours": kernel_cpu["lc-bench-plain"], "local": kernel_cpu["python3"]}),
        _container_cost(plain, chrooted, kernel_cpu),
        result("kernel_warm_start_vs_local_ipykernel", statistics.median(warm), statistics.median(warm_local),
               "local ipykernel (python3) through the same Jupyter server: POST /api/kernels to the first kernel_info reply",
               target="<= 0.3", samples=[round(s, 3) for s in warm], local_samples=[round(s, 3) for s in warm_local]),
        result("kernel_cold_start_vs_podman_run_true", ours, bare, f"podman run --rm {IMAGE} true (CLI)"),
        result(f"kernels_{concurrent}_concurrent_vs_{concurrent}x_one", many["total_s"], concurrent * many["single_s"],
               f"{concurrent} x one start through the same server",
               server_rss_growth_per_kernel_mib=round(many["rss_per_kernel_mib"], 2)),
    ]


def _cold_starts(contenders: tuple[str, ...], repeat: int, root: str) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Cold starts of each contender, interleaved (one of each per round: on a shared machine
    the load drifts, and every contender should see the same drift), after one warm-up
    each; and the median CPU seconds each kernel used until ready."""
    for name in contenders:  # warm the page cache once, for every contender alike
        asyncio.run(_time_to_ready(name, chroot_root=root))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name in contenders:
            samples[name].append(asyncio.run(_time_to_ready(name, cpu, chroot_root=root)))
    return samples, {name: round(statistics.median(cpu[name]), 3) for name in contenders}


def _container_cost(plain: list[float], chrooted: list[float], kernel_cpu: dict[str, float]) -> dict:
    return result("kernel_cold_start_plain_image_vs_same_image_without_container", statistics.median(plain),
                  statistics.median(chrooted),
                  f"the same kernel (argv) from the same root file system ({PLAIN_IMAGE}) with no container: chroot",
                  target="<= 1.10", samples=[round(s, 3) for s in plain], chroot_samples=[round(s, 3) for s in chrooted],
                  kernel_cpu_s={"ours": kernel_cpu["lc-bench-plain"], "chroot": kernel_cpu[CHROOT]})


def container_cost(quick: bool = False) -> list[dict]:
    """Only the plain image's container against its chroot (``--container-cost``): the
    figure run() also gives, without the other contenders."""
    from labcontainer.kernels.kernelspecs import install_kernelspec

    with tempfile.TemporaryDirectory(prefix="lcbench-") as scratch, plain_image_root() as root:
        os.environ["JUPYTER_DATA_DIR"] = str(Path(scratch) / "data")
        os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(scratch) / "runtime")
        install_kernelspec(PLAIN_IMAGE, name="lc-bench-plain")
        samples, kernel_cpu = _cold_starts(("lc-bench-plain", CHROOT), 3 if quick else 7, root)
    return [_container_cost(samples["lc-bench-plain"], samples[CHROOT], kernel_cpu)]


if __name__ == "__main__":
    print_results((container_cost if "--container-cost" in sys.argv else run)("--quick" in sys.argv))
