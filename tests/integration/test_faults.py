"""Fault injection against the real binary: a full disk under the vault, and
under a running server's data directory."""
import errno
import json
import os
import shutil
import subprocess
import unittest

from custos_testlib import EXIT_OK, VaultTestCase, run, tree_manifest
from test_server import Server


class SmallFsTestCase(VaultTestCase):
    """A test with a tmpfs of FS_SIZE at self.mnt (root is needed; CI runs as
    root), unmounted before the temp dir is removed."""
    FS_SIZE = "24m"

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "small")
        os.makedirs(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + self.FS_SIZE, "tmpfs", self.mnt],
                       check=True)

    def tearDown(self):
        subprocess.run(["umount", "-l", self.mnt], check=False)
        super().tearDown()

    def fill_disk(self, filler, leave=0):
        """Fills the tmpfs with `filler` to its last byte, then frees `leave`
        bytes (whole pages) of it."""
        with open(filler, "wb", buffering=0) as f:
            for size in (1 << 20, 4096, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)
            self.assertEqual(os.statvfs(self.mnt).f_bavail, 0)
            if leave:
                f.truncate(f.tell() - leave)


class DiskFullTest(SmallFsTestCase):
    def setUp(self):
        super().setUp()
        self.vault = os.path.join(self.mnt, "vault")

    def test_full_disk_fails_cleanly_and_loses_nothing(self):
        self.init("--pack-size", "1")
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "small.txt"), "wb") as f:
            f.write(b"first snapshot\n" * 1000)
        self.ok("backup", src)
        first = tree_manifest(src)

        # 40 MiB of incompressible data cannot fit.
        with open(os.path.join(src, "big.bin"), "wb") as f:
            f.write(os.urandom(40 << 20))
        r = self.custos("backup", src)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("No space left", r.err, r)
        self.assertIn("data/", r.err, r)  # names the object being written
        self.assertEqual(len(self.ok("snapshots", "--json").json()), 1)
        # No temporary files are left behind by the failed writes.
        leftovers = [n for _, _, files in os.walk(self.vault) for n in files if n.startswith(".tmp-")]
        self.assertEqual(leftovers, [])

        # The vault is still consistent and the first snapshot restores exactly.
        self.ok("check", "--read-data")
        target = os.path.join(self.tmp, "restore")
        self.ok("restore", "latest", "--target", target)
        self.assertEqual(tree_manifest(self.restored_root(target, src)), first)

        # Prune on a disk with room for its lock and nothing else: the failed
        # backup's packs go first, before anything else is written, and prune
        # frees the space they held.
        filler = os.path.join(self.mnt, "filler")
        self.fill_disk(filler, leave=4096)  # one tmpfs page: the lock's
        self.assertEqual(shutil.disk_usage(self.mnt).free, 4096)
        out = self.ok("prune").out
        self.assertRegex(out, r"[1-9]\d* unreferenced")
        self.assertGreater(shutil.disk_usage(self.mnt).free, 4 << 20)
        os.remove(filler)
        self.ok("check", "--read-data")

        # With space again, a backup succeeds.
        os.remove(os.path.join(src, "big.bin"))
        with open(os.path.join(src, "medium.bin"), "wb") as f:
            f.write(os.urandom(4 << 20))
        self.ok("backup", src)
        self.ok("check", "--read-data")
        self.assertEqual(len(self.ok("snapshots", "--json").json()), 2)


class ServerDiskFullTest(SmallFsTestCase):
    """`custos serve` with its data directory on a filesystem that fills up."""
    FS_SIZE = "16m"

    def setUp(self):
        super().setUp()
        self.data = os.path.join(self.mnt, "data")
        self.filler = os.path.join(self.mnt, "filler")
        self.servers = []

    def tearDown(self):
        for srv in self.servers:
            srv.stop()
        super().tearDown()

    def start(self, checkpoint_ms=200):
        srv = Server(self.data, checkpoint_ms=checkpoint_ms)
        self.servers.append(srv)
        return srv

    def health(self, srv):
        status, doc = srv.json("GET", "/health", token=None)
        self.assertEqual(status, 200 if doc["status"] == "ok" else 503, doc)
        return doc

    def test_full_disk_refuses_writes_cleanly_and_loses_nothing(self):
        # Checkpoints only on request, so that entries are acknowledged and
        # still unsigned when the disk fills.
        srv = self.start(checkpoint_ms=3600 * 1000)
        acked = []
        for i in range(20):
            _, doc = srv.json("POST", "/api/v1/employers", {"name": "Early %d" % i}, expect=201)
            acked.append(doc["id"])
        h = self.health(srv)
        self.assertEqual((h["status"], h["tree_size"], h["checkpoint_size"]), ("ok", 20, 0), h)

        self.fill_disk(self.filler)
        for i in range(10):
            _, doc = srv.json("POST", "/api/v1/employers", {"name": "Late %d" % i}, expect=507)
            self.assertEqual(doc["error"]["code"], "no_space", doc)
            self.assertNotIn("Late", json.dumps(doc), "no record data in errors")
        # The checkpoint of the acknowledged entries cannot be stored: said
        # by the request and by health, which stays failing until one is.
        status, _, body = srv.request("POST", "/api/v1/audit/checkpoint")
        self.assertEqual(status, 507, body)
        self.assertIn(b"No space left", body)
        h = self.health(srv)
        self.assertEqual((h["status"], h["writes"], h["checkpoints"]),
                         ("failing", "accepted", "failing"), h)
        self.assertIn("No space left", " ".join(h["problems"]), h)
        self.assertEqual(h["checkpoint_size"], 0, h)
        # Reads go on; the server neither crashed nor stopped taking requests.
        srv.json("GET", "/api/v1/employers/" + acked[0], expect=200)
        self.assertIsNone(srv.proc.poll())

        # Space comes back: writes are taken again, the checkpoint is stored
        # and health turns ok.
        os.remove(self.filler)
        _, doc = srv.json("POST", "/api/v1/employers", {"name": "After"}, expect=201)
        acked.append(doc["id"])
        status, _, note = srv.request("POST", "/api/v1/audit/checkpoint")
        self.assertEqual(status, 200, note)
        self.assertIn(b"\n21\n", note)
        h = self.health(srv)
        self.assertEqual((h["status"], h["tree_size"], h["checkpoint_size"]), ("ok", 21, 21), h)
        srv.stop()

        # Nothing acknowledged is lost, nothing refused half-exists, and the
        # audit trail verifies.
        r = run(["audit", "verify", "--data", self.data])
        self.assertEqual(r.rc, EXIT_OK, r)
        srv = self.start()
        _, page = srv.json("GET", "/api/v1/employers?limit=1000", expect=200)
        self.assertEqual(sorted(r["id"] for r in page["records"]), sorted(acked))


if __name__ == "__main__":
    unittest.main()
