"""Kill loops: SIGKILL backup and prune at random moments; the vault must stay sound.

After every kill: `check` exits 0 (leftovers of the killed run are reported as
unreferenced, not as errors), a normal backup succeeds, and snapshots restore
byte for byte (content and mode) as the source was when they were taken.

The random delays are seeded: set CUSTOS_TEST_SEED to replay a run. The seed
is printed. Delays are drawn in [0, 1.2 x expected duration], where the
expected duration is the baseline, lowered when a run exits before its kill
(runs vary with machine load); when too few kills have landed on a running
process to still reach the required count, the bound drops to 0.8 x.
"""
import concurrent.futures
import json
import os
import random
import shutil
import signal
import subprocess
import time
import unittest

from custos_testlib import (normalize, CUSTOS, EXIT_OK, PASSWORD, VaultTestCase, run,
                            tree_manifest)

# Kill iterations per loop (CUSTOS_KILL_ITERATIONS raises it for soak runs); at
# least 3/4 of the kills must hit a running process.
ITERATIONS = max(20, int(os.environ.get("CUSTOS_KILL_ITERATIONS", "20")))
MIN_LANDED = (3 * ITERATIONS + 3) // 4
MiB = 1 << 20
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]



def text_block(rnd, size):
    """Compressible (but not dedupable) text of about size bytes."""
    parts, n = [], 0
    while n < size:
        line = (f"{rnd.randrange(10**9):09d} {rnd.choice(WORDS)} {rnd.choice(WORDS)} "
                f"value={rnd.randrange(100000)} status=ok\n")
        parts.append(line)
        n += len(line)
    return "".join(parts)


def dir_bytes(path):
    """Bytes of data below path (hard links counted once, holes not counted)."""
    total, seen = 0, set()
    for dirpath, _, files in os.walk(path):
        for f in files:
            st = os.lstat(os.path.join(dirpath, f))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += min(st.st_size, st.st_blocks * 512)
    return total


def tmp_leftovers(path):
    return sum(1 for _, _, files in os.walk(path) for f in files if f.startswith(".tmp-"))


class SourceTree:
    """A source directory that is churned between backups."""

    def __init__(self, root, rnd, n_random, random_size, text_size, n_dirs, files_per_dir):
        self.root = root
        self.rnd = rnd
        self.counter = 0
        os.makedirs(root)
        for i in range(n_random):
            self.write(f"random{i}.bin", rnd.randbytes(random_size))
        self.write("big.log", text_block(rnd, text_size).encode())
        for d in range(n_dirs):
            for j in range(files_per_dir):
                self.write(f"small/d{d:02d}/f{j:03d}.dat", rnd.randbytes(rnd.randrange(50, 12000)))
        os.symlink("big.log", os.path.join(root, "link-to-log"))
        os.link(os.path.join(root, "big.log"), os.path.join(root, "hardlink.log"))
        with open(os.path.join(root, "sparse.img"), "wb") as f:  # data, hole, data
            f.write(rnd.randbytes(100_000))
            f.seek(3 * MiB)
            f.write(rnd.randbytes(20_000))
        os.chmod(os.path.join(root, "random0.bin"), 0o600)

    def write(self, rel, data):
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)

    def files(self, under=""):
        out = []
        for dirpath, _, files in os.walk(os.path.join(self.root, under)):
            for f in files:
                p = os.path.join(dirpath, f)
                if not os.path.islink(p):
                    out.append(os.path.relpath(p, self.root))
        return sorted(out)

    def churn(self, new_random=2 * MiB):
        """Modifies, adds and deletes a few files; keeps the total size stable."""
        rnd = self.rnd
        self.counter += 1
        small = self.files("small")
        for rel in rnd.sample(small, min(5, len(small))):  # modify small files
            with open(os.path.join(self.root, rel), "ab") as f:
                f.write(rnd.randbytes(rnd.randrange(1, 3000)))
        for rel in rnd.sample(small, min(3, len(small))):  # delete some
            os.remove(os.path.join(self.root, rel))
        for j in range(4):  # add some
            self.write(f"small/new{self.counter:03d}/n{j}.dat", rnd.randbytes(rnd.randrange(10, 9000)))
        # Overwrite a region of one random file (same size, new content there).
        rand_files = [f for f in self.files() if f.startswith("random")]
        target = os.path.join(self.root, rnd.choice(rand_files))
        size = os.path.getsize(target)
        with open(target, "r+b") as f:
            f.seek(rnd.randrange(0, max(1, size - 300_000)))
            f.write(rnd.randbytes(300_000))
        # Replace a whole "rotating" file with fresh random data.
        for old in [f for f in self.files() if f.startswith("rotating")]:
            os.remove(os.path.join(self.root, old))
        self.write(f"rotating{self.counter:03d}.bin", rnd.randbytes(new_random))
        # Append to the compressible file now and then; change a mode.
        if self.counter % 3 == 0:
            with open(os.path.join(self.root, "big.log"), "ab") as f:
                f.write(text_block(rnd, 200_000).encode())
        if self.counter % 4 == 0:
            os.chmod(os.path.join(self.root, rnd.choice(self.files("small"))), 0o640)

    def manifest(self):
        return normalize(tree_manifest(self.root, content=True))


