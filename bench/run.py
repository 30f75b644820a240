"""Run every benchmark in bench/ and print one table of ratios, plus JSON for later comparison.

    ./scripts/bench.sh            (sets up like the tests, then runs this)
    python bench/run.py [--quick] [--only NAME] [--json PATH] [--readme README.md]

Each ``bench/bench_*.py`` exposes ``run(quick: bool = False) -> list[dict]``; a dict holds
``name``, ``ratio`` (ours / baseline: below 1 means faster than the baseline, unless the
benchmark says otherwise), ``ours_s``, ``baseline_s``, ``baseline``, ``details`` and, for a
figure that is not in seconds, ``unit`` (e.g. "req/min"). Every
baseline is measured in the same run, on the same machine. ``--readme`` rewrites the
section between the benchmark markers in README.md with this run's table, date and machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def discover(only: list[str] | None) -> list[Path]:
    files = sorted(HERE.glob("bench_*.py"))
    if only:
        files = [f for f in files if any(name in f.stem for name in only)]
    return files


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HERE))
    spec.loader.exec_module(module)
    return module


def machine_description() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / (1 << 20):.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    mode = "rootless" if os.environ.get("LABCONTAINER_TEST_MODE") == "rootless" else "rootful"
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {memory}, Python {platform.python_version()}, Podman {mode}"


def _figure(r: dict, key: str) -> str:
    """A measured figure in its unit: seconds unless the result names another ("unit")."""
    value = r.get(key)
    return f"{value:.3f} {r.get('unit', 's')}" if isinstance(value, (int, float)) else "-"


def format_table(results: list[dict]) -> str:
    rows = [("benchmark", "ours", "baseline", "ratio", "baseline is")]
    for r in results:
        ours, base = _figure(r, "ours_s"), _figure(r, "baseline_s")
        ratio = f"{r['ratio']:.2f}" if isinstance(r.get("ratio"), (int, float)) else "-"
        rows.append((r["name"], ours, base, ratio, str(r.get("baseline", ""))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def details_text(details: dict) -> str:
    """The figures beside the timing (memory, call counts, buffer sizes), compactly."""
    parts = []
    for key, value in details.items():
        if key in ("samples", "note"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def markdown_table(results: list[dict]) -> str:
    lines = ["| benchmark | ours | baseline | ratio | baseline is | details |", "|---|---|---|---|---|---|"]
    for r in results:
        ours, base = _figure(r, "ours_s"), _figure(r, "baseline_s")
        ratio = f"{r['ratio']:.2f}" if isinstance(r.get("ratio"), (int, float)) else "-"
        lines.append(f"| {r['name']} | {ours} | {base} | {ratio} | {r.get('baseline', '')} | {details_text(r.get('details') or {})} |")
    return "\n".join(lines)


def update_readme(readme: Path, results: list[dict], when: str, machine: str, quick: bool) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return
    body = (
        f"{BEGIN}\nMeasured {when} on {machine}{' (quick run)' if quick else ''}, "
        f"written by `bench/run.py --readme`:\n\n{markdown_table(results)}\n{END}"
    )
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(head + body + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", action="append", help="run benchmarks whose file name contains this")
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"), help="where to write the JSON")
    parser.add_argument("--readme", help="rewrite the benchmark section of this README")
    args = parser.parse_args(argv)

    results: list[dict] = []
    failures: list[str] = []
    for path in discover(args.only):
        print(f"==> {path.stem}", flush=True)
        started = time.perf_counter()
        try:
            module = load(path)
            produced = module.run(quick=args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            failures.append(path.stem)
            traceback.print_exc()
            continue
        for result in produced:
            result.setdefault("source", path.stem)
            results.append(result)
        print(f"    {path.stem} took {time.perf_counter() - started:.1f} s", flush=True)

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_description()
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": when, "machine": machine, "quick": args.quick, "results": results}, indent=2, default=str))
    if args.readme:
        update_readme(Path(args.readme), results, when, machine, args.quick)

    print()
    print(f"{when} — {machine}")
    print(format_table(results))
    print(f"JSON: {out}")
    if failures:
        print(f"FAILED benchmarks: {', '.join(failures)}")
    print()
    for r in results:
        if isinstance(r.get("ratio"), (int, float)):
            print(f"{r['name']}: {r['ratio']:.3f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
