"""Named destinations from the configuration file: dest list, dest test, -r dest:NAME."""
import json
import os
import unittest

from custos_testlib import (EXIT_OK, EXIT_USAGE, FAST_KDF, PASSWORD, VaultTestCase, run)


class DestTest(VaultTestCase):
    def write_config(self, text):
        path = os.path.join(self.tmp, "custos.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_list_redacts_and_test_probes_a_local_destination(self):
        pw = os.path.join(self.tmp, "pass")
        with open(pw, "w") as f:
            f.write(PASSWORD)
        cfg = self.write_config(
            f'[destinations.local]\nurl = "{self.vault}"\npassword_file = "{pw}"\n'
            '[destinations.remote]\nurl = "s3://bucket/p?region=eu-west-1&token=SECRETTOKEN"\n')
        r = run(["--config", cfg, "dest", "list"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertIn("local", r.out)
        self.assertNotIn("SECRETTOKEN", r.out + r.err)
        r = run(["--config", cfg, "--json", "dest", "list"])
        names = [d["name"] for d in r.json()]
        self.assertEqual(names, ["local", "remote"])
        self.assertTrue(r.json()[0]["password_file"])

        r = run(["--config", cfg, "--json", "dest", "test", "local"])
        self.assertEqual(r.rc, EXIT_OK, r)
        report = r.json()
        self.assertTrue(report["ok"])
        self.assertEqual([s["step"] for s in report["steps"]],
                         ["create", "write", "stat", "read", "list", "delete", "gone"])
        self.assertTrue(all(s["ok"] and s["ms"] >= 0 for s in report["steps"]))
        self.assertTrue(report["capabilities"]["atomic_replace"])
        # The probe is gone afterwards.
        leftovers = []
        for root, _, files in os.walk(self.vault):
            leftovers += files
        self.assertEqual(leftovers, [])

        # The destination (with its password file) works as a vault address.
        src = os.path.join(self.tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "a.txt"), "w") as f:
            f.write("hello")
        r = run(["--config", cfg, "-r", "dest:local", "init", *FAST_KDF], password=None)
        self.assertEqual(r.rc, EXIT_OK, r)
        r = run(["--config", cfg, "-r", "dest:local", "backup", src], password=None)
        self.assertEqual(r.rc, EXIT_OK, r)
        r = run(["--config", cfg, "-r", "dest:local", "--json", "snapshots"], password=None)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(len(r.json()), 1)

    def test_failing_destination_names_the_step(self):
        blocker = os.path.join(self.tmp, "file")
        with open(blocker, "w") as f:
            f.write("x")
        cfg = self.write_config(f'[destinations.bad]\nurl = "{blocker}/sub"\n')
        r = run(["--config", cfg, "dest", "test", "bad"])
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("destination bad failed at create", r.err)

    def test_unknown_destination_and_bad_config(self):
        cfg = self.write_config('[destinations.a]\nurl = "/x"\n')
        r = run(["--config", cfg, "dest", "test", "nope"])
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn('no destination named "nope"', r.err)
        cfg = self.write_config('[destinations.a]\nurl = "/x"\npassword = "hunter2"\n')
        r = run(["--config", cfg, "dest", "list"])
        self.assertEqual(r.rc, EXIT_USAGE, r)
        self.assertIn(":3:", r.err)
        self.assertIn('unknown key "password"', r.err)
        self.assertNotIn("hunter2", r.err)
        r = run(["--config", os.path.join(self.tmp, "missing.toml"), "dest", "list"])
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("does not exist", r.err)

    def test_no_config_file_is_an_empty_list(self):
        r = run(["dest", "list"], env={"XDG_CONFIG_HOME": self.tmp, "CUSTOS_CONFIG": ""})
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertIn("no destinations configured", r.out)


if __name__ == "__main__":
    unittest.main()
