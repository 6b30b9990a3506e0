"""The decorator stack end to end: faults injected below the retry decorator
(CUSTOS_FAULTS) on a real backup, restore and check."""
import os
import unittest

from custos_testlib import (EXIT_OK, VaultTestCase, normalize, tree_manifest)


class StorageFaultsTest(VaultTestCase):
    def setUp(self):
        super().setUp()
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(self.src)
        for i in range(20):
            with open(os.path.join(self.src, f"f{i}.bin"), "wb") as f:
                f.write(os.urandom(50_000 + i))
        self.init()

    def test_transient_errors_are_retried_without_loss(self):
        faults = ("save:prefix=data/,error=retryable,retry_after_ms=10,count=3;"
                  "load:prefix=data/,error=retryable,count=2;stat:error=retryable,count=1")
        r = self.custos("backup", self.src, env={"CUSTOS_FAULTS": faults})
        self.assertEqual(r.rc, EXIT_OK, r)
        target = os.path.join(self.tmp, "restore")
        r = self.custos("restore", "latest", "--target", target, env={"CUSTOS_FAULTS": faults})
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(normalize(tree_manifest(self.restored_root(target, self.src))),
                         normalize(tree_manifest(self.src)))
        self.ok("check", "--read-data")

    def test_a_short_read_is_reported_and_loses_nothing(self):
        self.ok("backup", self.src)
        target = os.path.join(self.tmp, "restore")
        r = self.custos("restore", "latest", "--target", target,
                        env={"CUSTOS_FAULTS": "load:prefix=data/,truncate=100,count=1"})
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("truncated", r.err)
        self.assertIn("data/", r.err)
        self.ok("check", "--read-data")

    def test_permanent_error_fails_fast_with_a_clear_message(self):
        r = self.custos("backup", self.src,
                        env={"CUSTOS_FAULTS": "save:prefix=data/,error=permission_denied"})
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("injected fault", r.err)
        # Nothing half-done: no snapshot, and the vault still checks clean.
        self.assertEqual(self.ok("--json", "snapshots").json(), [])
        self.ok("check")

    def test_an_upload_that_lies_is_caught_by_check(self):
        r = self.custos("backup", self.src, env={"CUSTOS_FAULTS": "save:prefix=data/,lie,count=1"})
        self.assertEqual(r.rc, EXIT_OK, r)
        r = self.custos("check")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("data/", r.out + r.err)

    def test_bad_fault_spec_is_a_usage_error(self):
        r = self.custos("snapshots", env={"CUSTOS_FAULTS": "save:bogus=1"})
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("bogus", r.err)


if __name__ == "__main__":
    unittest.main()
