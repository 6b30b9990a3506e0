#!/usr/bin/env python3
"""Side-by-side backup benchmark: Custos vs restic vs borg on one synthetic dataset.

usage: bench/vault_bench.py [--scale 1.0] [--runs 3] [--work /tmp/custos-bench]
                            [--tools custos,restic,borg] [--custos PATH]
                            [--dataset-script PATH] [--markdown] [--keep]

For every run and tool: fresh copy of the pristine dataset, fresh repository, then
  1. first backup (wall time, peak RSS via GNU time %M), repository size (apparent bytes)
  2. gen_dataset.py --mutate SRC 0.001, second backup (wall time), repository growth
  3. full restore of the latest snapshot into an empty dir (wall time), then cmp of
     records.db and one document against the source (a mismatch fails the tool loudly).
Cells are medians over runs (min-max in a second table). Raw data: WORK/results.json.
Progress goes to stderr, the report to stdout. Needs /usr/bin/time (Debian package `time`).
See bench/README.md.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GNU_TIME = "/usr/bin/time"
PASSWORD = "custos-bench-password-not-secret"
ALL_TOOLS = ("custos", "restic", "borg")
MUTATE_FRACTION = "0.001"
MIB = 1 << 20  # sizes in MiB, like the reference figures in anchors.md

# (key, header) for the result table; every column is "lower is better".
COLUMNS = [
    ("first_backup_s", "first backup (s)"),
    ("peak_rss_mib", "peak RSS (MiB)"),
    ("repo_size_mib", "repo size (MiB)"),
    ("second_backup_s", "backup after mutate (s)"),
    ("repo_growth_mib", "repo growth (MiB)"),
    ("restore_s", "full restore (s)"),
]

# Targets for Custos relative to restic: (column, max ratio, label).
TARGETS = [
    ("first_backup_s", 1 / 3, "first backup <= 1/3 restic"),
    ("restore_s", 1 / 2, "full restore <= 1/2 restic"),
    ("peak_rss_mib", 1.0, "peak RSS <= restic"),
    ("repo_size_mib", 1.0, "repo size <= restic"),
]


class BenchError(Exception):
    pass


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def rmtree(path):
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def tree_bytes(path):
    """Apparent size of all regular files under path (like `du -sb`, without dir entries)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            total += st.st_size
    return total


def tree_listing(path):
    """{relative path: size} of regular files under path."""
    out = {}
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            out[os.path.relpath(full, path)] = os.lstat(full).st_size
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sync():
    subprocess.run(["sync"], check=True)


class Runner:
    def __init__(self, logdir, env):
        self.logdir = logdir
        self.env = env
        os.makedirs(logdir, exist_ok=True)

    def run(self, name, cmd, cwd=None, timed=False, env_extra=None):
        """Run cmd with output to a log file. If timed: sync first, wrap in GNU time and
        return {"wall_s", "rss_kib", "user_s", "sys_s"}. Raises BenchError on failure."""
        env = dict(self.env)
        if env_extra:
            env.update(env_extra)
        logfile = os.path.join(self.logdir, name + ".log")
        timefile = os.path.join(self.logdir, name + ".time")
        full = list(cmd)
        if timed:
            full = [GNU_TIME, "-f", "%e %U %S %M", "-o", timefile] + full
            sync()
        with open(logfile, "wb") as lf:
            lf.write(("$ " + shlex.join(cmd) + (f"   (cwd {cwd})" if cwd else "") + "\n").encode())
            lf.flush()
            t0 = time.perf_counter()
            proc = subprocess.run(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=lf, stderr=subprocess.STDOUT)
            wall = time.perf_counter() - t0
        if proc.returncode != 0:
            with open(logfile, "rb") as lf:
                tail = lf.read()[-3000:].decode(errors="replace")
            raise BenchError(f"`{shlex.join(cmd)}` exited with status {proc.returncode} "
                             f"(log: {logfile})\n--- log tail ---\n{tail}")
        if not timed:
            return None
        with open(timefile) as tf:
            lines = [l for l in tf.read().splitlines() if l.strip()]
        e, u, s, m = lines[-1].split()
        return {"wall_s": wall, "gnu_time_wall_s": float(e), "user_s": float(u),
                "sys_s": float(s), "rss_kib": int(m)}


# ---------------------------------------------------------------- tools

