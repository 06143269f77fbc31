"""Scaling of the converter, ours against upstream's: scripts/bench --plot runs this.

    python3 bench-scaling.py OUT_DIR REGISTRY OURS UPSTREAM RUNS

Writes Dockerfiles of 10, 100, 1,000 and 10,000 stages and of one stage with 1,000, 10,000 and
100,000 instructions (base images on REGISTRY, a loopback registry serving the six images of
llb-gen/benches/convert/synthetic.rs), runs OURS (`llb-gen -` online) and UPSTREAM
(`dockerfile2llb`, Dockerfile on stdin) on each, alternating, RUNS times (fewer for the largest
inputs), and prints a markdown table of the medians of wall time and peak RSS
(/usr/bin/time -f %M). With matplotlib (Debian's python3-matplotlib), draws OUT_DIR/scaling.png:
log-log, both programs, both series, and the fitted slope of each line in the legend.
"""

import math
import os
import statistics
import subprocess
import sys
import time

# A program whose median passes this at one size is not run at the next (10x) size.
TIME_BUDGET_MS = 10_000

IMAGES = ["alpine:3.20", "debian:bookworm-slim", "golang:1.23", "node:22-alpine",
          "python:3.12-slim", "busybox:1.36"]


def stages_file(n, registry):
    """n stages in all: each a FROM (an image or an earlier stage) and four instructions."""
    out = ["ARG VERSION=1.0.0"]
    for i in range(n):
        if i > 0 and i % 3 == 0:
            out.append(f"FROM s{(i * 7) % i} AS s{i}")
        else:
            out.append(f"FROM {registry}/{IMAGES[i % len(IMAGES)]} AS s{i}")
        out.append(f"ENV STAGE=s{i} VERSION=$VERSION")
        out.append(f"WORKDIR /app/s{i}")
        out.append(f"RUN echo \"building $STAGE\" > /build-{i}.txt")
        if i > 0:
            out.append(f"COPY --from=s{(i * 13) % i} /build-{(i * 13) % i}.txt /deps/")
    return "\n".join(out) + "\n"


def instructions_file(n, registry):
    """One stage of n instructions (the FROM included): one RUN in ten, the rest instructions
    that only change the image config (bounded: keys repeat), so that 100,000 instructions still
    fit BuildKit's 16 MiB message (every ENV and ARG in scope is copied into each later RUN)."""
    kinds = ["RUN echo step-{i} > /s{i}", "LABEL l{m}=v{i}", "EXPOSE {p}", "LABEL a{m}=v{i}",
             "LABEL l{m}=w{i}", "EXPOSE {p}/udp", "STOPSIGNAL SIGTERM", "LABEL k{m}=v{i}",
             "STOPSIGNAL SIGINT", "LABEL j{m}=v{i}"]
    out = [f"FROM {registry}/{IMAGES[0]}"]
    for i in range(1, n):
        out.append(kinds[i % len(kinds)].format(i=i, m=i % 97, p=8000 + i % 1000))
    return "\n".join(out) + "\n"


def run_once(cmd, path):
    """Wall ms and peak RSS MB of one run. dockerfile2llb's image resolver writes one map from
    several goroutines, and about one run in 40 dies of it (as in scripts/bench): such a run is
    left out and run again, twice at most; any other failure ends the benchmark."""
    for attempt in range(3):
        with open(path, "rb") as stdin:
            t0 = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdin=stdin,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        if proc.returncode == 0:
            return wall * 1000, int(err[-1]) / 1024
        raced = any(line.startswith("fatal error: concurrent map") for line in err)
        if not raced or attempt == 2:
            raise SystemExit(f"{cmd[0]} failed on {path}:\n" + "\n".join(err[-10:]))
        print(f"{cmd[0]} died of its known data race on {path}; run again", file=sys.stderr)


def slope(points):
    """Least-squares slope of log(y) over log(x) (nan below two points)."""
    if len(points) < 2:
        return float("nan")
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    out_dir, registry, ours, upstream, runs = sys.argv[1:6]
    runs = int(runs)
    programs = {"ours": [ours, "-"], "upstream": [upstream]}
    series = {"stages": (stages_file, [10, 100, 1000, 10000]),
              "instructions": (instructions_file, [1000, 10000, 100000])}
    results = {}  # (series, program) -> [(n, wall ms, rss MB)]
    skipped = []
    for name, (make, sizes) in series.items():
        active = dict(programs)
        for n in sizes:
            path = os.path.join(out_dir, f"{name}-{n}.Dockerfile")
            with open(path, "w") as f:
                f.write(make(n, registry))
            k = runs if n <= 1000 else max(3, runs // 3)
            samples = {p: [] for p in active}
            for _ in range(k):
                for p, cmd in active.items():
                    samples[p].append(run_once(cmd, path))
            for p in list(active):
                wall = statistics.median(s[0] for s in samples[p])
                rss = statistics.median(s[1] for s in samples[p])
                results.setdefault((name, p), []).append((n, wall, rss))
                print(f"{name} {n} {p}: {wall:.1f} ms, {rss:.1f} MB (median of {k})",
                      file=sys.stderr)
                if wall > TIME_BUDGET_MS and n != sizes[-1]:
                    # At 10x the input a (super)linear program takes minutes: stop that line.
                    del active[p]
                    skipped.append(f"{p}, {name}: not run above {n:,} ({wall / 1000:.1f} s there)")
    print("| Input | Ours: wall, peak RSS | Upstream: wall, peak RSS | Time ratio |")
    print("|---|---|---|---|")
    for name in series:
        theirs = {n: (w, r) for n, w, r in results[(name, "upstream")]}
        for n, ow, orss in results[(name, "ours")]:
            if n in theirs:
                uw, urss = theirs[n]
                print(f"| {n:,} {name} | {ow:.1f} ms, {orss:.1f} MB | {uw:.1f} ms, {urss:.1f} MB "
                      f"| {ow / uw:.2f}x |")
            else:
                print(f"| {n:,} {name} | {ow:.1f} ms, {orss:.1f} MB | not run | |")
    print()
    for s in skipped:
        print(f"- {s}")
    for key, pts in sorted(results.items()):
        big = [(n, w) for n, w, _ in pts if n >= 100]
        # The whole process has a fixed cost (start-up, the registry round trips): the slope of
        # what the input adds, between the two largest sizes, says more about linearity.
        added = [(n, w - pts[0][1]) for n, w, _ in pts[-2:] if w > pts[0][1]]
        print(f"- {key[1]}, {key[0]}: slope of wall time (log-log fit, n >= 100) "
              f"{slope(big):.2f}; of the time above the smallest input's, two largest sizes, "
              f"{slope(added):.2f}")
    plot(out_dir, results)


def plot(out_dir, results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no matplotlib: apt-get install python3-matplotlib for the chart)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, col, label in ((axes[0], 1, "wall time (ms)"), (axes[1], 2, "peak RSS (MB)")):
        for (name, prog), pts in sorted(results.items()):
            xs = [p[0] for p in pts]
            ys = [p[col] for p in pts]
            s = slope([(x, y) for x, y in zip(xs, ys) if x >= 100])
            ax.plot(xs, ys, marker="o", linestyle="-" if prog == "ours" else "--",
                    label=f"{prog}, {name} (slope {s:.2f})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("stages / instructions")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("llb-gen vs upstream dockerfile2llb, online (loopback registry)")
    fig.tight_layout()
    path = os.path.join(out_dir, "scaling.png")
    fig.savefig(path, dpi=90)
    print(f"\nChart: {path}")


if __name__ == "__main__":
    main()