class KillLoopBase(VaultTestCase):
    def setUp(self):
        super().setUp()
        env_seed = os.environ.get("CUSTOS_TEST_SEED")
        self.seed = int(env_seed) if env_seed else random.randrange(1, 1 << 31)
        print(f"\n[{self.id()}] seed={self.seed} (replay with CUSTOS_TEST_SEED={self.seed})",
              flush=True)
        self.rnd = random.Random(self.seed)
        self.manifests = {}  # snapshot id -> normalized source manifest when it was taken
        self.restore_no = 0
        self.landed = 0
        self.kills = 0
        self.ratio = 1.0  # observed duration / baseline (lowered by runs that beat their kill)
        self.order = []  # recorded snapshot ids, oldest first

    # ---- helpers -------------------------------------------------------------

    def record(self, sid, manifest):
        """Remembers the source state a new snapshot must restore to."""
        self.assertNotIn(sid, self.manifests)
        self.manifests[sid] = manifest
        self.order.append(sid)

    def env(self):
        e = dict(os.environ)
        e.pop("CUSTOS_REPO", None)
        e["CUSTOS_PASSWORD"] = PASSWORD
        return e

    def backup(self, source, *extra, vault=None):
        r = run(["-r", vault or self.vault, "--json", "backup", *extra, source])
        self.assertEqual(r.rc, EXIT_OK, f"backup must work\n{r}")
        summary = json.loads(r.out.strip().splitlines()[-1])
        self.assertFalse(summary["partial"], r)
        return summary["snapshot_id"]

    def snapshot_ids(self, vault=None):
        r = run(["-r", vault or self.vault, "--json", "snapshots"])
        self.assertEqual(r.rc, EXIT_OK, r)
        return [s["id"] for s in r.json()]

    def check_ok(self, *extra, vault=None):
        r = run(["-r", vault or self.vault, "--json", "check", *extra])
        self.assertEqual(r.rc, EXIT_OK, f"check must pass after a kill\n{r}")
        j = r.json()
        self.assertEqual(j["error_count"], 0, r)
        return j

    def _restore(self, sid, source, target):
        """Restores sid into target; returns (result, manifest or None)."""
        r = run(["-r", self.vault, "restore", sid, "--target", target])
        got = None
        if r.rc == EXIT_OK:
            got = normalize(tree_manifest(self.restored_root(target, source), content=True))
        shutil.rmtree(target, ignore_errors=True)
        return r, got

    def assert_restores(self, sids, source):
        """Every snapshot in sids restores exactly as its source was (two restores
        run at a time: they only read the vault)."""
        jobs = []
        for sid in sids:
            self.restore_no += 1
            jobs.append((sid, os.path.join(self.tmp, f"restore{self.restore_no}")))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda j: self._restore(j[0], source, j[1]), jobs))
        for (sid, _), (r, got) in zip(jobs, results):
            self.assertEqual(r.rc, EXIT_OK, f"restore of {sid[:8]} failed\n{r}")
            want = self.manifests[sid]
            if got != want:
                diff = sorted(set(got.items()) ^ set(want.items()))[:10]
                self.fail(f"snapshot {sid[:8]} restores differently from its source: {diff}")

    def delay_bound(self, i, baseline):
        """Upper bound of the kill delay in iteration i (0-based): 1.2 x the
        expected duration, or 0.8 x when every remaining kill must land."""
        expected = baseline * self.ratio
        needed = MIN_LANDED - self.landed
        left = ITERATIONS - i
        if needed >= left - 1:
            return 0.8 * expected
        return 1.2 * expected

    def run_and_kill(self, args, delay, baseline):
        """Starts custos with args, SIGKILLs it after delay seconds unless it
        exits first. Returns (landed, returncode, stdout). A run that exits
        before its kill teaches the expected duration (self.ratio)."""
        out_path = os.path.join(self.tmp, "killed.out")
        with open(out_path, "wb") as out, open(os.path.join(self.tmp, "killed.err"), "wb") as err:
            t0 = time.monotonic()
            p = subprocess.Popen([CUSTOS] + args, stdout=out, stderr=err, env=self.env(),
                                 stdin=subprocess.DEVNULL)
            exited_after = None
            while True:
                now = time.monotonic()
                if now - t0 >= delay:
                    break
                if p.poll() is not None:
                    exited_after = now - t0
                    break
                time.sleep(min(0.002, t0 + delay - now))
            if exited_after is None:
                p.send_signal(signal.SIGKILL)  # a no-op if it has exited meanwhile
            rc = p.wait()
        self.kills += 1
        landed = rc == -signal.SIGKILL
        if landed:
            self.landed += 1
        elif exited_after is not None and baseline > 0:
            self.ratio = max(0.25, min(self.ratio, exited_after / baseline))
        with open(out_path) as f:
            return landed, rc, f.read()


