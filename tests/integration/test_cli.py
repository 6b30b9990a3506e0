"""Command-line behaviour: snapshots/ls/diff/stats/forget/prune/check/unlock/version,
their JSON shapes, exit codes, locking, secrets and vault addresses."""
import datetime
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from custos_testlib import (CUSTOS, EXIT_LOCKED, EXIT_NO_VAULT, EXIT_OK,
                            EXIT_PARTIAL, EXIT_PROBLEMS, EXIT_USAGE, EXIT_WRONG_PASSWORD,
                            FAST_KDF, PASSWORD, VaultTestCase, run, tree_manifest)

MiB = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def parse_time(s):
    """RFC 3339 with nanoseconds ("...T05:48:11.279080107Z") -> aware datetime."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", s)
    if not m:
        raise ValueError(f"not an RFC 3339 UTC time: {s!r}")
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    micros = int((m.group(2) or "0").ljust(9, "0")[:6])
    return t.replace(microsecond=micros, tzinfo=datetime.timezone.utc)


def vault_files(vault):
    """relative path -> (size, sha of content) for every object file in the vault, minus locks."""
    out = {}
    for d, _, fs in os.walk(vault):
        for f in fs:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, vault)
            if rel.startswith("locks"):
                continue
            with open(p, "rb") as fh:
                out[rel] = (os.path.getsize(p), hash(fh.read()))
    return out


def child_env(**extra):
    e = dict(os.environ)
    e.pop("CUSTOS_REPO", None)
    e.pop("CUSTOS_PASSWORD_FILE", None)
    e.pop("CUSTOS_KEY_FILE", None)
    e["CUSTOS_PASSWORD"] = PASSWORD
    e.update(extra)
    return e


class CliCase(VaultTestCase):
    def backup(self, *args, expect=EXIT_OK):
        r = self.custos("--json", "backup", *args)
        self.assertEqual(r.rc, expect, r)
        lines = [json.loads(line) for line in r.out.splitlines() if line.strip()]
        self.assertEqual(lines[-1]["message_type"], "summary", r)
        return lines[-1]

    def snapshots(self, *args):
        return self.ok("--json", "snapshots", *args).json()

    def stats(self):
        return self.ok("--json", "stats").json()

    def make_src(self, name="src"):
        src = os.path.join(self.tmp, name)
        write(os.path.join(src, "a.txt"), "alpha\n")
        write(os.path.join(src, "sub", "b.txt"), "bravo\n" * 100)
        os.symlink("a.txt", os.path.join(src, "link"))
        return src

    def restore_and_read(self, snap, src, rel):
        target = os.path.join(self.tmp, "restore-" + snap[:12])
        shutil.rmtree(target, ignore_errors=True)
        self.ok("restore", snap, "--target", target)
        with open(os.path.join(self.restored_root(target, src), rel), "rb") as f:
            return f.read()

    def locks(self):
        d = os.path.join(self.vault, "locks")
        # Objects are written to ".tmp-*" and renamed: only the renamed ones are locks.
        return sorted(f for _, _, fs in os.walk(d) for f in fs
                      if not f.startswith(".tmp-")) if os.path.isdir(d) else []

    def start_backup_holding_lock(self, src):
        """Starts `backup src`, stops it (SIGSTOP) while it holds its lock; returns the Popen."""
        p = subprocess.Popen([CUSTOS, "-r", self.vault, "backup", src], env=child_env(),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(self._reap, p)
        deadline = time.monotonic() + 60
        while not self.locks():
            if p.poll() is not None:
                self.fail(f"backup ended (rc={p.returncode}) before a lock was seen; "
                          f"stderr={p.stderr.read()!r}")
            if time.monotonic() > deadline:
                self.fail("no lock file appeared within 60 s")
        p.send_signal(signal.SIGSTOP)
        time.sleep(0.05)
        self.assertIsNone(p.poll(), "the backup finished before it could be stopped")
        self.assertEqual(len(self.locks()), 1, "the stopped backup no longer holds its lock")
        return p

    @staticmethod
    def _reap(p):
        if p.poll() is None:
            p.kill()
            try:
                p.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
        p.communicate()

    def big_source(self, size_mib=256):
        """A source that takes the backup a while: a repeated random MiB plus some noise."""
        src = os.path.join(self.tmp, "big")
        os.makedirs(src)
        rnd = random.Random(99)
        block = rnd.randbytes(MiB)
        with open(os.path.join(src, "big.bin"), "wb") as f:
            for i in range(size_mib):
                f.write(rnd.randbytes(MiB) if i % 32 == 0 else block)
        return src


class SnapshotListingTest(CliCase):
    def test_version(self):
        r = run(["version"], password=None)
        self.assertEqual(r.rc, EXIT_OK, r)
        m = re.match(r"custos (\d+\.\d+\.\d+) \(vault format (\d+)\)\nallocator: (.+)\n", r.out)
        self.assertIsNotNone(m, r)
        # The build says which allocator it linked (CUSTOS_JEMALLOC; off
        # under the sanitizers); run outside ctest, either form is accepted.
        expected = os.environ.get("CUSTOS_EXPECT_ALLOCATOR")
        if expected == "jemalloc":
            self.assertRegex(m.group(3), r"^jemalloc 5\.")
        elif expected == "system":
            self.assertEqual(m.group(3), "system")
        else:
            self.assertRegex(m.group(3), r"^(system|jemalloc 5\..+)$")
        j = run(["--json", "version"], password=None)
        self.assertEqual(j.rc, EXIT_OK, j)
        self.assertEqual(j.json(), {"version": m.group(1), "vault_format": int(m.group(2)),
                                    "allocator": m.group(3)})

    def test_usage_errors_exit_2(self):
        self.init()
        for args in (["no-such-command"], ["snapshots", "--no-such-flag"], ["restore", "latest"],
                     ["ls"], ["backup"], ["check", "--read-data-subset", "0%"],
                     ["check", "--read-data-subset", "abc"], ["forget"],
                     ["forget", "--keep-within", "3x"], ["ls", "zz"], ["init", "--compression", "99"]):
            with self.subTest(args=args):
                r = self.custos(*args)
                self.assertEqual(r.rc, EXIT_USAGE, r)
                self.assertNotEqual(r.err.strip(), "", r)

    def test_snapshots_json_shape_tags_and_host(self):
        src = self.make_src()
        self.init()
        t0 = datetime.datetime.now(datetime.timezone.utc)
        s1 = self.backup(src, "--tag", "daily", "--tag", "important")
        s2 = self.backup(src, "--tag", "daily")
        s3 = self.backup(src, "--trigger", "cron")
        t1 = datetime.datetime.now(datetime.timezone.utc)
        snaps = self.snapshots()
        self.assertEqual([s["id"] for s in snaps],
                         [s1["snapshot_id"], s2["snapshot_id"], s3["snapshot_id"]])
        host = socket.gethostname()
        user = pwd.getpwuid(os.getuid()).pw_name
        for s in snaps:
            self.assertRegex(s["id"], HEX64)
            self.assertEqual(s["short_id"], s["id"][:8])
            self.assertRegex(s["tree"], HEX64)
            self.assertEqual(s["paths"], [src])
            self.assertEqual(s["hostname"], host)
            self.assertEqual(s["username"], user)
            self.assertIs(s["partial"], False)
            t = parse_time(s["time"])
            self.assertLessEqual(t0 - datetime.timedelta(seconds=2), t)
            self.assertLessEqual(t, t1 + datetime.timedelta(seconds=2))
        self.assertEqual([s["tags"] for s in snaps], [["daily", "important"], ["daily"], []])
        self.assertEqual([s["trigger"] for s in snaps], ["manual", "manual", "cron"])
        self.assertNotIn("parent", snaps[0])
        self.assertEqual(snaps[1]["parent"], snaps[0]["id"])
        self.assertEqual(snaps[2]["parent"], snaps[1]["id"])
        ids = lambda l: [s["id"] for s in l]
        self.assertEqual(ids(self.snapshots("--tag", "important")), [s1["snapshot_id"]])
        self.assertEqual(ids(self.snapshots("--tag", "daily")),
                         [s1["snapshot_id"], s2["snapshot_id"]])
        self.assertEqual(self.snapshots("--tag", "nope"), [])
        self.assertEqual(len(self.snapshots("--host", host)), 3)
        self.assertEqual(self.snapshots("--host", "not-" + host), [])
        # Text output: one row per snapshot with the short id, and a count.
        r = self.ok("snapshots")
        for s in snaps:
            self.assertIn(s["short_id"], r.out)
        self.assertIn("3 snapshots", r.out)
        self.assertIn("important", r.out)

    def test_ls_json_text_and_snapshot_references(self):
        src = self.make_src()
        os.mkfifo(os.path.join(src, "fifo"))
        os.chmod(os.path.join(src, "a.txt"), 0o640)
        os.utime(os.path.join(src, "a.txt"), ns=(1234567890_123456789, 1234567890_123456789))
        self.init()
        s1 = self.backup(src)["snapshot_id"]
        write(os.path.join(src, "later.txt"), "later")
        s2 = self.backup(src)["snapshot_id"]
        entries = self.ok("--json", "ls", "latest").json()
        by_path = {e["path"]: e for e in entries}
        # The ancestors of the backup path are listed as directories.
        parts = src.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            self.assertEqual(by_path[p]["type"], "dir", p)
        a = by_path[os.path.join(src, "a.txt")]
        self.assertEqual(a["name"], "a.txt")
        self.assertEqual(a["type"], "file")
        self.assertEqual(a["mode"], 0o640)
        self.assertEqual(a["size"], 6)
        self.assertEqual((a["uid"], a["gid"]), (os.getuid(), os.getgid()))
        self.assertEqual(a["user"], pwd.getpwuid(os.getuid()).pw_name)
        self.assertTrue(a["mtime"].startswith("2009-02-13T23:31:30.123456789"), a["mtime"])
        for key in ("path", "name", "type", "mode", "uid", "gid", "user", "group", "size",
                    "mtime"):
            for e in entries:
                self.assertIn(key, e)
        link = by_path[os.path.join(src, "link")]
        self.assertEqual((link["type"], link["link_target"]), ("symlink", "a.txt"))
        self.assertEqual(by_path[os.path.join(src, "fifo")]["type"], "fifo")
        self.assertEqual(by_path[os.path.join(src, "sub")]["type"], "dir")
        self.assertNotIn("link_target", a)
        self.assertIn(os.path.join(src, "later.txt"), by_path)
        # The older snapshot by id prefix does not have the later file.
        prefix = next(s1[:n] for n in range(4, 65)
                      if not s2.startswith(s1[:n]))
        old = {e["path"] for e in self.ok("--json", "ls", prefix).json()}
        self.assertNotIn(os.path.join(src, "later.txt"), old)
        self.assertEqual(old | {os.path.join(src, "later.txt")}, set(by_path))
        full = {e["path"] for e in self.ok("--json", "ls", s1).json()}
        self.assertEqual(full, old)
        # A path restricts the listing to that subtree.
        sub = self.ok("--json", "ls", "latest", os.path.join(src, "sub")).json()
        self.assertEqual(sorted(e["path"] for e in sub),
                         [os.path.join(src, "sub"), os.path.join(src, "sub", "b.txt")])
        # Text forms.
        plain = self.ok("ls", "latest").out.splitlines()
        self.assertEqual(sorted(plain), sorted(by_path))
        long = self.ok("ls", "-l", "latest", src).out
        self.assertRegex(long, r"(?m)^-rw-r----- .* " + re.escape(os.path.join(src, "a.txt")) + "$")
        self.assertRegex(long, r"(?m)^l.* " + re.escape(os.path.join(src, "link")) + " -> a.txt$")
        self.assertRegex(long, r"(?m)^p.* " + re.escape(os.path.join(src, "fifo")) + "$")
        # Bad references.
        r = self.custos("ls", "latest", os.path.join(src, "nope"))
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("nope", r.err)
        r = self.custos("ls", "0" * 64)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("0" * 64, r.err)
        self.assertEqual(self.custos("ls", "abc").rc, EXIT_USAGE)  # < 4 hex digits
        self.assertEqual(self.custos("ls", "latestx").rc, EXIT_USAGE)

    def test_ls_latest_in_empty_vault_fails(self):
        self.init()
        r = self.custos("ls", "latest")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("no snapshots", r.err)
        self.assertEqual(self.snapshots(), [])

    def test_diff(self):
        src = os.path.join(self.tmp, "src")
        for rel, data in {"same.txt": "same", "mod.txt": "old", "gone.txt": "gone",
                          "meta.txt": "meta", "typechg": "file", "sub/x": "x",
                          "olddir/inner": "inner"}.items():
            write(os.path.join(src, rel), data)
        self.init()
        a = self.backup(src)["snapshot_id"]
        write(os.path.join(src, "mod.txt"), "new content")
        os.unlink(os.path.join(src, "gone.txt"))
        write(os.path.join(src, "new.txt"), "new")
        os.chmod(os.path.join(src, "meta.txt"), 0o600)
        os.unlink(os.path.join(src, "typechg"))
        os.mkdir(os.path.join(src, "typechg"))
        write(os.path.join(src, "sub", "y"), "y")
        shutil.rmtree(os.path.join(src, "olddir"))
        b = self.backup(src)["snapshot_id"]
        j = os.path.join
        r = self.ok("--json", "diff", a, b).json()
        self.assertEqual((r["from"], r["to"]), (a, b))
        changes = {(c["change"], c["path"]) for c in r["changes"]}
        want = {("M", j(src, "mod.txt")), ("-", j(src, "gone.txt")), ("+", j(src, "new.txt")),
                ("U", j(src, "meta.txt")), ("T", j(src, "typechg")), ("+", j(src, "sub", "y")),
                ("-", j(src, "olddir")), ("-", j(src, "olddir", "inner"))}
        self.assertLessEqual(want, changes)
        touched = {p for _, p in changes}
        self.assertNotIn(j(src, "same.txt"), touched)
        self.assertNotIn(j(src, "sub", "x"), touched)
        # Anything beyond `want` can only be a directory whose mtime changed: src, sub, or
        # an ancestor of src (others may create files in /tmp meanwhile).
        ancestors = {os.path.dirname(src)}
        while os.path.dirname(min(ancestors, key=len)) not in ancestors:
            ancestors.add(os.path.dirname(min(ancestors, key=len)))
        for c, p in changes - want:
            self.assertEqual(c, "U", (c, p))
            self.assertIn(p, {src, j(src, "sub")} | ancestors)
        count = lambda ch: sum(1 for c, _ in changes if c == ch)
        self.assertEqual(r["stats"]["added"], count("+"))
        self.assertEqual(r["stats"]["removed"], count("-"))
        self.assertEqual(r["stats"]["modified"], count("M") + count("T"))
        self.assertEqual(r["stats"]["metadata"], count("U"))
        text = self.ok("diff", a, b).out
        for c, p in want:
            self.assertIn(f"{c}    {p}\n", text)
        self.assertNotIn(j(src, "same.txt"), text)
        # The reverse direction swaps additions and removals.
        rev = {(c["change"], c["path"]) for c in self.ok("--json", "diff", b, a).json()["changes"]}
        self.assertIn(("+", j(src, "gone.txt")), rev)
        self.assertIn(("-", j(src, "new.txt")), rev)
        # A snapshot compared with itself has no changes.
        self.assertEqual(self.ok("--json", "diff", a, a).json()["changes"], [])

    def test_stats(self):
        src = os.path.join(self.tmp, "src")
        write(os.path.join(src, "text.txt"), "compressible line of text\n" * 40000)
        write(os.path.join(src, "copy.txt"), "compressible line of text\n" * 40000)
        write(os.path.join(src, "random.bin"), random.Random(1).randbytes(2 * MiB))
        write(os.path.join(src, "empty"), "")
        sizes = sum(os.path.getsize(os.path.join(src, f)) for f in os.listdir(src))
        self.init()
        empty = self.stats()
        self.assertEqual((empty["snapshots_count"], empty["total_file_count"],
                          empty["blob_count"], empty["pack_count"]), (0, 0, 0, 0))
        self.backup(src)
        self.backup(src, "--force")
        s = self.stats()
        for key in ("snapshots_count", "total_file_count", "total_size", "raw_data_size",
                    "stored_data_size", "vault_size", "blob_count", "pack_count",
                    "compression_ratio"):
            self.assertIn(key, s)
        self.assertEqual(s["snapshots_count"], 2)
        self.assertEqual(s["total_file_count"], 8)
        self.assertEqual(s["total_size"], 2 * sizes)
        unique = sizes - len("compressible line of text\n" * 40000)
        self.assertGreaterEqual(s["raw_data_size"], unique)  # trees are data too
        self.assertLess(s["raw_data_size"], unique + 256 * 1024)  # stored once
        self.assertLess(s["stored_data_size"], s["raw_data_size"])  # the text compresses
        self.assertGreater(s["compression_ratio"], 1.0)
        self.assertAlmostEqual(s["compression_ratio"], s["raw_data_size"] / s["stored_data_size"],
                               places=3)
        on_disk = sum(os.path.getsize(os.path.join(d, f))
                      for d, _, fs in os.walk(self.vault) for f in fs
                      if "locks" not in os.path.relpath(d, self.vault))
        # vault_size may include the lock object of the stats command itself.
        self.assertGreaterEqual(s["vault_size"], on_disk)
        self.assertLess(s["vault_size"], on_disk + 1024)
        self.assertGreater(s["vault_size"], s["stored_data_size"])
        self.assertGreaterEqual(s["pack_count"], 1)
        self.assertGreaterEqual(s["blob_count"], 4)
        text = self.ok("stats").out
        self.assertIn("Snapshots:", text)

    def test_init_options(self):
        src = os.path.join(self.tmp, "src")
        write(os.path.join(src, "random.bin"), random.Random(2).randbytes(3 * MiB))
        write(os.path.join(src, "text.txt"), "z" * MiB)
        self.ok("init", *FAST_KDF, "--compression", "0", "--pack-size", "1",
                "--chunk-min", "16384", "--chunk-avg", "65536", "--chunk-max", "262144")
        self.backup(src)
        s = self.stats()
        self.assertGreaterEqual(s["stored_data_size"], s["raw_data_size"])  # no compression
        self.assertGreaterEqual(s["pack_count"], 3)  # 4 MiB in 1 MiB packs
        self.assertGreater(s["blob_count"], (3 * MiB) // 262144)
        self.ok("check", "--read-data")
        target = os.path.join(self.tmp, "restore")
        self.ok("restore", "latest", "--target", target)
        self.assertEqual(tree_manifest(self.restored_root(target, src)), tree_manifest(src))
        r = run(["-r", os.path.join(self.tmp, "v2"), "init", *FAST_KDF, "--chunk-min", "65536",
                 "--chunk-avg", "1000", "--chunk-max", "4096"])
        self.assertNotEqual(r.rc, EXIT_OK, r)


class ForgetPruneTest(CliCase):
    def make_versions(self, n):
        """n snapshots of src; each version has its own 3 MiB of random data."""
        src = os.path.join(self.tmp, "src")
        versions = []
        for i in range(n):
            data = random.Random(100 + i).randbytes(3 * MiB)
            write(os.path.join(src, "data.bin"), data)
            write(os.path.join(src, "const.txt"), "constant")
            sid = self.backup(src)["snapshot_id"]
            versions.append((sid, data))
        return src, versions

    def test_forget_keep_last_with_prune(self):
        self.init()
        src, versions = self.make_versions(4)
        before = self.stats()
        r = self.ok("--json", "forget", "--keep-last", "2", "--prune")
        groups = r.json()
        self.assertEqual(len(groups), 1)
        g = groups[0]
        self.assertIn(src, g["group"])
        self.assertEqual([k["id"] for k in g["keep"]], [versions[3][0], versions[2][0]])
        self.assertEqual(sorted(x["id"] for x in g["remove"]),
                         sorted([versions[0][0], versions[1][0]]))
        for k in g["keep"]:
            self.assertIn("last", k["reasons"])
            parse_time(k["time"])
        for x in g["remove"]:
            parse_time(x["time"])
        self.assertEqual([s["id"] for s in self.snapshots()], [versions[2][0], versions[3][0]])
        after = self.stats()
        self.assertEqual(after["snapshots_count"], 2)
        self.assertLess(after["vault_size"], before["vault_size"] - 5 * MiB)
        self.assertLess(after["raw_data_size"], before["raw_data_size"] - 5 * MiB)
        for sid, data in versions[2:]:
            self.assertEqual(self.restore_and_read(sid, src, "data.bin"), data)
        chk = self.ok("check", "--read-data")
        self.assertIn("no errors", chk.out)

    def test_forget_then_prune_separately_and_dry_runs(self):
        self.init()
        src, versions = self.make_versions(3)
        files0 = vault_files(self.vault)
        # Dry runs change nothing.
        r = self.ok("--json", "forget", "--keep-last", "1", "--dry-run")
        g = r.json()[0]
        self.assertEqual(len(g["remove"]), 2)
        self.assertEqual([k["id"] for k in g["keep"]], [versions[2][0]])
        self.ok("forget", "--keep-last", "1", "--prune", "--dry-run")
        self.assertEqual(len(self.snapshots()), 3)
        self.assertEqual(vault_files(self.vault), files0)
        # Forget without prune: snapshots go, the data stays.
        r = self.ok("forget", "--keep-last", "1")
        self.assertIn("removed 2 snapshots", r.out)
        self.assertEqual([s["id"] for s in self.snapshots()], [versions[2][0]])
        mid = self.stats()
        self.assertGreater(mid["raw_data_size"], 9 * MiB)
        files1 = vault_files(self.vault)
        dry = self.ok("--json", "prune", "--dry-run").json()
        self.assertIs(dry["dry_run"], True)
        self.assertGreater(dry["bytes_freed"], 5 * MiB)
        self.assertEqual(vault_files(self.vault), files1)
        real = self.ok("--json", "prune").json()
        self.assertIs(real["dry_run"], False)
        self.assertEqual(real["bytes_freed"], dry["bytes_freed"])
        after = self.stats()
        self.assertLess(after["vault_size"], mid["vault_size"] - 5 * MiB)
        self.assertEqual(self.restore_and_read(versions[2][0], src, "data.bin"), versions[2][1])
        self.ok("check", "--read-data")
        # A second prune has nothing left to do.
        files2 = vault_files(self.vault)
        again = self.ok("--json", "prune").json()
        self.assertEqual(again["bytes_freed"], 0)
        self.assertEqual(vault_files(self.vault), files2)

    def test_forget_by_id(self):
        self.init()
        src, versions = self.make_versions(3)
        self.ok("forget", versions[1][0][:10])
        self.assertEqual([s["id"] for s in self.snapshots()], [versions[0][0], versions[2][0]])
        self.ok("forget", versions[0][0])
        self.assertEqual([s["id"] for s in self.snapshots()], [versions[2][0]])
        r = self.custos("forget", "deadbeef")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("deadbeef", r.err)
        self.assertEqual(len(self.snapshots()), 1)
        self.assertEqual(self.restore_and_read(versions[2][0], src, "data.bin"), versions[2][1])
        self.ok("prune")
        self.ok("check", "--read-data")

    def test_forget_keep_tag_and_groups(self):
        self.init()
        a = self.make_src("a")
        b = self.make_src("b")
        ta = self.backup(a, "--tag", "precious")["snapshot_id"]
        self.backup(a)
        a3 = self.backup(a)["snapshot_id"]
        b1 = self.backup(b)["snapshot_id"]
        self.backup(b)
        b3 = self.backup(b)["snapshot_id"]
        groups = self.ok("--json", "forget", "--keep-last", "1", "--keep-tag", "precious").json()
        self.assertEqual(len(groups), 2)  # one per set of paths
        kept = {k["id"]: k["reasons"] for g in groups for k in g["keep"]}
        self.assertEqual(set(kept), {ta, a3, b3})
        self.assertIn("tag precious", kept[ta])
        self.assertNotIn(b1, kept)
        self.assertEqual({s["id"] for s in self.snapshots()}, {ta, a3, b3})


class RetentionPolicyTest(CliCase):
    def test_calendar_and_within_policies(self):
        src = self.make_src()
        self.init()
        ids = [self.backup(src)["snapshot_id"] for _ in range(3)]
        # All three were made within the same hour and day.
        for flag in ("--keep-hourly", "--keep-daily", "--keep-weekly", "--keep-monthly",
                     "--keep-yearly"):
            with self.subTest(flag=flag):
                g = self.ok("--json", "forget", flag, "5", "--dry-run").json()[0]
                self.assertEqual([k["id"] for k in g["keep"]], [ids[2]])
                self.assertEqual(g["keep"][0]["reasons"], [flag[len("--keep-"):]])
                self.assertEqual(sorted(x["id"] for x in g["remove"]), sorted(ids[:2]))
        g = self.ok("--json", "forget", "--keep-within", "1d", "--dry-run").json()[0]
        self.assertEqual(len(g["keep"]), 3)
        self.assertEqual(g["remove"], [])
        for k in g["keep"]:
            self.assertIn("within", k["reasons"])
        g = self.ok("--json", "forget", "--keep-last", "2", "--keep-daily", "1",
                    "--dry-run").json()[0]
        reasons = {k["id"]: k["reasons"] for k in g["keep"]}
        self.assertEqual(reasons, {ids[2]: ["last", "daily"], ids[1]: ["last"]})
        self.assertEqual(len(self.snapshots()), 3)


class VaultStateTest(CliCase):
    def test_missing_vault_exit_10_names_path(self):
        missing = os.path.join(self.tmp, "no-vault-here")
        src = self.make_src()
        target = os.path.join(self.tmp, "t")
        commands = [["snapshots"], ["backup", src], ["restore", "latest", "--target", target],
                    ["ls", "latest"], ["check"], ["stats"], ["forget", "--keep-last", "1"],
                    ["prune"], ["diff", "abcd", "abce"], ["key", "list"], ["unlock"]]
        for args in commands:
            with self.subTest(command=args[0]):
                r = run(["-r", missing] + args)
                self.assertIn(missing, r.err, r)
                self.assertEqual(r.rc, EXIT_NO_VAULT, r)
        self.assertFalse(os.path.exists(missing), "a command other than init created the vault")

    def test_init_twice_refused(self):
        self.init()
        key_dir = os.path.join(self.vault, "keys")
        keys = sorted(os.listdir(key_dir))
        r = run(["-r", self.vault, "init", *FAST_KDF], password="another password")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("already exists", r.err)
        self.assertEqual(sorted(os.listdir(key_dir)), keys)
        self.ok("snapshots")
        r = self.custos("snapshots", password="another password")
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)

    def test_wrong_password(self):
        src = self.make_src()
        self.init()
        self.backup(src)
        for args in (["snapshots"], ["ls", "latest"], ["backup", src], ["check"],
                     ["restore", "latest", "--target", os.path.join(self.tmp, "t")]):
            with self.subTest(command=args[0]):
                r = self.custos(*args, password="wrong " + PASSWORD)
                self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
                self.assertIn("password", r.err.lower())
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "t")))
        self.assertEqual(len(self.snapshots()), 1)

    def test_secret_sources(self):
        src = self.make_src()
        self.init()
        self.backup(src)
        pw_file = os.path.join(self.tmp, "pw")
        write(pw_file, PASSWORD + "\n")
        r = self.custos("--password-file", pw_file, "--json", "snapshots", password=None)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(len(r.json()), 1)
        r = self.custos("--json", "snapshots", password=None,
                        env={"CUSTOS_PASSWORD_FILE": pw_file})
        self.assertEqual(r.rc, EXIT_OK, r)
        bad = os.path.join(self.tmp, "bad")
        write(bad, "not it\n")
        r = self.custos("--password-file", bad, "snapshots", password=None)
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
        # The file option wins over the environment.
        r = self.custos("--password-file", pw_file, "snapshots", password="wrong")
        self.assertEqual(r.rc, EXIT_OK, r)
        r = self.custos("--password-file", os.path.join(self.tmp, "missing"), "snapshots",
                        password=None)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("missing", r.err)
        # No secret at all and no terminal to ask on: a usage error, not a hang.
        r = self.custos("snapshots", password=None)
        self.assertEqual(r.rc, EXIT_USAGE, r)
        self.assertIn("CUSTOS_PASSWORD", r.err)
        r = self.custos("snapshots", password="")
        self.assertEqual(r.rc, EXIT_USAGE, r)

    def test_repo_from_env_and_file_url(self):
        src = self.make_src()
        self.init()
        sid = self.backup(src)["snapshot_id"]
        r = run(["--json", "snapshots"], env={"CUSTOS_REPO": self.vault})
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual([s["id"] for s in r.json()], [sid])
        r = run(["-r", "file://" + self.vault, "--json", "snapshots"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual([s["id"] for s in r.json()], [sid])
        # -r wins over CUSTOS_REPO.
        r = run(["-r", self.vault, "--json", "snapshots"],
                env={"CUSTOS_REPO": os.path.join(self.tmp, "elsewhere")})
        self.assertEqual(r.rc, EXIT_OK, r)
        # A vault created through a file:/// URL is a plain directory vault.
        v2 = os.path.join(self.tmp, "v2")
        r = run(["-r", "file://" + v2, "init", *FAST_KDF])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertTrue(os.path.isfile(os.path.join(v2, "config")))
        r = run(["-r", v2, "--json", "backup", src])
        self.assertEqual(r.rc, EXIT_OK, r)
        r = run(["-r", "file://localhost" + v2, "--json", "snapshots"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(len(r.json()), 1)
        r = run(["--json", "snapshots"])
        self.assertEqual(r.rc, EXIT_USAGE, r)
        self.assertIn("CUSTOS_REPO", r.err)

    def test_no_progress_output_without_terminal(self):
        src = self.make_src()
        write(os.path.join(src, "big.bin"), random.Random(4).randbytes(8 * MiB))
        self.init()
        r = self.ok("backup", src)
        self.assertEqual(r.err, "")
        self.assertIn("snapshot", r.out)
        self.assertNotIn("\r", r.out)
        self.assertNotIn("\033[", r.out)
        r = self.ok("restore", "latest", "--target", os.path.join(self.tmp, "t"))
        self.assertEqual(r.err, "")
        r = self.ok("check")
        self.assertEqual(r.err, "")
        r = self.ok("-q", "backup", src)
        self.assertEqual((r.out, r.err), ("", ""))

    def test_damaged_snapshot_reported(self):
        src = self.make_src()
        self.init()
        s1 = self.backup(src)["snapshot_id"]
        write(os.path.join(src, "more.txt"), "more")
        s2 = self.backup(src)["snapshot_id"]
        snap_files = [os.path.join(d, f) for d, _, fs in
                      os.walk(os.path.join(self.vault, "snapshots")) for f in fs]
        victim = next(p for p in snap_files if os.path.basename(p) == s1)
        size = os.path.getsize(victim)
        os.truncate(victim, size // 2)
        r = self.custos("--json", "snapshots")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn(s1, r.err)
        self.assertEqual([s["id"] for s in r.json()], [s2])  # the intact one is still listed
        r = self.custos("snapshots")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn(s1, r.err)
        self.assertIn(s2[:8], r.out)
        r = self.custos("check")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertIn(s1, r.err + r.out)
        r = self.custos("--json", "check")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertTrue(any(s1 in e for e in r.json()["errors"]), r)
        # The intact snapshot still restores.
        target = os.path.join(self.tmp, "t")
        self.ok("restore", s2, "--target", target)
        self.assertEqual(tree_manifest(self.restored_root(target, src)), tree_manifest(src))

    def test_damaged_pack_found_by_read_data(self):
        src = self.make_src()
        write(os.path.join(src, "r.bin"), random.Random(8).randbytes(MiB))
        self.init()
        self.backup(src)
        self.ok("check", "--read-data")
        self.ok("check", "--read-data-subset", "50%")
        packs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.vault, "data"))
                 for f in fs if not f.startswith(".")]
        victim = max(packs, key=os.path.getsize)
        self.assertGreater(os.path.getsize(victim), MiB)
        with open(victim, "r+b") as f:
            f.seek(MiB // 2)
            b = f.read(1)
            f.seek(MiB // 2)
            f.write(bytes([b[0] ^ 0xFF]))
        r = self.custos("check", "--read-data")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertIn(os.path.basename(victim), r.err)
        r = self.custos("check", "--read-data-subset", "100%")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)

    def test_unreadable_source_entries_partial_backup(self):
        # Run as `nobody` so that a mode-000 file is really unreadable.
        if os.geteuid() != 0:
            self.fail("this test needs root (to switch to nobody)")
        os.chmod(self.tmp, 0o755)
        src = os.path.join(self.tmp, "src")
        write(os.path.join(src, "ok.txt"), "readable")
        write(os.path.join(src, "sub", "ok2.txt"), "readable too")
        secret = os.path.join(src, "secret.txt")
        write(secret, "unreadable")
        os.chmod(secret, 0o000)
        closed = os.path.join(src, "closed_dir")
        write(os.path.join(closed, "inside.txt"), "inside")
        os.chmod(closed, 0o700)
        shared = os.path.join(self.tmp, "shared")
        os.makedirs(shared)
        os.chmod(shared, 0o777)
        vault = os.path.join(shared, "vault")
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CUSTOS,
                     "-r", vault]

        def nobody(*args):
            p = subprocess.run(as_nobody + list(args), env=child_env(), capture_output=True,
                               text=True, stdin=subprocess.DEVNULL, cwd=self.tmp, timeout=300)
            return p

        p = nobody("init", *FAST_KDF)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        p = nobody("--json", "backup", src)
        self.assertEqual(p.returncode, EXIT_PARTIAL, (p.stdout, p.stderr))
        msgs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        errors = {m["path"]: m["error"] for m in msgs if m["message_type"] == "error"}
        self.assertEqual(set(errors), {secret, closed})
        for e in errors.values():
            self.assertTrue(e)
        summary = msgs[-1]
        self.assertEqual(summary["message_type"], "summary")
        self.assertEqual(summary["errors"], 2)
        self.assertIs(summary["partial"], True)
        self.assertIn(summary["files_new"], (2, 3))  # whether secret.txt counts is open
        # Text mode names the path on stderr.
        p = nobody("backup", src)
        self.assertEqual(p.returncode, EXIT_PARTIAL, (p.stdout, p.stderr))
        self.assertIn(secret, p.stderr)
        self.assertIn("partial", p.stdout)
        p = nobody("--json", "snapshots")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual([s["partial"] for s in json.loads(p.stdout)], [True, True])
        # Everything that could be read is restored.
        target = os.path.join(self.tmp, "t")
        r = run(["-r", vault, "restore", "latest", "--target", target])
        self.assertEqual(r.rc, EXIT_OK, r)
        root = self.restored_root(target, src)
        with open(os.path.join(root, "ok.txt")) as f:
            self.assertEqual(f.read(), "readable")
        with open(os.path.join(root, "sub", "ok2.txt")) as f:
            self.assertEqual(f.read(), "readable too")
        self.assertFalse(os.path.lexists(os.path.join(root, "secret.txt")))
        self.assertFalse(os.path.exists(os.path.join(root, "closed_dir", "inside.txt")))
        r = run(["-r", vault, "check"])
        self.assertEqual(r.rc, EXIT_OK, r)


class LockTest(CliCase):
    def test_exclusive_operation_refused_while_backup_holds_lock(self):
        src = self.big_source()
        self.init()
        p = self.start_backup_holding_lock(src)
        held = self.locks()
        r = self.custos("prune")
        self.assertEqual(r.rc, EXIT_LOCKED, r)
        self.assertIn("locked", r.err)
        self.assertIn(str(p.pid), r.err)
        r = self.custos("forget", "--keep-last", "1", "--prune")
        self.assertEqual(r.rc, EXIT_LOCKED, r)
        self.assertEqual(self.locks(), held, "a refused command left its lock behind")
        # Shared operations still work next to a shared lock.
        self.ok("snapshots")
        self.ok("stats")
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=300)
        self.assertEqual(p.returncode, EXIT_OK, (out, err))
        self.assertEqual(self.locks(), [])
        self.ok("prune")
        self.assertEqual(len(self.snapshots()), 1)

    def test_stale_lock_of_dead_process_is_ignored(self):
        src = self.big_source(128)
        self.init()
        p = self.start_backup_holding_lock(src)
        p.kill()
        p.communicate()  # reap it: a zombie still exists as a pid
        self.assertEqual(len(self.locks()), 1, "the killed process's lock should remain")
        r = self.custos("prune")
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(self.locks(), [])
        self.ok("check")
        # And the vault works as usual afterwards.
        self.backup(src)
        self.assertEqual(len(self.snapshots()), 1)

    def test_concurrent_backups_share_the_vault(self):
        self.init()
        srcs = []
        for i in range(3):
            src = os.path.join(self.tmp, f"src{i}")
            rnd = random.Random(i)
            for k in range(20):
                write(os.path.join(src, f"f{k}"), rnd.randbytes(rnd.randrange(1, 400000)))
            write(os.path.join(src, "shared"), random.Random(77).randbytes(3 * MiB))
            srcs.append(src)
        procs = [subprocess.Popen([CUSTOS, "-r", self.vault, "--json", "backup", s],
                                  env=child_env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for s in srcs]
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, EXIT_OK, (out, err))
        self.assertEqual(self.locks(), [])
        snaps = self.snapshots()
        self.assertEqual(sorted(s["paths"][0] for s in snaps), srcs)
        self.ok("check", "--read-data")
        for s in snaps:
            target = os.path.join(self.tmp, "t-" + s["short_id"])
            self.ok("restore", s["id"], "--target", target)
            src = s["paths"][0]
            self.assertEqual(tree_manifest(self.restored_root(target, src)), tree_manifest(src))

    def test_unlock(self):
        src = self.big_source(128)
        self.init()
        p = self.start_backup_holding_lock(src)
        # The lock of a live process is not stale: plain unlock keeps it.
        r = self.ok("unlock")
        self.assertIn("removed 0 locks", r.out)
        self.assertEqual(len(self.locks()), 1)
        r = self.ok("unlock", "--remove-all")
        self.assertIn("removed 1 locks", r.out)
        self.assertEqual(self.locks(), [])
        self.ok("prune", "--dry-run")  # nothing holds the vault any more
        p.kill()
        p.communicate()
        p2 = self.start_backup_holding_lock(src)
        p2.kill()
        p2.communicate()
        self.assertEqual(len(self.locks()), 1)
        r = self.ok("unlock")
        self.assertIn("removed 1 locks", r.out)
        self.assertEqual(self.locks(), [])


if __name__ == "__main__":
    unittest.main()
