#!/usr/bin/env python3
"""Durable, audited record writes over HTTP: `custos serve` under load.

Starts `custos serve` on a fresh data directory, creates the references an
attendance record needs, then runs bench/load_gen (closed loop, keep-alive)
for each client count and prints writes/s, p50/p99 latency, server and
writer-thread CPU per write, the WAL KiB the writer thread writes per
write and the server's peak resident memory. Every write is
acknowledged only after its row and journal entry are fsynced. Finally it runs
`custos audit verify` on the directory and reports entries/s.

    python3 bench/records_bench.py [--clients 1,16,64] [--seconds 10] [--markdown] [--idle N]
                                   [--trainees N]

The attendance records go to one trainee's enrollment, or, with --trainees N,
to N trainees' enrollments in turn (each trainee a subject with its own key,
and its own place in the subject indexes).

The published figure to compare with is Tessera's POSIX log, ~2,900 appends/s
(12 cores, ZFS mirror of SAS disks); it is quoted, not run here.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
CUSTOS = os.environ.get("CUSTOS_BIN") or os.path.join(BUILD, "src", "cli", "custos")
LOAD_GEN = os.path.join(BUILD, "bench", "load_gen")
TOKEN = "cst_bench_" + os.urandom(16).hex()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_files(pid, leaf, thread_name=None):
    """/proc/PID/LEAF, or /proc/PID/task/TID/LEAF of each thread with one name."""
    if not thread_name:
        return [f"/proc/{pid}/{leaf}"]
    paths = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == thread_name:
                    paths.append(f"/proc/{pid}/task/{tid}/{leaf}")
        except OSError:
            pass
    return paths


def cpu_seconds(pid, thread_name=None):
    """User + system CPU of a process, or of its threads with one name."""
    total = 0
    for p in proc_files(pid, "stat", thread_name):
        with open(p) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def bytes_written(pid, thread_name):
    """Bytes the threads with one name passed to write calls (wchar)."""
    total = 0
    for p in proc_files(pid, "io", thread_name):
        with open(p) as f:
            total += next(int(l.split()[1]) for l in f if l.startswith("wchar:"))
    return total


def peak_rss_mib(pid):
    """The process's peak resident memory so far (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as f:
        kib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    return round(kib / 1024, 1)


def api(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode()}") from None


