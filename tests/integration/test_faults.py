"""Fault injection against the real binary: a full disk under the vault."""
import os
import subprocess
import unittest

from custos_testlib import EXIT_OK, VaultTestCase, tree_manifest


class DiskFullTest(VaultTestCase):
    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "small")
        os.makedirs(self.mnt)
        # A 24 MiB filesystem for the vault (root is needed; CI runs as root).
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", self.mnt], check=True)
        self.vault = os.path.join(self.mnt, "vault")

    def tearDown(self):
        subprocess.run(["umount", "-l", self.mnt], check=False)
        super().tearDown()

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

        # Once space is available again, prune clears the leftovers and a backup succeeds.
        os.remove(os.path.join(src, "big.bin"))
        with open(os.path.join(src, "medium.bin"), "wb") as f:
            f.write(os.urandom(4 << 20))
        self.ok("prune")
        self.ok("backup", src)
        self.ok("check", "--read-data")
        self.assertEqual(len(self.ok("snapshots", "--json").json()), 2)


if __name__ == "__main__":
    unittest.main()