class BackupKillLoopTest(KillLoopBase):
    def test_backup_kill_loop(self):
        t_start = time.monotonic()
        src = os.path.join(self.tmp, "src")
        tree = SourceTree(src, self.rnd, n_random=5, random_size=5 * MiB, text_size=12 * MiB,
                          n_dirs=25, files_per_dir=20)
        self.init("--pack-size", "2")

        self.record(self.backup(src), tree.manifest())
        tree.churn()
        # Baseline: what each killed run does (a full re-read with --force).
        t0 = time.monotonic()
        self.record(self.backup(src, "--force"), tree.manifest())
        baseline = time.monotonic() - t0
        print(f"  source {dir_bytes(src) / MiB:.1f} MiB, baseline backup --force "
              f"{baseline:.3f}s", flush=True)

        completed_before_kill = 0
        for i in range(ITERATIONS):
            tree.churn()
            state = tree.manifest()
            known = set(self.snapshot_ids())
            delay = self.rnd.uniform(0, self.delay_bound(i, baseline))
            landed, rc, out = self.run_and_kill(
                ["-r", self.vault, "--json", "backup", "--force", src], delay, baseline)
            self.assertTrue(landed or rc == EXIT_OK, f"killed backup exited {rc}: {out}")
            check = self.check_ok()
            now = self.snapshot_ids()
            new = [s for s in now if s not in known]
            self.assertTrue(set(known) <= set(now), "a kill removed a snapshot")
            self.assertLessEqual(len(new), 1, f"one killed backup made {len(new)} snapshots")
            if not landed:
                self.assertEqual(len(new), 1, "a backup that completed left no snapshot")
                self.assertEqual(new[0], json.loads(out.strip().splitlines()[-1])["snapshot_id"])
            for sid in new:  # completed just before the kill: must be this iteration's state
                completed_before_kill += 1
                self.record(sid, state)
            self.record(self.backup(src), state)
            print(f"  iter {i:2d}: delay {delay:.3f}s (ratio {self.ratio:.2f}) "
                  f"{'KILLED' if landed else 'exited'} "
                  f"rc={rc} new_snapshot={bool(new)} "
                  f"unreferenced_packs={check['unreferenced_packs']}", flush=True)
            self.assert_restores(self.rnd.sample(self.order, 2), src)

        print(f"  kills landed on a running backup: {self.landed}/{ITERATIONS}; "
              f"{completed_before_kill} backups completed before their kill; "
              f"{tmp_leftovers(self.vault)} .tmp- leftovers", flush=True)
        self.assertGreaterEqual(self.landed, MIN_LANDED)
        self.assertEqual(sorted(self.snapshot_ids()), sorted(self.order))
        self.check_ok("--read-data")
        self.assert_restores(self.order, src)
        print(f"  {len(self.order)} snapshots restored byte-identical; "
              f"total {time.monotonic() - t_start:.1f}s", flush=True)


