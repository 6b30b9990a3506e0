"""Backup -> restore -> compare round trips for edge-case source trees.

Every test backs up a tree below self.tmp, restores it into a fresh target
and compares the two trees entry by entry (content, mode, mtime, owner,
type-specific data).
"""
import hashlib
import json
import os
import random
import shutil
import socket
import stat
import subprocess
import tempfile
import unittest

from custos_testlib import (CUSTOS, EXIT_OK, PASSWORD, Result, VaultTestCase, file_sha256,
                            tree_manifest)

MiB = 1 << 20
GiB = 1 << 30


def full_manifest(root, content=True):
    """tree_manifest plus what it leaves out: owner, symlink mtimes, device numbers, the root."""
    out = {}
    base = tree_manifest(root, content=content)
    st = os.lstat(root)
    base["."] = ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
    for rel, entry in base.items():
        p = os.path.join(root, rel)
        st = os.lstat(p)
        extra = (st.st_uid, st.st_gid)
        if stat.S_ISLNK(st.st_mode):
            extra += (st.st_mtime_ns,)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            extra += (os.major(st.st_rdev), os.minor(st.st_rdev))
        out[rel] = entry + extra
    return out


def run_in(cwd, args):
    """Like custos_testlib.run, but in another working directory (for relative paths)."""
    env = dict(os.environ, CUSTOS_PASSWORD=PASSWORD)
    env.pop("CUSTOS_REPO", None)
    return Result(subprocess.run([CUSTOS] + args, cwd=cwd, env=env, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=900))