class Tool:
    name = "?"
    # Per-tool cache/config dirs live under this (cleared before each run).
    def __init__(self, exe, home):
        self.exe = exe
        self.home = home

    def env(self):
        return {}

    def version(self):
        try:
            p = subprocess.run(self.version_cmd(), capture_output=True, text=True, timeout=30,
                               env=dict(os.environ, **self.env()))
            out = (p.stdout.strip() or p.stderr.strip()).splitlines()
            if p.returncode != 0:
                return f"(version query failed, exit {p.returncode})"
            return out[0] if out else "(no output)"
        except Exception as ex:  # noqa: BLE001 - tolerate any failure here
            return f"(version query failed: {ex})"


class Custos(Tool):
    name = "custos"

    def env(self):
        # Keep any cache/config Custos might create inside the work dir, like the others.
        return {"CUSTOS_PASSWORD": PASSWORD,
                "XDG_CACHE_HOME": os.path.join(self.home, "cache"),
                "XDG_CONFIG_HOME": os.path.join(self.home, "config")}

    def version_cmd(self):
        return [self.exe, "version"]

    def init(self, repo):
        return [self.exe, "-r", repo, "init"], None

    def backup(self, repo, src, n):
        return [self.exe, "-r", repo, "backup", src], None

    def restore(self, repo, target, n):
        return [self.exe, "-r", repo, "restore", "latest", "--target", target], None


class Restic(Tool):
    name = "restic"

    def env(self):
        return {"RESTIC_PASSWORD": PASSWORD,
                "RESTIC_CACHE_DIR": os.path.join(self.home, "cache")}

    def version_cmd(self):
        return [self.exe, "version"]

    def init(self, repo):
        return [self.exe, "-r", repo, "init", "--repository-version", "2"], None

    def backup(self, repo, src, n):
        return [self.exe, "-r", repo, "--compression", "auto", "backup", src], None

    def restore(self, repo, target, n):
        return [self.exe, "-r", repo, "restore", "latest", "--target", target], None


class Borg(Tool):
    name = "borg"

    def env(self):
        # BORG_BASE_DIR moves borg's cache, config and security dirs into the work dir.
        return {"BORG_PASSPHRASE": PASSWORD,
                "BORG_BASE_DIR": self.home,
                "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
                "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"}

    def version_cmd(self):
        return [self.exe, "--version"]

    def init(self, repo):
        return [self.exe, "init", "-e", "repokey-blake2", repo], None

    def backup(self, repo, src, n):
        return [self.exe, "create", "--compression", "zstd,3", f"{repo}::bench-{n}", src], None

    def restore(self, repo, target, n):
        # borg extract recreates the archived path (without leading '/') under cwd.
        return [self.exe, "extract", f"{repo}::bench-{n}"], target


TOOL_CLASSES = {"custos": Custos, "restic": Restic, "borg": Borg}


# ---------------------------------------------------------------- dataset

