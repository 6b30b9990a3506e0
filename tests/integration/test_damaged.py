"""A damaged snapshot object must not take the rest of the vault hostage."""
import os
import unittest

from custos_testlib import EXIT_OK, EXIT_PROBLEMS, VaultTestCase, tree_manifest


class DamagedSnapshotTest(VaultTestCase):
    def setUp(self):
        super().setUp()
        self.init()
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(self.src)
        with open(os.path.join(self.src, "f"), "w") as f:
            f.write("one\n")
        self.ok("backup", self.src)
        with open(os.path.join(self.src, "f"), "a") as f:
            f.write("two\n")
        self.ok("backup", self.src)
        snaps = self.ok("snapshots", "--json").json()
        self.older, self.newer = snaps[0]["id"], snaps[1]["id"]
        path = os.path.join(self.vault, "snapshots", self.newer)
        with open(path, "r+b") as f:
            f.seek(30)
            b = f.read(1)
            f.seek(30)
            f.write(bytes([b[0] ^ 0xFF]))

    def test_backup_restore_latest_and_forget_still_work(self):
        r = self.custos("check")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertIn(self.newer, r.err)
        # Backup goes on (the damaged snapshot cannot be its parent).
        self.ok("backup", self.src)
        # "latest" refuses to guess (the damaged one may be newest) and says why;
        # a snapshot named by id restores.
        target = os.path.join(self.tmp, "r")
        r = self.custos("restore", "latest", "--target", target)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn(self.newer, r.err)
        newest = self.custos("snapshots", "--json").json()[-1]["id"]  # exits 1: one is damaged
        self.ok("restore", newest, "--target", target)
        self.assertEqual(tree_manifest(self.restored_root(target, self.src)), tree_manifest(self.src))
        # Prune refuses, and says why and what to do.
        r = self.custos("prune")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("damaged snapshot", r.err)
        self.assertIn("forget", r.err)
        # The damaged snapshot can be removed by id; then everything is clean.
        r = self.ok("forget", self.newer[:10], "--json")
        self.assertEqual(r.json()[0]["remove"][0]["id"], self.newer)
        self.assertFalse(os.path.exists(os.path.join(self.vault, "snapshots", self.newer)))
        self.ok("prune")
        self.ok("check", "--read-data")

    def test_check_json_when_the_vault_cannot_open(self):
        with open(os.path.join(self.vault, "config"), "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 1]))
        r = self.custos("--json", "check")
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        out = r.json()
        self.assertEqual(out["error_count"], 1)
        self.assertIn("config", out["errors"][0])


if __name__ == "__main__":
    unittest.main()
