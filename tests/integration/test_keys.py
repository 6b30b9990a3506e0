"""Key management: add (password and key file), list, passwd, remove, and opening the
vault with each kind of secret. The data must stay restorable after every change."""
import json
import os
import random
import shutil
import unittest

from custos_testlib import (EXIT_OK, EXIT_WRONG_PASSWORD, FAST_KDF, PASSWORD, VaultTestCase,
                            tree_manifest)

PW2 = "second password, longer than the first one"
PW3 = "third \u00fcml\u00e4ut password"


class KeyTest(VaultTestCase):
    def setUp(self):
        super().setUp()
        # tearDown does not run when setUp fails; cleanups do.
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(self.src, "d"))
        with open(os.path.join(self.src, "a.txt"), "w") as f:
            f.write("alpha\n")
        with open(os.path.join(self.src, "d", "r.bin"), "wb") as f:
            f.write(random.Random(1).randbytes(300000))
        self.init()
        r = self.ok("--json", "backup", self.src)
        self.snapshot = json.loads(r.out.splitlines()[-1])["snapshot_id"]
        self.restores = 0

    # Helpers ---------------------------------------------------------------
    def with_secret(self, secret):
        """(extra global args, password) for a secret: a str password or a key file path."""
        if isinstance(secret, tuple):  # ("keyfile", path)
            return ["--key-file", secret[1]], None
        return [], secret

    def run_as(self, secret, *args):
        extra, pw = self.with_secret(secret)
        return self.custos(*extra, *args, password=pw)

    def ok_as(self, secret, *args):
        r = self.run_as(secret, *args)
        self.assertEqual(r.rc, EXIT_OK, r)
        return r

    def keys(self, secret=PASSWORD):
        return self.ok_as(secret, "--json", "key", "list").json()

    def current(self, secret):
        cur = [k for k in self.keys(secret) if k["current"]]
        self.assertEqual(len(cur), 1, "exactly one key is marked current")
        return cur[0]

    def assertRestorable(self, secret):
        self.restores += 1
        target = os.path.join(self.tmp, f"restore{self.restores}")
        self.ok_as(secret, "restore", self.snapshot, "--target", target)
        self.assertEqual(tree_manifest(self.restored_root(target, self.src)),
                         tree_manifest(self.src))
        shutil.rmtree(target)

    def assertRefused(self, secret):
        r = self.run_as(secret, "snapshots")
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
        self.assertIn("password", r.err.lower())

    def key_file(self, name, data=None):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(os.urandom(64) if data is None else data)
        return ("keyfile", path)

    def add_password(self, as_secret, new_password, kdf=FAST_KDF):
        args, pw = self.with_secret(as_secret)
        r = self.custos(*args, "--json", "key", "add", *kdf, password=pw,
                        env={"CUSTOS_NEW_PASSWORD": new_password})
        self.assertEqual(r.rc, EXIT_OK, r)
        return r.json()["id"]

    # Tests -----------------------------------------------------------------
    def test_initial_key_list_shape(self):
        keys = self.keys()
        self.assertEqual(len(keys), 1)
        k = keys[0]
        self.assertRegex(k["id"], r"^[0-9a-f]{64}$")
        self.assertIs(k["current"], True)
        self.assertEqual(k["kind"], "passphrase")
        self.assertEqual(k["kdf"]["algorithm"], "argon2id")
        self.assertEqual(k["kdf"]["memory"], int(FAST_KDF[1]))
        self.assertEqual(k["kdf"]["iterations"], int(FAST_KDF[3]))
        for key in ("created", "hostname", "username"):
            self.assertTrue(k[key], key)
        self.assertTrue(os.path.isfile(os.path.join(self.vault, "keys", k["id"])))
        text = self.ok("key", "list").out
        self.assertIn("*" + k["id"][:12], text)

    def test_add_password_key(self):
        new_id = self.add_password(PASSWORD, PW2, ["--kdf-memory", "32768", "--kdf-iterations", "2"])
        keys = self.keys(PASSWORD)
        self.assertEqual(len(keys), 2)
        self.assertEqual(sum(k["current"] for k in keys), 1)
        self.assertNotEqual(self.current(PASSWORD)["id"], new_id)
        self.assertEqual(self.current(PW2)["id"], new_id)
        added = next(k for k in keys if k["id"] == new_id)
        self.assertEqual(added["kind"], "passphrase")
        self.assertEqual((added["kdf"]["memory"], added["kdf"]["iterations"]), (32768, 2))
        self.assertRestorable(PASSWORD)
        self.assertRestorable(PW2)
        self.assertRefused(PW3)
        # Both keys open the same vault: a backup with one is seen with the other.
        r = self.ok_as(PW2, "--json", "backup", self.src)
        sid = json.loads(r.out.splitlines()[-1])["snapshot_id"]
        self.assertIn(sid, [s["id"] for s in self.ok_as(PASSWORD, "--json", "snapshots").json()])
        self.ok_as(PW2, "check", "--read-data")

    def test_add_password_key_from_file(self):
        pw_file = os.path.join(self.tmp, "new-pw")
        with open(pw_file, "w") as f:
            f.write(PW3 + "\n")
        r = self.ok("--json", "key", "add", *FAST_KDF, "--new-password-file", pw_file)
        new_id = r.json()["id"]
        self.assertEqual(self.current(PW3)["id"], new_id)  # the newline is not part of it
        self.assertRestorable(PW3)

    def test_add_key_file(self):
        kf = self.key_file("vault.key")
        r = self.ok("--json", "key", "add", "--new-key-file", kf[1])
        new_id = r.json()["id"]
        keys = self.keys()
        self.assertEqual(len(keys), 2)
        added = next(k for k in keys if k["id"] == new_id)
        self.assertEqual(added["kind"], "keyfile")
        self.assertEqual(self.current(kf)["id"], new_id)
        self.assertRestorable(kf)
        self.assertRestorable(PASSWORD)
        # The key file through the environment.
        r = self.custos("--json", "snapshots", password=None, env={"CUSTOS_KEY_FILE": kf[1]})
        self.assertEqual(r.rc, EXIT_OK, r)
        # Another key file of the right size is simply wrong.
        other = self.key_file("other.key")
        r = self.run_as(other, "snapshots")
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
        # The key file is raw bytes: its content as a password does not open the vault,
        # and a trailing newline is part of a key file.
        with open(kf[1], "rb") as f:
            content = f.read()
        self.assertRefused(self.key_file("with-newline.key", content + b"\n"))
        self.assertRefused(self.key_file("truncated.key", content[:-1]))

    def test_short_key_file_refused(self):
        short = self.key_file("short.key", os.urandom(31))
        r = self.custos("key", "add", "--new-key-file", short[1])
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("32", r.err)
        self.assertEqual(len(self.keys()), 1)
        r = self.run_as(short, "snapshots")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        # Exactly 32 bytes is enough.
        ok = self.key_file("ok.key", os.urandom(32))
        self.ok("key", "add", "--new-key-file", ok[1])
        self.assertRestorable(ok)
        # With a key-file key in the vault, a short key file is refused for what it is.
        r = self.run_as(short, "snapshots")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("32", r.err)
        r = self.run_as(self.key_file("empty.key", b""), "snapshots")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        # passwd to a short key file is refused too, and the old key keeps working.
        r = self.custos("key", "passwd", "--new-key-file", short[1])
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("32", r.err)
        self.assertRestorable(PASSWORD)

    def test_passwd_changes_the_key_in_use(self):
        old_id = self.current(PASSWORD)["id"]
        r = self.custos("--json", "key", "passwd", *FAST_KDF, env={"CUSTOS_NEW_PASSWORD": PW2})
        self.assertEqual(r.rc, EXIT_OK, r)
        j = r.json()
        self.assertEqual(j["replaced"], old_id)
        keys = self.keys(PW2)
        self.assertEqual([k["id"] for k in keys], [j["id"]])
        self.assertTrue(keys[0]["current"])
        self.assertFalse(os.path.exists(os.path.join(self.vault, "keys", old_id)))
        self.assertRefused(PASSWORD)
        self.assertRestorable(PW2)
        # To a key file and back to a password.
        kf = self.key_file("k")
        r = self.custos("key", "passwd", "--new-key-file", kf[1], password=PW2)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertRefused(PW2)
        self.assertEqual(self.current(kf)["kind"], "keyfile")
        self.assertRestorable(kf)
        r = self.custos("--key-file", kf[1], "key", "passwd", *FAST_KDF, password=None,
                        env={"CUSTOS_NEW_PASSWORD": PW3})
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertRefused(kf)
        self.assertRestorable(PW3)
        self.assertEqual(len(self.keys(PW3)), 1)
        self.ok_as(PW3, "check", "--read-data")

    def test_passwd_keeps_other_keys(self):
        other = self.add_password(PASSWORD, PW2)
        r = self.custos("key", "passwd", *FAST_KDF, env={"CUSTOS_NEW_PASSWORD": PW3})
        self.assertEqual(r.rc, EXIT_OK, r)
        ids = {k["id"] for k in self.keys(PW2)}
        self.assertEqual(len(ids), 2)
        self.assertIn(other, ids)
        self.assertRefused(PASSWORD)
        self.assertRestorable(PW2)
        self.assertRestorable(PW3)

    def test_remove_non_current_key(self):
        first = self.current(PASSWORD)["id"]
        second = self.add_password(PASSWORD, PW2)
        kf = self.key_file("k")
        third = self.ok("--json", "key", "add", "--new-key-file", kf[1]).json()["id"]
        self.assertEqual(len(self.keys()), 3)
        # Remove by a unique prefix.
        prefix = next(second[:n] for n in range(4, 65)
                      if not first.startswith(second[:n]) and not third.startswith(second[:n]))
        r = self.ok("key", "remove", prefix)
        self.assertIn(second[:12], r.out)
        self.assertEqual({k["id"] for k in self.keys()}, {first, third})
        self.assertRefused(PW2)
        self.assertRestorable(PASSWORD)
        # Remove by full id, using the key file to open the vault, even the first key.
        r = self.run_as(kf, "--json", "key", "remove", first)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(r.json()["removed"], first)
        self.assertEqual([k["id"] for k in self.keys(kf)], [third])
        self.assertRefused(PASSWORD)
        self.assertRestorable(kf)
        # Unknown ids are errors and change nothing.
        r = self.run_as(kf, "key", "remove", "ffff" if not third.startswith("ffff") else "0000")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertEqual(len(self.keys(kf)), 1)

    def test_remove_last_key_refused(self):
        only = self.current(PASSWORD)["id"]
        r = self.custos("key", "remove", only)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("last key", r.err)
        self.assertTrue(os.path.isfile(os.path.join(self.vault, "keys", only)))
        self.assertRestorable(PASSWORD)

    def test_remove_current_key_refused(self):
        first = self.current(PASSWORD)["id"]
        second = self.add_password(PASSWORD, PW2)
        r = self.custos("key", "remove", first)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("in use", r.err)
        self.assertEqual(len(self.keys()), 2)
        r = self.custos("key", "remove", second, password=PW2)
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("in use", r.err)
        self.assertEqual(len(self.keys()), 2)
        self.assertRestorable(PASSWORD)
        self.assertRestorable(PW2)

    def test_key_commands_need_the_right_secret(self):
        r = self.custos("key", "add", password="wrong", env={"CUSTOS_NEW_PASSWORD": PW2})
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
        r = self.custos("key", "list", password="wrong")
        self.assertEqual(r.rc, EXIT_WRONG_PASSWORD, r)
        self.assertEqual(len(self.keys()), 1)
        self.assertRefused(PW2)
        # No new secret given and no terminal: refused, nothing added.
        r = self.custos("key", "add")
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertEqual(len(self.keys()), 1)


if __name__ == "__main__":
    unittest.main()
