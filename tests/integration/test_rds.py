"""custos rds snapshot/list against moto's RDS with SigV4 enforced (tests/servers/moto.sh)."""
import json
import os
import subprocess
import unittest

from custos_testlib import EXIT_OK, VaultTestCase, run

HERE = os.path.dirname(os.path.abspath(__file__))
MOTO = os.path.join(HERE, "..", "servers", "moto.sh")
MOTO_ENV = {}


def setUpModule():
    out = subprocess.run(["bash", MOTO], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError("moto.sh failed: " + out.stderr)
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        MOTO_ENV[k] = v


def tearDownModule():
    if MOTO_ENV.get("MOTO_PID"):
        subprocess.run(["kill", MOTO_ENV["MOTO_PID"]])


def aws(*args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=MOTO_ENV["AWS_ACCESS_KEY_ID"],
               AWS_SECRET_ACCESS_KEY=MOTO_ENV["AWS_SECRET_ACCESS_KEY"], AWS_DEFAULT_REGION="eu-west-2",
               AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    p = subprocess.run(["aws", "--endpoint-url", MOTO_ENV["MOTO_ENDPOINT"], "--output", "json",
                        *args], capture_output=True, text=True, env=env, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("aws " + " ".join(args) + ": " + p.stderr)
    return json.loads(p.stdout) if p.stdout.strip() else {}


class RdsTest(VaultTestCase):
    def setUp(self):
        super().setUp()
        self.instance = "records-" + os.urandom(4).hex()
        aws("rds", "create-db-instance", "--db-instance-identifier", self.instance,
            "--db-instance-class", "db.t3.micro", "--engine", "postgres",
            "--master-username", "custos", "--master-user-password", "not-a-real-secret",
            "--allocated-storage", "20")
        self.init()

    def env(self, secret=None):
        return {"AWS_ACCESS_KEY_ID": MOTO_ENV["AWS_ACCESS_KEY_ID"],
                "AWS_SECRET_ACCESS_KEY": secret or MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
                "AWS_SESSION_TOKEN": "", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "CUSTOS_CONFIG": ""}

    def rds(self, *args, secret=None):
        return self.custos("rds", "--endpoint", MOTO_ENV["MOTO_ENDPOINT"], "--region", "eu-west-2",
                           "--attempts", "2", *args, env=self.env(secret))

    def test_snapshot_wait_records_and_lists(self):
        r = self.rds("snapshot", "--instance", self.instance, "--snapshot-id", "snap-1", "--wait",
                     "--interval", "1", "--timeout", "60")
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertIn("snap-1", r.out)
        self.assertIn("available", r.out)
        # moto really has it.
        got = aws("rds", "describe-db-snapshots", "--db-snapshot-identifier", "snap-1")
        self.assertEqual(got["DBSnapshots"][0]["DBInstanceIdentifier"], self.instance)
        # The vault's catalogue recorded it (encrypted, read back through the vault).
        r = self.custos("--json", "rds", "list")
        self.assertEqual(r.rc, EXIT_OK, r)
        listed = r.json()
        self.assertEqual([s["snapshot_id"] for s in listed], ["snap-1"])
        self.assertEqual(listed[0]["status"], "available")
        self.assertEqual(listed[0]["instance"], self.instance)
        # The catalogue object holds no plaintext.
        for root, _, files in os.walk(os.path.join(self.vault, "catalogue")):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    self.assertNotIn(self.instance.encode(), fh.read())
        r = self.rds("--json", "list", "--remote", "--instance", self.instance)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertIn("snap-1", [s["snapshot_id"] for s in r.json()])

    def test_duplicate_snapshot_is_a_clear_error(self):
        self.assertEqual(self.rds("snapshot", "--instance", self.instance, "--snapshot-id",
                                  "dup").rc, EXIT_OK)
        r = self.rds("snapshot", "--instance", self.instance, "--snapshot-id", "dup")
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("already exists", r.err)
        # Only the first was recorded.
        self.assertEqual(len(self.custos("--json", "rds", "list").json()), 1)

    def test_unknown_instance_and_wrong_secret(self):
        r = self.rds("snapshot", "--instance", "no-such-db", "--snapshot-id", "x")
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("DBInstanceNotFound", r.err)
        r = self.rds("snapshot", "--instance", self.instance, "--snapshot-id", "y",
                     secret="wrong-secret-value")
        self.assertNotEqual(r.rc, EXIT_OK)
        self.assertIn("secret access key is wrong", r.err)
        self.assertNotIn("wrong-secret-value", r.err + r.out)
        self.assertNotIn("retrying", r.err)  # a wrong secret is not retried
        self.assertEqual(self.custos("--json", "rds", "list").json(), [])


if __name__ == "__main__":
    unittest.main()