class PruneKillLoopTest(KillLoopBase):
    def test_prune_kill_loop(self):
        t_start = time.monotonic()
        src = os.path.join(self.tmp, "src")
        tree = SourceTree(src, self.rnd, n_random=2, random_size=MiB, text_size=MiB,
                          n_dirs=8, files_per_dir=15)
        self.init("--pack-size", "1")

        initial = ITERATIONS + 4
        for _ in range(initial):
            self.record(self.backup(src), tree.manifest())
            tree.churn(new_random=MiB + self.rnd.randrange(0, MiB // 2))
        print(f"  {initial} snapshots, vault {dir_bytes(self.vault) / MiB:.1f} MiB, "
              f"source {dir_bytes(src) / MiB:.1f} MiB", flush=True)

        keep = initial - 2
        for i in range(ITERATIONS):
            r = run(["-r", self.vault, "forget", "--keep-last", str(keep)])
            self.assertEqual(r.rc, EXIT_OK, r)
            self.order = self.order[-keep:]
            self.assertEqual(sorted(self.snapshot_ids()), sorted(self.order))
            # Baseline for this iteration: the same prune on a hard-linked copy
            # (custos never writes objects in place, so the copy is independent).
            copy = os.path.join(self.tmp, "baseline-copy")
            shutil.copytree(self.vault, copy, copy_function=os.link)
            t0 = time.monotonic()
            r = run(["-r", copy, "prune"])
            baseline = time.monotonic() - t0
            self.assertEqual(r.rc, EXIT_OK, r)
            shutil.rmtree(copy)

            before = dir_bytes(self.vault)
            delay = self.rnd.uniform(0, self.delay_bound(i, baseline))
            landed, rc, out = self.run_and_kill(["-r", self.vault, "prune"], delay, baseline)
            self.assertTrue(landed or rc == EXIT_OK, f"killed prune exited {rc}: {out}")
            check = self.check_ok()
            self.assertEqual(sorted(self.snapshot_ids()), sorted(self.order),
                             "prune changed the set of snapshots")
            self.assert_restores(self.order, src)
            print(f"  iter {i:2d}: keep {keep:2d}, baseline {baseline:.3f}s, delay {delay:.3f}s "
                  f"{'KILLED' if landed else 'exited'} rc={rc}, vault {before / MiB:.1f} -> "
                  f"{dir_bytes(self.vault) / MiB:.1f} MiB, "
                  f"unreferenced_packs={check['unreferenced_packs']}", flush=True)
            tree.churn(new_random=MiB)
            self.record(self.backup(src), tree.manifest())
            self.assert_restores(self.order[-1:], src)
            keep -= 1

        print(f"  kills landed on a running prune: {self.landed}/{ITERATIONS}", flush=True)
        self.assertGreaterEqual(self.landed, MIN_LANDED)

        # A prune that completes: removes everything the kills left behind.
        r = run(["-r", self.vault, "forget", "--keep-last", "2"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.order = self.order[-2:]
        before = dir_bytes(self.vault)
        r = run(["-r", self.vault, "--json", "prune"])
        self.assertEqual(r.rc, EXIT_OK, r)
        after = dir_bytes(self.vault)
        self.assertLess(after, before, f"the vault did not shrink\n{r}")
        j = self.check_ok("--read-data")
        self.assertEqual(j["unreferenced_packs"], 0, j)
        self.assertEqual(sorted(self.snapshot_ids()), sorted(self.order))
        self.assert_restores(self.order, src)
        # Nothing is left to prune.
        r = run(["-r", self.vault, "--json", "prune", "--dry-run"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(r.json()["packs_deleted"], 0, r)
        self.assertEqual(r.json()["packs_unreferenced"], 0, r)
        self.assertEqual(r.json()["packs_repacked"], 0, r)
        print(f"  final prune: {before / MiB:.1f} -> {after / MiB:.1f} MiB; "
              f"{tmp_leftovers(self.vault)} .tmp- leftovers; "
              f"total {time.monotonic() - t_start:.1f}s", flush=True)


if __name__ == "__main__":
    unittest.main()
