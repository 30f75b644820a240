"""Shared pieces of the benchmarks: timing, the podman CLI baseline, throw-away containers."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

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