def store_counters(port):
    """The store's writes and group commits so far, from /metrics."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("custos_store_writes_total", "custos_store_commits_total"):
            values[parts[0]] = int(parts[1])
    return values["custos_store_writes_total"], values["custos_store_commits_total"]


def numbered_uln(n):
    """A valid Unique Learner Number for n (records/model/examples.cc NumberedUln)."""
    uln = "9" + f"{n % 100000000:08d}"
    total = sum(int(uln[i]) * (10 - i) for i in range(9))
    d = (10 - total % 11 + 11) % 11
    return "8" + uln[1:] + "9" if d > 9 else uln + str(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="1,16,64")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--idle", type=int, default=0,
                    help="keep-alive connections held open and idle during the load (each made one "
                         "request), e.g. browser tabs left open; the server then runs with "
                         "--timeout 3600 so that they stay")
    ap.add_argument("--trainees", type=int, default=1,
                    help="spread the attendance records over N trainees' enrollments")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="custos-records-bench-")
    port = free_port()
    env = dict(os.environ, CUSTOS_ADMIN_TOKEN=TOKEN)
    extra = ["--timeout", "3600"] if args.idle else []
    srv = subprocess.Popen([CUSTOS, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                            "--log-level", "warn", "--threads", "16",
                            "--max-connections", str(200 + args.idle)] + extra, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    idle = []
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        emp = api(port, "POST", "/employers", {"name": "Bench Engineering Ltd"})
        prg = api(port, "POST", "/programmes", {"standard_code": "ST0116", "title": "Software developer",
                                                "level": 4, "awarding_body": "Example EPAO",
                                                "duration_months": 24})
        enrollments = []
        for n in range(max(args.trainees, 1)):
            uln = "9276308686" if n == 0 else numbered_uln(n)
            trn = api(port, "POST", "/trainees", {"given_name": "Bench", "family_name": "Trainee",
                                                  "date_of_birth": "2004-02-29", "uln": uln,
                                                  "email": "bench@example.org", "status": "active"})
            enr = api(port, "POST", "/enrollments", {"trainee_id": trn["id"],
                                                     "programme_id": prg["id"],
                                                     "employer_id": emp["id"],
                                                     "start_date": "2024-09-02",
                                                     "planned_end_date": "2026-08-31",
                                                     "status": "active"})
            enrollments.append(enr["id"])
        # One body per line: load_gen sends them in turn.
        body = os.path.join(data, "body.json")
        with open(body, "w") as f:
            for e in enrollments:
                f.write(json.dumps({"enrollment_id": e, "session_date": "2024-10-07",
                                    "status": "present", "minutes": 330}) + "\n")
        for _ in range(args.idle):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
            if not s.recv(4096).startswith(b"HTTP/1.1 200"):
                raise SystemExit("an idle connection's first request failed")
            idle.append(s)
        for c in [int(x) for x in args.clients.split(",")]:
            cpu0 = cpu_seconds(srv.pid)
            writer0 = cpu_seconds(srv.pid, "custos-writer")
            wal0 = bytes_written(srv.pid, "custos-writer")
            writes0, commits0 = store_counters(port)
            out = subprocess.run([LOAD_GEN, "--port", str(port), "--token", TOKEN, "--clients", str(c),
                                  "--seconds", str(args.seconds), "--path", "/api/v1/attendance",
                                  "--body-file", body], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout))
            # Server CPU (user + system, all threads) per acknowledged write:
            # a figure that other load on the machine disturbs less than
            # throughput does.
            rows[-1]["server_cpu_us_per_write"] = round(
                (cpu_seconds(srv.pid) - cpu0) * 1e6 / max(rows[-1]["ok"], 1), 1)
            # The single writer thread's share: 1e6 / this bounds writes/s.
            rows[-1]["writer_cpu_us_per_write"] = round(
                (cpu_seconds(srv.pid, "custos-writer") - writer0) * 1e6 / max(rows[-1]["ok"], 1), 1)
            # What the writer thread wrote: the WAL frames of its commits.
            rows[-1]["wal_kib_per_write"] = round(
                (bytes_written(srv.pid, "custos-writer") - wal0) / 1024 / max(rows[-1]["ok"], 1), 1)
            # Writes per group commit: what one COMMIT (and one WAL sync)
            # is shared by.
            writes1, commits1 = store_counters(port)
            rows[-1]["writes_per_commit"] = round((writes1 - writes0) / max(commits1 - commits0, 1), 1)
            # The server's peak resident memory since it started (all client
            # counts so far).
            rows[-1]["server_peak_rss_mib"] = peak_rss_mib(srv.pid)
            print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        for s in idle:
            s.close()
        srv.terminate()
        srv.wait(timeout=60)
    v = subprocess.run([CUSTOS, "--json", "audit", "verify", "--data", data], capture_output=True,
                       text=True)
    verify = json.loads(v.stdout) if v.stdout.strip() else {"ok": False}
    shutil.rmtree(data, ignore_errors=True)
    if args.markdown:
        print("| clients | writes/s | p50 ms | p99 ms | server CPU µs/write | writer thread µs/write "
              "| WAL KiB/write | errors |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['clients']} | {r['writes_per_s']:.0f} | {r['p50_us']/1000:.1f} | "
                  f"{r['p99_us']/1000:.1f} | {r['server_cpu_us_per_write']:.0f} | "
                  f"{r['writer_cpu_us_per_write']:.0f} | {r['wal_kib_per_write']:.1f} | {r['errors']} |")
        print()
        print(f"`audit verify`: {verify.get('entries')} entries in {verify.get('seconds', 0):.2f} s "
              f"= {verify.get('entries_per_second', 0):.0f} entries/s, ok={verify.get('ok')}")
        print()
        print("Tessera POSIX (published, 12 cores, HDD mirror): ~2,900 appends/s; "
              f"ratio at 64 clients: {rows[-1]['writes_per_s']/2900:.2f}x")
    else:
        print(json.dumps({"load": rows, "verify": verify}))
    return 0 if verify.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
