"""Shared pieces of the benchmarks: timing, the podman CLI baseline, throw-away containers."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Callable, Iterator

IMAGE = os.environ.get("LABCONTAINER_TEST_IMAGE", "localhost/labcontainer-kernel:latest")
BENCH_LABEL = "org.labcontainer.bench"


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The podman CLI as a user runs it (local mode, not through the service)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONTAINER_HOST", "CONTAINER_CONNECTION")}
    return subprocess.run([shutil.which("podman") or "podman", *args], capture_output=True, text=True, check=check, env=env)


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@contextmanager
def bench_containers(count: int, prefix: str) -> Iterator[list[str]]:
    """``count`` stopped containers labelled as the benchmark's own; removed afterwards."""
    run_id = uuid.uuid4().hex[:6]
    names = [f"lcbench-{prefix}-{run_id}-{i:03d}" for i in range(count)]

    def create(name: str) -> None:
        podman("create", "--name", name, "--label", f"{BENCH_LABEL}={run_id}", IMAGE, "true")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, names))
    try:
        yield names
    finally:
        ids = podman("ps", "-a", "-q", "--filter", f"label={BENCH_LABEL}={run_id}").stdout.split()
        for start in range(0, len(ids), 50):
            podman("rm", "-f", "-t", "0", *ids[start : start + 50], check=False)


def result(name: str, ours: float, baseline: float, baseline_text: str, **details) -> dict:
    return {"name": name, "ratio": ours / baseline if baseline else None, "ours_s": ours, "baseline_s": baseline,
            "baseline": baseline_text, "details": details}


def print_results(results: list[dict]) -> None:
    for r in results:
        print(f"  {r['name']}: ours {r['ours_s']:.4f} s, baseline {r['baseline_s']:.4f} s ({r['baseline']}) {r['details']}")
    for r in results:
        print(f"{r['name']}: {r['ratio']:.3f}")


@contextmanager
def environ_set(**values: str) -> Iterator[None]:
    """These environment variables for the block, the previous values (or none) after it."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@asynccontextmanager
async def ready_kernel(km: Any) -> AsyncIterator[tuple[Any, float]]:
    """Start ``km``'s kernel: its client and the seconds from start_kernel to the first
    kernel_info reply; the kernel is shut down after the block."""
    started = time.perf_counter()
    await km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        yield client, time.perf_counter() - started
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)