def write_file(path, data=b"", mode=None, mtime_ns=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def set_dir_mtimes(root, base_ns):
    """Gives every directory below and including root a distinct mtime with nanoseconds,
    deepest first so that setting a child does not disturb its parent afterwards."""
    dirs = [root]
    for dirpath, dirnames, _ in os.walk(root):
        dirs.extend(os.path.join(dirpath, d) for d in dirnames
                    if not os.path.islink(os.path.join(dirpath, d)))
    dirs.sort(key=lambda d: d.count(os.sep), reverse=True)
    for i, d in enumerate(dirs):
        t = base_ns + i * 1_000_000_007 + 123_456_789
        os.utime(d, ns=(t, t))


class RoundTripCase(VaultTestCase):
    def backup(self, *args, expect=EXIT_OK):
        """Runs `--json backup`; returns (summary, error messages)."""
        r = self.custos("--json", "backup", *args)
        self.assertEqual(r.rc, expect, r)
        msgs = [json.loads(line) for line in r.out.splitlines() if line.strip()]
        self.assertTrue(msgs, r)
        summary = msgs[-1]
        self.assertEqual(summary["message_type"], "summary", r)
        return summary, msgs[:-1]

    def restore(self, target, *extra, snapshot="latest"):
        r = self.custos("restore", snapshot, "--target", target, *extra)
        self.assertEqual(r.rc, EXIT_OK, r)
        return r

    def assertSameTree(self, src, restored, content=True):
        want = full_manifest(src, content)
        got = full_manifest(restored, content)
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        self.assertEqual(missing, [], "entries not restored")
        self.assertEqual(extra, [], "entries restored that were not in the source")
        diffs = [(k, want[k], got[k]) for k in sorted(want) if want[k] != got[k]]
        self.assertEqual(diffs, [], "entries restored differently (path, source, restored)")


class EdgeCaseTreeTest(RoundTripCase):
    def make_tree(self, src):
        os.makedirs(src)
        j = os.path.join
        # Empty files and empty directories.
        write_file(j(src, "empty"))
        os.makedirs(j(src, "empty_dir"))
        os.makedirs(j(src, "nested_empty", "a", "b", "c"))
        write_file(j(src, "nested_empty", "a", "empty_too"))
        # Unicode names: NFC and NFD spellings are different names on Linux.
        names = ["caf\u00e9", "cafe\u0301", "\U0001F4E6\U0001F512 box", "\u05e9\u05dc\u05d5\u05dd",
                 "\u0645\u0631\u062d\u0628\u0627.txt", "mixed \u202eRTL\u202c name",
                 "spaces  and\ttab", "line\nbreak", "-leading-dash", "glob*?[x]",
                 "back\\slash", "\u65e5\u672c\u8a9e"]
        os.makedirs(j(src, "unicode"))
        for i, n in enumerate(names):
            write_file(j(src, "unicode", n), f"{i}:{n}".encode())
        os.makedirs(j(src, "unicode", "dir \u00e9\u0301 \U0001F600"))
        write_file(j(src, "unicode", "dir \u00e9\u0301 \U0001F600", "inner"), b"inner")
        # Not valid UTF-8 at all.
        write_file(os.path.join(os.fsencode(j(src, "unicode")), b"latin1-\xe9\xff"), b"bytes")
        # 255-byte names (the limit), ASCII and multi-byte.
        long_ascii = "L" * 251 + ".txt"
        long_utf8 = "\u00e9" * 127 + "x"  # 254 + 1 bytes
        self.assertEqual(len(long_ascii.encode()), 255)
        self.assertEqual(len(long_utf8.encode()), 255)
        write_file(j(src, long_ascii), b"long ascii name")
        write_file(j(src, long_utf8), b"long utf8 name")
        # A path longer than 1000 characters.
        deep = src
        for i in range(8):
            deep = j(deep, f"{i}" + "d" * 180)
        os.makedirs(deep)
        write_file(j(deep, "bottom.txt"), b"at the bottom")
        self.assertGreater(len(j(deep, "bottom.txt")), 1000 + len(src))
        # Symlinks: relative, dangling, absolute (inside and outside the tree), to a dir.
        os.makedirs(j(src, "links"))
        write_file(j(src, "links", "target.txt"), b"target")
        os.symlink("target.txt", j(src, "links", "rel"))
        os.symlink("does/not/exist", j(src, "links", "dangling"))
        os.symlink("/etc/hostname", j(src, "links", "absolute"))
        os.symlink(j(src, "links", "target.txt"), j(src, "links", "absolute_inside"))
        os.symlink("../unicode", j(src, "links", "to_dir"))
        os.symlink("caf\u00e9 \U0001F4E6", j(src, "links", "unicode_target"))
        os.symlink("x" * 1000, j(src, "links", "long_target"))
        # Permissions.
        os.makedirs(j(src, "perms"))
        write_file(j(src, "perms", "private"), b"0600", mode=0o600)
        write_file(j(src, "perms", "exec"), b"#!/bin/sh\n", mode=0o755)
        write_file(j(src, "perms", "readonly"), b"0444", mode=0o444)
        write_file(j(src, "perms", "none"), b"0000", mode=0o000)
        write_file(j(src, "perms", "setuid"), b"4755", mode=0o4755)
        os.makedirs(j(src, "perms", "private_dir"))
        write_file(j(src, "perms", "private_dir", "f"), b"in 0700 dir")
        os.chmod(j(src, "perms", "private_dir"), 0o700)
        os.makedirs(j(src, "perms", "setgid_dir"))
        write_file(j(src, "perms", "setgid_dir", "f"), b"in setgid dir")
        os.chmod(j(src, "perms", "setgid_dir"), 0o2775)
        os.makedirs(j(src, "perms", "sticky_dir"))
        os.chmod(j(src, "perms", "sticky_dir"), 0o1777)
        os.makedirs(j(src, "perms", "readonly_dir"))
        write_file(j(src, "perms", "readonly_dir", "f"), b"in 0555 dir")
        # mtimes: old dates, nanoseconds, far future.
        os.makedirs(j(src, "times"))
        write_file(j(src, "times", "1990"), b"old", mtime_ns=631152000_000000000)  # 1990-01-01
        write_file(j(src, "times", "1990ns"), b"old ns", mtime_ns=641234567_123456789)
        write_file(j(src, "times", "nanos"), b"ns", mtime_ns=1700000000_987654321)
        write_file(j(src, "times", "epoch"), b"epoch", mtime_ns=0)
        write_file(j(src, "times", "2100"), b"future", mtime_ns=4102444800_000000001)
        os.symlink("1990", j(src, "times", "link_1990"))
        os.utime(j(src, "times", "link_1990"), ns=(700000000_5, 700000000_5),
                 follow_symlinks=False)
        # Some content of several chunks.
        rnd = random.Random(7)
        write_file(j(src, "multi_chunk.bin"), rnd.randbytes(9 * MiB + 17))
        # Directory mtimes last, then read-only modes that would block creating entries.
        set_dir_mtimes(src, 800000000_000000000)
        os.chmod(j(src, "perms", "readonly_dir"), 0o555)
        os.utime(j(src, "perms", "readonly_dir"), ns=(900000000_1, 900000000_1))

    def test_edge_case_tree_round_trip(self):
        src = os.path.join(self.tmp, "src")
        self.make_tree(src)
        before = full_manifest(src)
        self.init()
        summary, errors = self.backup(src)
        self.assertEqual(errors, [])
        self.assertEqual(summary["errors"], 0)
        self.assertFalse(summary["partial"])
        files = sum(1 for v in before.values() if v[0] == "file")
        self.assertEqual(summary["files_new"], files)
        # The source is left as it was (the backup does not touch it).
        self.assertEqual(full_manifest(src), before)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        self.assertSameTree(src, self.restored_root(target, src))

    def test_mtime_before_1970_with_nanoseconds(self):
        # Files dated before the epoch exist (broken archives, old media). A negative
        # time with a non-zero nanosecond part must be restored exactly.
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        cases = {"whole_seconds": -315619200_000000000,  # 1960-01-01
                 "half_second": -1_500000000,             # 1969-12-31T23:59:58.5
                 "nanos": -315619200_000000001}
        for name, ns in cases.items():
            write_file(os.path.join(src, name), name.encode(), mtime_ns=ns)
        self.init()
        self.backup(src)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        got = {n: os.lstat(os.path.join(root, n)).st_mtime_ns for n in cases}
        self.assertEqual(got, cases)

    def test_hard_links_restored_as_hard_links(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(src, "sub"))
        a = os.path.join(src, "a")
        write_file(a, b"shared content\n" * 1000, mode=0o640, mtime_ns=1111111111_111111111)
        os.link(a, os.path.join(src, "b"))
        os.link(a, os.path.join(src, "sub", "c"))
        write_file(os.path.join(src, "x"), b"x")
        os.link(os.path.join(src, "x"), os.path.join(src, "sub", "y"))
        write_file(os.path.join(src, "single"), b"shared content\n" * 1000)  # same content only
        self.init()
        self.backup(src)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        self.assertSameTree(src, root)
        ino = {n: os.lstat(os.path.join(root, n)) for n in ["a", "b", "sub/c", "x", "sub/y",
                                                             "single"]}
        self.assertEqual(ino["a"].st_ino, ino["b"].st_ino)
        self.assertEqual(ino["a"].st_ino, ino["sub/c"].st_ino)
        self.assertEqual(ino["a"].st_nlink, 3)
        self.assertEqual(ino["x"].st_ino, ino["sub/y"].st_ino)
        self.assertEqual(ino["x"].st_nlink, 2)
        self.assertNotEqual(ino["a"].st_ino, ino["single"].st_ino)
        self.assertNotEqual(ino["a"].st_ino, ino["x"].st_ino)
        self.assertEqual(ino["single"].st_nlink, 1)

    def test_sparse_files_stay_sparse(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        rnd = random.Random(3)
        # 1 GiB apparent size: a hole, data in the middle, a hole, data at the very end.
        path = os.path.join(src, "sparse")
        with open(path, "wb") as f:
            f.truncate(GiB)
            f.seek(GiB // 2 - MiB)
            f.write(rnd.randbytes(3 * MiB + 4321))
            f.seek(GiB - 2 * MiB)
            f.write(rnd.randbytes(2 * MiB))
        # Data only in the middle: the file ends with a hole.
        path2 = os.path.join(src, "sparse_tail_hole")
        with open(path2, "wb") as f:
            f.truncate(256 * MiB)
            f.seek(100 * MiB + 1)
            f.write(rnd.randbytes(MiB))
        # Entirely a hole.
        path3 = os.path.join(src, "all_hole")
        with open(path3, "wb") as f:
            f.truncate(64 * MiB)
        for p in (path, path2, path3):
            self.assertLess(os.stat(p).st_blocks * 512, 16 * MiB, "source is not sparse here")
        self.init()
        summary, _ = self.backup(src)
        self.assertEqual(summary["total_bytes_processed"], GiB + 256 * MiB + 64 * MiB)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        for p in (path, path2, path3):
            r = os.path.join(root, os.path.basename(p))
            st = os.stat(r)
            self.assertEqual(st.st_size, os.stat(p).st_size, r)
            self.assertLess(st.st_blocks * 512, 64 * MiB, f"{r} was restored without holes")
        self.assertSameTree(src, root)

    def test_two_gib_file(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        path = os.path.join(src, "big.bin")
        rnd = random.Random(11)
        pattern = rnd.randbytes(MiB)
        random_blocks = {0, 1, 513, 1024, 1025, 2047}
        h = hashlib.sha256()
        with open(path, "wb") as f:
            for i in range(2048):
                block = rnd.randbytes(MiB) if i in random_blocks else pattern
                f.write(block)
                h.update(block)
            tail = rnd.randbytes(12345)  # beyond 2^31 and not a whole chunk
            f.write(tail)
            h.update(tail)
        os.utime(path, ns=(1500000000_123456789, 1500000000_123456789))
        size = 2 * GiB + 12345
        self.assertEqual(os.path.getsize(path), size)
        self.init()
        summary, _ = self.backup(src)
        self.assertEqual(summary["files_new"], 1)
        self.assertEqual(summary["total_bytes_processed"], size)
        # The repeated pattern is stored once.
        self.assertLess(summary["data_added"], 64 * MiB)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        restored = os.path.join(self.restored_root(target, src), "big.bin")
        st = os.stat(restored)
        self.assertEqual(st.st_size, size)
        self.assertEqual(st.st_mtime_ns, 1500000000_123456789)
        self.assertEqual(file_sha256(restored), h.hexdigest())

    def test_100k_tiny_files(self):
        # 200k file creations and deletions are slow on a busy disk; the point here is how
        # custos handles many entries, so use a RAM file system when there is one.
        base = self.tmp
        if os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > 4 * GiB:
            base = tempfile.mkdtemp(prefix="custos-it-100k-", dir="/dev/shm")
            self.addCleanup(shutil.rmtree, base, ignore_errors=True)
            self.vault = os.path.join(base, "vault")
        src = os.path.join(base, "src")
        n_dirs, per_dir = 100, 1000
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        for d in range(n_dirs):
            dpath = os.path.join(src, f"dir{d:03d}")
            os.makedirs(dpath)
            for i in range(per_dir):
                fd = os.open(f"{dpath}/f{i:04d}", flags, 0o644)
                if i % 10:
                    os.write(fd, f"file {d}/{i}\n".encode() * (i % 5 + 1))
                os.close(fd)  # every tenth file is empty
        self.init()
        summary, errors = self.backup(src)
        self.assertEqual(errors, [])
        self.assertEqual(summary["files_new"], n_dirs * per_dir)
        self.assertEqual(summary["dirs"], n_dirs + 1)
        target = os.path.join(base, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        count = sum(len(files) for _, _, files in os.walk(root))
        self.assertEqual(count, n_dirs * per_dir)
        rnd = random.Random(5)
        for _ in range(200):
            d, i = rnd.randrange(n_dirs), rnd.randrange(per_dir)
            with open(os.path.join(root, f"dir{d:03d}", f"f{i:04d}"), "rb") as f:
                want = b"" if i % 10 == 0 else f"file {d}/{i}\n".encode() * (i % 5 + 1)
                self.assertEqual(f.read(), want, (d, i))
        self.assertEqual(tree_manifest(root), tree_manifest(src))

    def test_owner_uid_gid_restored(self):
        if os.geteuid() != 0:
            self.fail("this test needs root (it chowns files to arbitrary ids)")
        src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(src, "dir"))
        write_file(os.path.join(src, "owned"), b"owned")
        write_file(os.path.join(src, "dir", "inner"), b"inner")
        write_file(os.path.join(src, "root_owned"), b"root")
        os.symlink("owned", os.path.join(src, "link"))
        os.chown(os.path.join(src, "owned"), 1234, 5678)
        os.chown(os.path.join(src, "dir", "inner"), 1234, 5678)
        os.chown(os.path.join(src, "dir"), 4321, 8765)
        os.chown(os.path.join(src, "link"), 1111, 2222, follow_symlinks=False)
        os.chmod(os.path.join(src, "owned"), 0o2755)  # chown clears set-id bits: set after
        self.init()
        self.backup(src)
        ls = self.ok("--json", "ls", "latest").json()
        by_path = {e["path"]: e for e in ls}
        owned = by_path[os.path.join(src, "owned")]
        self.assertEqual((owned["uid"], owned["gid"]), (1234, 5678))
        self.assertEqual(owned["mode"], 0o2755)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        self.assertSameTree(src, root)
        ids = {n: (os.lstat(os.path.join(root, n)).st_uid, os.lstat(os.path.join(root, n)).st_gid)
               for n in ["owned", "dir/inner", "dir", "link", "root_owned"]}
        self.assertEqual(ids, {"owned": (1234, 5678), "dir/inner": (1234, 5678),
                               "dir": (4321, 8765), "link": (1111, 2222), "root_owned": (0, 0)})
        self.assertEqual(stat.S_IMODE(os.lstat(os.path.join(root, "owned")).st_mode), 0o2755)

    def test_fifo_and_device_nodes(self):
        if os.geteuid() != 0:
            self.fail("this test needs root (mknod)")
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        os.mkfifo(os.path.join(src, "fifo"), 0o640)
        os.mknod(os.path.join(src, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(os.path.join(src, "chr_big"), 0o600 | stat.S_IFCHR, os.makedev(259, 70000))
        os.mknod(os.path.join(src, "blk"), 0o660 | stat.S_IFBLK, os.makedev(7, 200))
        os.utime(os.path.join(src, "fifo"), ns=(654321000_000000042, 654321000_000000042))
        os.utime(os.path.join(src, "null"), ns=(654321000_000000043, 654321000_000000043))
        write_file(os.path.join(src, "regular"), b"regular")
        sock_path = os.path.join(src, "sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(sock_path)
        finally:
            s.close()
        self.init()
        summary, errors = self.backup(src)
        self.assertEqual(errors, [])
        self.assertEqual(summary["files_new"], 1)
        types = {e["name"]: e["type"] for e in self.ok("--json", "ls", "latest", src).json()}
        self.assertEqual(types, {"src": "dir", "fifo": "fifo", "null": "chardev",
                                 "chr_big": "chardev", "blk": "blockdev", "regular": "file",
                                 "sock": "socket"})
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        src_mtime = os.lstat(src).st_mtime_ns
        os.unlink(sock_path)  # sockets cannot be restored; everything else must be
        os.utime(src, ns=(src_mtime, src_mtime))
        self.assertSameTree(src, root)
        self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(root, "fifo")).st_mode))
        st = os.lstat(os.path.join(root, "chr_big"))
        self.assertTrue(stat.S_ISCHR(st.st_mode))
        self.assertEqual((os.major(st.st_rdev), os.minor(st.st_rdev)), (259, 70000))
        st = os.lstat(os.path.join(root, "blk"))
        self.assertTrue(stat.S_ISBLK(st.st_mode))
        self.assertEqual((os.major(st.st_rdev), os.minor(st.st_rdev)), (7, 200))


class IncrementalAndFilterTest(RoundTripCase):
    def make_src(self):
        src = os.path.join(self.tmp, "src")
        j = os.path.join
        for d in ["docs", "docs/deep", "cache", "logs", "keep"]:
            os.makedirs(j(src, d))
        files = {
            "readme.txt": b"readme", "docs/a.txt": b"a" * 5000, "docs/b.md": b"b",
            "docs/deep/c.txt": b"c" * 70000, "docs/debug.log": b"log in docs",
            "cache/blob": b"cached", "logs/app.log": b"app log", "logs/notes.txt": b"notes",
            "keep/skip_me.tmp": b"skip", "keep/skip_too": b"skip too", "keep/kept": b"kept",
        }
        for rel, data in files.items():
            write_file(j(src, rel), data)
        return src, files

    def test_incremental_backup_detects_unchanged_and_changed(self):
        src, files = self.make_src()
        self.init()
        first, _ = self.backup(src)
        self.assertEqual(first["files_new"], len(files))
        self.assertEqual((first["files_changed"], first["files_unmodified"]), (0, 0))
        second, _ = self.backup(src)
        self.assertEqual(second["files_unmodified"], len(files))
        self.assertEqual((second["files_new"], second["files_changed"]), (0, 0))
        self.assertEqual(second["data_blobs"], 0)
        snaps = self.ok("--json", "snapshots").json()
        self.assertEqual(snaps[-1].get("parent"), first["snapshot_id"])

        # Same size, new content, and the old mtime put back: the ctime still changes.
        p = os.path.join(src, "docs", "a.txt")
        old = os.stat(p)
        write_file(p, b"A" * 5000)
        os.utime(p, ns=(old.st_atime_ns, old.st_mtime_ns))
        write_file(os.path.join(src, "docs", "new.txt"), b"new file")
        third, _ = self.backup(src)
        self.assertEqual(third["files_changed"], 1)
        self.assertEqual(third["files_new"], 1)
        self.assertEqual(third["files_unmodified"], len(files) - 1)

        # --force reads everything again but finds nothing new to store.
        forced, _ = self.backup(src, "--force")
        self.assertEqual(forced["files_new"] + forced["files_changed"], len(files) + 1)
        self.assertEqual(forced["files_unmodified"], 0)
        self.assertEqual(forced["data_blobs"], 0)

        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        self.assertSameTree(src, root)
        with open(os.path.join(root, "docs", "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"A" * 5000)
        # The first snapshot still holds the old content.
        old_target = os.path.join(self.tmp, "restore_old")
        self.restore(old_target, snapshot=first["snapshot_id"])
        with open(os.path.join(self.restored_root(old_target, src), "docs", "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"a" * 5000)
        self.assertFalse(os.path.exists(
            os.path.join(self.restored_root(old_target, src), "docs", "new.txt")))

    def test_exclude_patterns(self):
        src, files = self.make_src()
        self.init()
        summary, _ = self.backup(src, "-e", "*.log", "--exclude", "cache",
                                 "-e", os.path.join(src, "keep", "skip*"))
        excluded = {"docs/debug.log", "logs/app.log", "cache/blob", "keep/skip_me.tmp",
                    "keep/skip_too"}
        self.assertEqual(summary["files_new"], len(files) - len(excluded))
        listed = {e["path"] for e in self.ok("--json", "ls", "latest").json()}
        for rel in files:
            self.assertEqual(os.path.join(src, rel) in listed, rel not in excluded, rel)
        self.assertNotIn(os.path.join(src, "cache"), listed)
        self.assertIn(os.path.join(src, "logs"), listed)  # only its .log file is excluded
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        got = {os.path.relpath(os.path.join(d, f), root)
               for d, _, fs in os.walk(root) for f in fs}
        self.assertEqual(got, set(files) - excluded)
        # A full-path pattern where '*' crosses '/'.
        summary, _ = self.backup(src, "--force", "-e", os.path.join(src, "*.txt"))
        listed = {e["path"] for e in self.ok("--json", "ls", "latest").json()}
        txt = {rel for rel in files if rel.endswith(".txt")}
        self.assertEqual(summary["files_new"], len(files) - len(txt))
        for rel in files:
            self.assertEqual(os.path.join(src, rel) in listed, rel not in txt, rel)

    def test_restore_include_single_file_and_dir(self):
        src, files = self.make_src()
        self.init()
        self.backup(src)
        # One file by its full path: only it and its ancestors.
        t1 = os.path.join(self.tmp, "r1")
        self.restore(t1, "--include", os.path.join(src, "docs", "deep", "c.txt"))
        root = self.restored_root(t1, src)
        got = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
        self.assertEqual(got, {"docs/deep/c.txt"})
        with open(os.path.join(root, "docs", "deep", "c.txt"), "rb") as f:
            self.assertEqual(f.read(), files["docs/deep/c.txt"])
        self.assertEqual(sorted(os.listdir(root)), ["docs"])
        # A directory by base name: its whole subtree, with metadata.
        t2 = os.path.join(self.tmp, "r2")
        self.restore(t2, "--include", "docs")
        root = self.restored_root(t2, src)
        got = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
        self.assertEqual(got, {rel for rel in files if rel.startswith("docs/")})
        self.assertEqual(tree_manifest(os.path.join(root, "docs")),
                         tree_manifest(os.path.join(src, "docs")))
        # Base-name globs and several includes.
        t3 = os.path.join(self.tmp, "r3")
        self.restore(t3, "-i", "*.md", "-i", "kept")
        root = self.restored_root(t3, src)
        got = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
        self.assertEqual(got, {"docs/b.md", "keep/kept"})
        # A full-path pattern: '*' crosses '/'.
        t5 = os.path.join(self.tmp, "r5")
        self.restore(t5, "--include", os.path.join(src, "docs", "*.txt"))
        root = self.restored_root(t5, src)
        got = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
        self.assertEqual(got, {"docs/a.txt", "docs/deep/c.txt"})
        # A pattern that matches nothing restores nothing below the target.
        t4 = os.path.join(self.tmp, "r4")
        self.custos("restore", "latest", "--target", t4, "--include", "no-such-name")
        found = [f for _, _, fs in os.walk(t4) for f in fs] if os.path.exists(t4) else []
        self.assertEqual(found, [])

    def test_backup_paths_files_relative_and_overlapping(self):
        src, files = self.make_src()
        other = os.path.join(self.tmp, "other")
        os.makedirs(other)
        write_file(os.path.join(other, "o.txt"), b"other", mtime_ns=1600000000_5)
        single = os.path.join(self.tmp, "single.txt")
        write_file(single, b"a single file", mode=0o604, mtime_ns=1600000001_7)
        self.init()
        # Relative paths, a trailing slash, a path inside another one, a lone file.
        r = run_in(self.tmp, ["-r", self.vault, "--json", "backup", "src/", "other",
                              os.path.join(src, "docs"), "./single.txt"])
        self.assertEqual(r.rc, EXIT_OK, r)
        summary = json.loads(r.out.splitlines()[-1])
        self.assertEqual(summary["files_new"], len(files) + 2)  # docs is not read twice
        snap = self.ok("--json", "snapshots").json()[-1]
        self.assertEqual(snap["paths"], sorted([src, other, single]))
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        self.assertSameTree(src, self.restored_root(target, src))
        self.assertSameTree(other, self.restored_root(target, other))
        restored_single = self.restored_root(target, single)
        st = os.lstat(restored_single)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_mtime_ns), (0o604, 1600000001_7))
        with open(restored_single, "rb") as f:
            self.assertEqual(f.read(), b"a single file")
        # Nothing of self.tmp beyond the named paths.
        self.assertEqual(sorted(os.listdir(self.restored_root(target, self.tmp))),
                         ["other", "single.txt", "src"])
        # The same set of paths, named differently, finds its parent snapshot.
        r = run_in(self.tmp, ["-r", self.vault, "--json", "backup", single, other, src])
        self.assertEqual(r.rc, EXIT_OK, r)
        again = json.loads(r.out.splitlines()[-1])
        self.assertEqual(again["files_unmodified"], len(files) + 2)
        # --parent names the snapshot to compare against explicitly.
        src_only, _ = self.backup(src, "--parent", snap["id"])
        self.assertEqual(src_only["files_unmodified"], len(files))

    def test_restore_into_non_empty_target_overwrites(self):
        src, files = self.make_src()
        os.chmod(os.path.join(src, "readme.txt"), 0o640)
        self.init()
        self.backup(src)
        target = os.path.join(self.tmp, "restore")
        self.restore(target)
        root = self.restored_root(target, src)
        self.assertSameTree(src, root)
        j = os.path.join
        # Damage the restored tree in several ways.
        write_file(j(root, "readme.txt"), b"changed and much longer than before " * 100,
                   mode=0o777)
        write_file(j(root, "docs", "a.txt"), b"x")  # shorter
        os.chmod(j(root, "docs", "b.md"), 0o400)
        os.unlink(j(root, "docs", "deep", "c.txt"))
        outside = j(self.tmp, "outside.txt")
        write_file(outside, b"must stay untouched")
        os.unlink(j(root, "logs", "notes.txt"))
        os.symlink(outside, j(root, "logs", "notes.txt"))  # a restore must not write through it
        write_file(j(root, "docs", "extra.txt"), b"not in the snapshot")
        self.restore(target)
        got = full_manifest(root)
        got.pop("docs/extra.txt", None)  # whether extra files stay is not specified
        self.assertEqual(got, full_manifest(src))
        with open(outside, "rb") as f:
            self.assertEqual(f.read(), b"must stay untouched")


if __name__ == "__main__":
    unittest.main()