def ensure_dataset(args, work):
    data = os.path.join(work, "data")
    stamp = os.path.join(work, "data.stamp")
    gen_hash = sha256_file(args.dataset_script)
    want = {"scale": args.scale, "generator_sha256": gen_hash}
    if os.path.isdir(data) and os.path.exists(stamp):
        try:
            with open(stamp) as f:
                have = json.load(f)
        except (OSError, ValueError):
            have = None
        if have and have.get("scale") == args.scale and have.get("generator_sha256") == gen_hash:
            log(f"dataset present at {data} (scale {args.scale}), reusing")
            return data, have
        log(f"dataset at {data} has a different scale/generator ({have}), regenerating")
    rmtree(stamp)
    rmtree(data)
    log(f"generating dataset scale {args.scale} into {data} (one-off, may take minutes)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, args.dataset_script, data, str(args.scale)], check=True)
    info = dict(want)
    info["bytes"] = tree_bytes(data)
    info["files"] = len(tree_listing(data))
    info["generated_at"] = datetime.datetime.now().isoformat(timespec="seconds")
    info["generation_s"] = round(time.perf_counter() - t0, 1)
    with open(stamp, "w") as f:
        json.dump(info, f, indent=1)
    log(f"dataset ready: {info['bytes'] / MIB:.0f} MiB in {info['files']} files "
        f"({info['generation_s']} s)")
    return data, info


# ---------------------------------------------------------------- one run

def restored_root(target, src):
    """Where the restore of absolute path src lands under target (all three tools store
    the absolute source path; borg without the leading '/', relative to cwd)."""
    cand = os.path.join(target, src.lstrip("/"))
    if os.path.isfile(os.path.join(cand, "records.db")):
        return cand
    # Fallback: a tool that stores paths differently; look for records.db.
    for root, _dirs, files in os.walk(target):
        if "records.db" in files and os.path.isdir(os.path.join(root, "documents")):
            return root
    raise BenchError(f"restore into {target} does not contain records.db "
                     f"(expected under {cand})")


def cmp_files(a, b):
    p = subprocess.run(["cmp", a, b], capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"VERIFY FAILED: restored {b} differs from source {a}: "
                         f"{(p.stdout + p.stderr).strip()}")


def verify_restore(src, root):
    docs = sorted(os.listdir(os.path.join(src, "documents")))
    doc = os.path.join("documents", docs[len(docs) // 2])
    cmp_files(os.path.join(src, "records.db"), os.path.join(root, "records.db"))
    cmp_files(os.path.join(src, doc), os.path.join(root, doc))
    want, have = tree_listing(src), tree_listing(root)
    if want != have:
        missing = sorted(set(want) - set(have))[:5]
        extra = sorted(set(have) - set(want))[:5]
        sized = sorted(k for k in set(want) & set(have) if want[k] != have[k])[:5]
        raise BenchError(f"VERIFY FAILED: restored tree differs: missing {missing}, "
                         f"extra {extra}, size mismatch {sized}")
    return doc


def one_run(tool, run_no, args, work, pristine):
    src = os.path.join(work, "src")
    rundir = os.path.join(work, "runs", f"{run_no}-{tool.name}")
    repo = os.path.join(rundir, "repo")
    target = os.path.join(rundir, "restore")
    rmtree(src)
    rmtree(rundir)
    rmtree(tool.home)
    os.makedirs(rundir)
    os.makedirs(target)
    os.makedirs(tool.home)
    env = dict(os.environ)
    env.update(tool.env())
    r = Runner(os.path.join(rundir, "logs"), env)

    log(f"run {run_no} {tool.name}: copying pristine dataset to {src}")
    subprocess.run(["cp", "-a", pristine, src], check=True)

    cmd, cwd = tool.init(repo)
    r.run("0-init", cmd, cwd=cwd)

    res = {"run": run_no}
    log(f"run {run_no} {tool.name}: first backup")
    cmd, cwd = tool.backup(repo, src, 1)
    t = r.run("1-backup", cmd, cwd=cwd, timed=True)
    res["first_backup"] = t
    res["first_backup_s"] = t["wall_s"]
    res["peak_rss_mib"] = t["rss_kib"] / 1024
    size1 = tree_bytes(repo)
    res["repo_size_bytes"] = size1
    res["repo_size_mib"] = size1 / MIB

    log(f"run {run_no} {tool.name}: mutate {MUTATE_FRACTION}")
    subprocess.run([sys.executable, args.dataset_script, "--mutate", src, MUTATE_FRACTION],
                   check=True)
    log(f"run {run_no} {tool.name}: second backup")
    cmd, cwd = tool.backup(repo, src, 2)
    t = r.run("2-backup-after-mutate", cmd, cwd=cwd, timed=True)
    res["second_backup"] = t
    res["second_backup_s"] = t["wall_s"]
    size2 = tree_bytes(repo)
    res["repo_size_after_mutate_bytes"] = size2
    res["repo_growth_bytes"] = size2 - size1
    res["repo_growth_mib"] = (size2 - size1) / MIB

    log(f"run {run_no} {tool.name}: full restore")
    cmd, cwd = tool.restore(repo, target, 2)
    t = r.run("3-restore", cmd, cwd=cwd or None, timed=True)
    res["restore"] = t
    res["restore_s"] = t["wall_s"]
    root = restored_root(target, src)
    doc = verify_restore(src, root)
    res["verified"] = ["records.db", doc, "file list + sizes"]
    log(f"run {run_no} {tool.name}: ok  first {res['first_backup_s']:.2f}s  "
        f"rss {res['peak_rss_mib']:.0f}MiB  repo {res['repo_size_mib']:.0f}MiB  "
        f"second {res['second_backup_s']:.2f}s  +{res['repo_growth_mib']:.1f}MiB  "
        f"restore {res['restore_s']:.2f}s  (verified)")

    if not args.keep:
        rmtree(rundir)
        rmtree(tool.home)
    return res


# ---------------------------------------------------------------- report

def fmt(v, key):
    if v is None:
        return "-"
    if key.endswith("_s"):
        return f"{v:.2f}"
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"


def render_table(headers, rows, markdown):
    if markdown:
        out = ["| " + " | ".join(headers) + " |",
               "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def summarize(results):
    """{tool: {col: (median, min, max)}} for tools with at least one complete run."""
    summ = {}
    for name, runs in results.items():
        ok = [r for r in runs if "restore_s" in r]
        if not ok:
            continue
        summ[name] = {k: (statistics.median(r[k] for r in ok), min(r[k] for r in ok),
                          max(r[k] for r in ok)) for k, _ in COLUMNS}
        summ[name]["n"] = len(ok)
    return summ


def report(args, tools, results, failures, meta, markdown):
    out = []
    p = out.append
    summ = summarize(results)
    order = [t.name for t in tools]
    h2 = "### " if markdown else ""

    hdr = ["tool"] + [h for _, h in COLUMNS]
    rows = []
    for name in order:
        if name in summ:
            rows.append([f"{name} (n={summ[name]['n']})"] +
                        [fmt(summ[name][k][0], k) for k, _ in COLUMNS])
        else:
            rows.append([name + " FAILED"] + ["-"] * len(COLUMNS))
    p(f"{h2}Median over {args.runs} run(s), dataset scale {args.scale} "
      f"({meta['dataset']['bytes'] / MIB:.0f} MiB, {meta['dataset']['files']} files)")
    p("")
    p(render_table(hdr, rows, markdown))
    p("")
    rows = []
    for name in order:
        if name in summ:
            rows.append([name] + [f"{fmt(summ[name][k][1], k)}-{fmt(summ[name][k][2], k)}"
                                  for k, _ in COLUMNS])
    if rows:
        p(f"{h2}Min-max over runs")
        p("")
        p(render_table(hdr, rows, markdown))
        p("")

    if "custos" in summ:
        for other in ("restic", "borg"):
            if other not in summ:
                continue
            p(f"{h2}Ratios custos/{other} (lower is better)")
            p("")
            p(render_table([h for _, h in COLUMNS],
                           [[(f"{summ['custos'][k][0] / summ[other][k][0]:.2f}"
                              if summ[other][k][0] else "-") for k, _ in COLUMNS]],
                           markdown))
            p("")
        if "restic" in summ:
            p(f"{h2}Targets (custos vs restic, medians)")
            p("")
            for key, limit, label in TARGETS:
                c, rr = summ["custos"][key][0], summ["restic"][key][0]
                ratio = c / rr if rr else float("inf")
                verdict = "PASS" if ratio <= limit + 1e-12 else "MISS"
                p(f"{'- ' if markdown else ''}{verdict}  {label}: ratio {ratio:.2f} "
                  f"(custos {fmt(c, key)}, restic {fmt(rr, key)}, limit {limit:.2f})")
            p("")
    elif len(summ) >= 2 and "restic" in summ and "borg" in summ:
        p(f"{h2}Ratios borg/restic (lower is better)")
        p("")
        p(render_table([h for _, h in COLUMNS],
                       [[(f"{summ['borg'][k][0] / summ['restic'][k][0]:.2f}"
                          if summ['restic'][k][0] else "-") for k, _ in COLUMNS]], markdown))
        p("")

    for name, err in failures.items():
        p(f"{'- ' if markdown else ''}FAILED {name}: {err.splitlines()[0]}")
    if failures:
        p("")

    b = "- " if markdown else ""
    q = "`" if markdown else ""
    p(f"{h2}Setup")
    p("")
    p(f"{b}command: {q}{meta['command']}{q}")
    p(f"{b}machine: {meta['machine']['nproc']} cores, {meta['machine']['cpu']}, "
      f"{meta['machine']['mem_gb']} GB RAM, {meta['machine']['os']}")
    for name in order:
        p(f"{b}{name}: {meta['versions'].get(name, '?')}")
    p(f"{b}MiB = 2^20 bytes; wall times include process start-up; `sync` before each "
      f"timed step, page cache warm (not dropped)")
    p(f"{b}raw results: {meta['results_json']}")
    return "\n".join(out)


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    osname = platform.platform()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"') + f" ({platform.release()})"
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gb": mem, "os": osname}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See bench/README.md.")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="dataset scale (1.0 ~ 609 MiB; default 1.0)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool (default 3)")
    ap.add_argument("--work", default="/tmp/custos-bench",
                    help="work directory (default /tmp/custos-bench)")
    ap.add_argument("--custos", default=os.path.join(REPO_ROOT, "build/release/src/cli/custos"),
                    help="custos binary (default build/release/src/cli/custos)")
    ap.add_argument("--dataset-script",
                    default=os.path.normpath(os.path.join(REPO_ROOT, "../shared/bench/gen_dataset.py")),
                    help="gen_dataset.py (default ../shared/bench/gen_dataset.py from repo root)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="comma-separated subset of custos,restic,borg (default all)")
    ap.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    ap.add_argument("--keep", action="store_true",
                    help="keep per-run repos, restores, logs and the source copy")
    args = ap.parse_args()

    names = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [t for t in names if t not in TOOL_CLASSES]
    if bad or not names:
        ap.error(f"--tools: unknown tool(s) {bad}; choose from {','.join(ALL_TOOLS)}")
    names = list(dict.fromkeys(names))
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    if args.scale <= 0:
        ap.error("--scale must be > 0")
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"error: {GNU_TIME} not found; install GNU time (apt-get install time)")
    args.dataset_script = os.path.abspath(args.dataset_script)
    if not os.path.isfile(args.dataset_script):
        sys.exit(f"error: dataset script {args.dataset_script} not found (--dataset-script)")

    work = os.path.realpath(os.path.abspath(args.work))
    os.makedirs(work, exist_ok=True)

    tools = []
    for name in names:
        if name == "custos":
            exe = args.custos
            if os.sep not in exe:
                exe = shutil.which(exe) or exe
            exe = os.path.abspath(exe)
            if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
                sys.exit(f"error: custos binary {exe} does not exist or is not executable.\n"
                         f"Build it first:  cmake --preset release && cmake --build --preset release\n"
                         f"(or pass --custos PATH, or leave custos out with --tools restic,borg)")
        else:
            exe = shutil.which(name)
            if not exe:
                print(f"NOTE: {name} not found on PATH, skipping it", file=sys.stderr)
                continue
        tools.append(TOOL_CLASSES[name](exe, os.path.join(work, f"home-{name}")))
    if not tools:
        sys.exit("error: no tool left to benchmark")

    command = shlex.join([sys.argv[0]] + sys.argv[1:])
    meta = {"command": command, "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "machine": machine_info(),
            "versions": {t.name: t.version() for t in tools},
            "executables": {t.name: t.exe for t in tools},
            "scale": args.scale, "runs": args.runs, "work": work,
            "mutate_fraction": float(MUTATE_FRACTION),
            "results_json": os.path.join(work, "results.json")}
    for t in tools:
        log(f"{t.name}: {t.exe} -- {meta['versions'][t.name]}")

    pristine, meta["dataset"] = ensure_dataset(args, work)

    results = {t.name: [] for t in tools}
    failures = {}
    for run_no in range(1, args.runs + 1):
        for t in tools:
            if t.name in failures:
                continue
            try:
                results[t.name].append(one_run(t, run_no, args, work, pristine))
            except BenchError as ex:
                failures[t.name] = f"run {run_no}: {ex}"
                if not args.keep:
                    ex = f"{ex}\n(kept {os.path.join(work, 'runs', f'{run_no}-{t.name}')} for inspection)"
                print(f"\n*** {t.name} FAILED in run {run_no} ***\n{ex}\n", file=sys.stderr,
                      flush=True)
    if not args.keep:
        rmtree(os.path.join(work, "src"))
        runs_dir = os.path.join(work, "runs")
        # Keep the run directory (logs, repo, restore) of a failed tool for inspection.
        for d in (os.listdir(runs_dir) if os.path.isdir(runs_dir) else []):
            if d.split("-", 1)[1] not in failures:
                rmtree(os.path.join(runs_dir, d))
        if os.path.isdir(runs_dir) and not os.listdir(runs_dir):
            os.rmdir(runs_dir)
        for t in tools:
            if t.name not in failures:
                rmtree(t.home)

    meta["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    summ = summarize(results)
    with open(meta["results_json"], "w") as f:
        json.dump({"meta": meta, "results": results, "failures": failures,
                   "summary": {n: {k: {"median": v[0], "min": v[1], "max": v[2]}
                                   for k, v in s.items() if k != "n"} | {"n": s["n"]}
                               for n, s in summ.items()}},
                  f, indent=1)

    print(report(args, tools, results, failures, meta, args.markdown))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
