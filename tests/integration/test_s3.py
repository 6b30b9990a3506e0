"""Custos against S3 (moto_server with signatures enforced), read back with awscli.

moto comes from MOTO_ENDPOINT / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when
set, else setUpModule starts one through tests/servers/moto.sh (and stops it in
tearDownModule). Without moto_server or awscli the tests are skipped.

What moto cannot reproduce, and where it is covered instead:
- a wrong region (moto serves every region from one endpoint): the classification
  is unit-tested from a recorded AWS answer (s3_errors_test.cc);
- GetObjectRetention (moto has none): HeadObject shows the lock mode and date.
"""
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from custos_testlib import EXIT_NO_VAULT, EXIT_OK, FAST_KDF, VaultTestCase, normalize, run, tree_manifest

HERE = os.path.dirname(os.path.abspath(__file__))
MOTO_SCRIPT = os.path.join(HERE, "..", "servers", "moto.sh")
MARKER = "CUSTOS-PLAINTEXT-MARKER-7f3a9c"

_moto = {}


def setUpModule():
    if os.environ.get("MOTO_ENDPOINT"):
        _moto.update(endpoint=os.environ["MOTO_ENDPOINT"],
                     key=os.environ["AWS_ACCESS_KEY_ID"],
                     secret=os.environ["AWS_SECRET_ACCESS_KEY"])
        return
    if not shutil.which("moto_server") or not shutil.which("aws"):
        raise unittest.SkipTest("moto_server or awscli not installed")
    p = subprocess.run([MOTO_SCRIPT], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise unittest.SkipTest("moto.sh failed: " + p.stderr[-500:])
    values = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    _moto.update(endpoint=values["MOTO_ENDPOINT"], pid=int(values["MOTO_PID"]),
                 key=values["AWS_ACCESS_KEY_ID"], secret=values["AWS_SECRET_ACCESS_KEY"])


def tearDownModule():
    if "pid" in _moto:
        try:
            os.kill(_moto["pid"], 15)
        except ProcessLookupError:
            pass


def creds(secret=None):
    return {"AWS_ACCESS_KEY_ID": _moto["key"],
            "AWS_SECRET_ACCESS_KEY": secret or _moto["secret"],
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_PAGER": "",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def aws(*args, check=True):
    """Runs awscli against moto; returns stdout (parsed JSON when there is any)."""
    env = dict(os.environ, **creds())
    p = subprocess.run(["aws", "--endpoint-url", _moto["endpoint"], "--output", "json"] +
                       list(args), capture_output=True, text=True, env=env, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {p.stderr}")
    try:
        return json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        return p.stdout  # commands like "s3 cp" print text


class S3TestCase(VaultTestCase):
    def setUp(self):
        super().setUp()
        self.bucket = "it-%s-%08x" % (self._testMethodName[5:25].replace("_", "-"),
                                      random.getrandbits(32))
        self.state = os.path.join(self.tmp, "state")

    def url(self, extra="", bucket=None):
        return ("s3://%s/vault?endpoint=%s&state_dir=%s%s" %
                (bucket or self.bucket, _moto["endpoint"], self.state, extra))

    def s3(self, url, *args, secret=None, **kw):
        return run(["-r", url] + list(args), env=creds(secret), **kw)

    def s3_ok(self, url, *args, **kw):
        r = self.s3(url, *args, **kw)
        self.assertEqual(r.rc, EXIT_OK, r)
        return r

    def make_src(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(src, "records"))
        with open(os.path.join(src, "records", "trainees.csv"), "w") as f:
            for i in range(2000):
                f.write(f"{i},{MARKER},apprentice {i}\n")
        with open(os.path.join(src, "big.bin"), "wb") as f:
            f.write(random.randbytes(12 << 20))  # several packs, multipart below
        with open(os.path.join(src, "note.txt"), "w") as f:
            f.write(MARKER + "\n")
        return src

    def keys(self):
        out = aws("s3api", "list-objects-v2", "--bucket", self.bucket, "--prefix", "vault/")
        return [o["Key"] for o in (out or {}).get("Contents", [])]


class S3VaultTest(S3TestCase):
    def test_backup_restore_check_with_object_lock_read_back_by_awscli(self):
        url = self.url("&object_lock=governance&retention_days=1&multipart_threshold=5M"
                       "&part_size=5M")
        src = self.make_src()
        self.s3_ok(url, "init", *FAST_KDF)
        self.s3_ok(url, "backup", src)
        snaps = self.s3_ok(url, "--json", "snapshots").json()
        self.assertEqual(len(snaps), 1)
        target = os.path.join(self.tmp, "restore")
        self.s3_ok(url, "restore", "latest", "--target", target)
        self.assertEqual(normalize(tree_manifest(self.restored_root(target, src))),
                         normalize(tree_manifest(src)))
        self.s3_ok(url, "check", "--read-data")

        keys = self.keys()
        self.assertIn("vault/config", keys)
        self.assertTrue(any(k.startswith("vault/data/") for k in keys), keys)
        self.assertTrue(any(k.startswith("vault/snapshots/") for k in keys), keys)

        # Every object is ciphertext: the marker appears in none of them.
        download = os.path.join(self.tmp, "download")
        aws("s3", "cp", "--recursive", f"s3://{self.bucket}/vault", download)
        for dirpath, _, files in os.walk(download):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    self.assertNotIn(MARKER.encode(), f.read(), name)

        # The objects carry the retention (moto has no GetObjectRetention; HeadObject
        # shows the same fields AWS returns there).
        snapshot_key = next(k for k in keys if k.startswith("vault/snapshots/"))
        head = aws("s3api", "head-object", "--bucket", self.bucket, "--key", snapshot_key)
        self.assertEqual(head.get("ObjectLockMode"), "GOVERNANCE", head)
        until = time.mktime(time.strptime(head["ObjectLockRetainUntilDate"][:19],
                                          "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertAlmostEqual(until - time.time(), 86400, delta=3600)
        lock = aws("s3api", "get-object-lock-configuration", "--bucket", self.bucket)
        self.assertEqual(lock["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")
        versioning = aws("s3api", "get-bucket-versioning", "--bucket", self.bucket)
        self.assertEqual(versioning.get("Status"), "Enabled")

        # What awscli downloads is what Custos wrote: the copy opens as a local
        # vault and restores the same tree.
        target2 = os.path.join(self.tmp, "restore-from-copy")
        r = run(["-r", download, "restore", "latest", "--target", target2])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(normalize(tree_manifest(self.restored_root(target2, src))),
                         normalize(tree_manifest(src)))
        # No multipart upload was left behind.
        uploads = aws("s3api", "list-multipart-uploads", "--bucket", self.bucket)
        self.assertFalse((uploads or {}).get("Uploads"), uploads)

    def test_wrong_secret_fails_fast_naming_the_secret(self):
        url = self.url()
        self.s3_ok(url, "init", *FAST_KDF)
        wrong = "WRONGsecretWRONGsecretWRONGsecret0123456"
        started = time.monotonic()
        r = self.s3(url, "snapshots", secret=wrong, timeout=600)
        elapsed = time.monotonic() - started
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("secret access key is wrong", r.err, r)
        self.assertIn("SignatureDoesNotMatch", r.err, r)
        self.assertNotIn(wrong, r.err + r.out)
        self.assertNotIn(_moto["secret"], r.err + r.out)
        self.assertLess(elapsed, 60, "a wrong secret must not be retried")

    def test_missing_bucket_is_no_vault(self):
        # The backend says "the bucket ... does not exist" (s3_moto_test checks
        # that); the vault layer reports a missing config as "no vault at".
        url = self.url(bucket="never-created-" + self.bucket[-8:])
        r = self.s3(url, "snapshots")
        self.assertEqual(r.rc, EXIT_NO_VAULT, r)
        self.assertIn("never-created-", r.err, r)

    def test_init_twice_and_second_prefix_in_same_bucket(self):
        url = self.url()
        self.s3_ok(url, "init", *FAST_KDF)
        other = self.url().replace("/vault?", "/other?")
        self.s3_ok(other, "init", *FAST_KDF)
        src = self.make_src()
        self.s3_ok(other, "backup", src)
        self.assertEqual(len(self.s3_ok(url, "--json", "snapshots").json()), 0)
        self.assertEqual(len(self.s3_ok(other, "--json", "snapshots").json()), 1)


if __name__ == "__main__":
    unittest.main()
