"""Corruption tests: damage every object of a vault and check that nothing slips by.

A pristine vault with three snapshots (several packs: --pack-size 1) is built
once per class. Each case copies it, damages one object (a flipped byte at a
chosen position, a truncation, a deletion) and asserts:
  * `check --read-data` exits EXIT_PROBLEMS and an `error:` line names the
    damaged object (also in --json mode when the vault still opens);
  * for packs, indexes and snapshots: every restore (latest and each snapshot
    by id) either succeeds byte-identical to the source at backup time, or
    fails naming the damaged object; in both cases every file that is present
    in the target has exactly the source content and mode.
"""
import hashlib
import json
import os
import random
import shutil
import struct
import tempfile
import time
import unittest

from custos_testlib import (normalize, EXIT_OK, EXIT_PROBLEMS, FAST_KDF, PASSWORD, VaultTestCase, run,
                            tree_manifest)

PACK_PREAMBLE = 4 + 1 + 16  # magic, version, salt
OTHER_PASSWORD = "a second, different password"



def flip(path, pos):
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        assert len(b) == 1, (path, pos)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0x01]))


def truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


def vault_objects(vault):
    """kind -> sorted list of relative object paths."""
    out = {"config": ["config"], "keys": [], "data": [], "index": [], "snapshots": []}
    for kind in ("keys", "index", "snapshots", "data"):
        base = os.path.join(vault, kind)
        for dirpath, _, files in os.walk(base):
            for f in files:
                if f.startswith(".tmp-"):
                    continue
                out[kind].append(os.path.relpath(os.path.join(dirpath, f), vault))
    for k in out:
        out[k].sort()
    return out


def pack_layout(path):
    """(size, blobs_end) of a pack file: blobs occupy [PACK_PREAMBLE, blobs_end)."""
    with open(path, "rb") as f:
        data = f.read()
    hlen = struct.unpack("<I", data[-4:])[0]
    return len(data), len(data) - 4 - hlen


class _Pristine:
    """The pristine vault, its source and the manifests: built once per module."""


_PRISTINE = None


def tearDownModule():
    if _PRISTINE is not None:
        shutil.rmtree(_PRISTINE.base, ignore_errors=True)


def _build_pristine():
    global _PRISTINE
    if _PRISTINE is None:
        cls = _Pristine()
        try:
            _build(cls)
        except BaseException:
            if hasattr(cls, "base"):
                shutil.rmtree(cls.base, ignore_errors=True)
            raise
        _PRISTINE = cls
    return _PRISTINE


def _build(cls):
    """Three snapshots of a changing tree in a vault with 1 MiB packs."""
    t0 = time.monotonic()
    cls.base = tempfile.mkdtemp(prefix="custos-corrupt-")
    cls.src = os.path.join(cls.base, "src")
    cls.pristine = os.path.join(cls.base, "vault")
    seed = int(os.environ.get("CUSTOS_TEST_SEED", "0")) or random.randrange(1, 1 << 30)
    print(f"\n[corruption] seed={seed}", flush=True)
    rnd = random.Random(seed)
    os.makedirs(os.path.join(cls.src, "sub", "deep"))
    with open(os.path.join(cls.src, "random.bin"), "wb") as f:
        f.write(rnd.randbytes(3 * 1024 * 1024))
    with open(os.path.join(cls.src, "text.log"), "w") as f:
        for i in range(60000):
            f.write(f"{i:08d} event={rnd.choice(['open', 'close', 'read', 'write'])} ok\n")
    with open(os.path.join(cls.src, "small.txt"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(cls.src, "sub", "mid.bin"), "wb") as f:
        f.write(rnd.randbytes(200_000))
    with open(os.path.join(cls.src, "sub", "deep", "note.md"), "w") as f:
        f.write("# note\n" * 50)
    os.chmod(os.path.join(cls.src, "sub", "deep", "note.md"), 0o640)
    os.symlink("small.txt", os.path.join(cls.src, "link"))
    os.link(os.path.join(cls.src, "sub", "mid.bin"), os.path.join(cls.src, "hard.bin"))
    with open(os.path.join(cls.src, "sparse.img"), "wb") as f:  # data, hole, data
        f.write(rnd.randbytes(70_000))
        f.seek(2_000_000)
        f.write(rnd.randbytes(5_000))
    os.makedirs(os.path.join(cls.src, "empty"))

    r = run(["-r", cls.pristine, "init", *FAST_KDF, "--pack-size", "1"])
    assert r.rc == EXIT_OK, r
    cls.manifests = {}  # snapshot id -> normalized source manifest at backup time
    cls.order = []  # snapshot ids, oldest first

    def backup():
        r = run(["-r", cls.pristine, "--json", "backup", cls.src])
        assert r.rc == EXIT_OK, r
        sid = json.loads(r.out.strip().splitlines()[-1])["snapshot_id"]
        cls.manifests[sid] = normalize(tree_manifest(cls.src, content=True))
        cls.order.append(sid)
        time.sleep(0.01)  # distinct snapshot times

    backup()
    # Change some files between snapshots.
    with open(os.path.join(cls.src, "small.txt"), "a") as f:
        f.write("second line\n")
    with open(os.path.join(cls.src, "sub", "new.bin"), "wb") as f:
        f.write(rnd.randbytes(700_000))
    backup()
    os.remove(os.path.join(cls.src, "sub", "mid.bin"))
    with open(os.path.join(cls.src, "random.bin"), "r+b") as f:
        f.seek(1_500_000)
        f.write(rnd.randbytes(100_000))
    with open(os.path.join(cls.src, "text.log"), "a") as f:
        f.write("appended\n" * 1000)
    backup()

    cls.objects = vault_objects(cls.pristine)
    assert len(cls.objects["data"]) >= 4, cls.objects
    assert len(cls.objects["snapshots"]) == 3, cls.objects
    assert len(cls.objects["index"]) >= 1 and len(cls.objects["keys"]) == 1, cls.objects
    print(f"[corruption] pristine vault: {len(cls.objects['data'])} packs, "
          f"{len(cls.objects['index'])} indexes, {len(cls.objects['snapshots'])} snapshots "
          f"(built in {time.monotonic() - t0:.1f}s)", flush=True)


class CorruptionTestBase(VaultTestCase):
    """Each case works on a copy of the pristine vault."""

    @classmethod
    def setUpClass(cls):
        p = _build_pristine()
        for name in ("base", "src", "pristine", "manifests", "order", "objects"):
            setattr(cls, name, getattr(p, name))

    # ---- helpers -------------------------------------------------------------

    def fresh_copy(self, label):
        self.case_no = getattr(self, "case_no", 0) + 1
        d = os.path.join(self.tmp, f"case{self.case_no}")
        os.makedirs(d)
        vault = os.path.join(d, "vault")
        shutil.copytree(self.pristine, vault)
        return d, vault

    @staticmethod
    def needle(obj):
        """What an error message must contain to name the object."""
        return "config" if obj == "config" else os.path.basename(obj)

    def assert_names(self, result, needle, what):
        lines = [l for l in result.err.splitlines() if l.startswith("error:")]
        self.assertTrue(any(needle in l for l in lines),
                        f"{what}: no 'error:' line on stderr names {needle}\n{result}")

    def assert_check_problem(self, vault, needle, opens=True, password=PASSWORD, json_too=True):
        r = run(["-r", vault, "check", "--read-data"], password=password)
        self.assertEqual(r.rc, EXIT_PROBLEMS, f"check --read-data must report the damage\n{r}")
        self.assert_names(r, needle, "check --read-data")
        self.assertNotIn("no errors were found", r.out)
        if opens and json_too:
            r = run(["-r", vault, "--json", "check", "--read-data"], password=password)
            self.assertEqual(r.rc, EXIT_PROBLEMS, r)
            j = r.json()
            self.assertGreater(j["error_count"], 0, r)
            self.assertEqual(j["error_count"], len(j["errors"]), r)
            self.assertTrue(any(needle in e for e in j["errors"]),
                            f"check --json errors do not name {needle}\n{r}")
        return r

    def assert_restores_safe(self, case_dir, vault, needle, must_fail_some=False,
                             must_succeed=(), password=PASSWORD, latest=False):
        """Restores every snapshot by id (and 'latest' if asked: it differs from the
        newest id only in that it lists all snapshots); returns how many failed.
        needle: a string, or a tuple of which the error output must name one."""
        needles = needle if isinstance(needle, tuple) else (needle,)
        failed = 0
        refs = (["latest"] if latest else []) + list(self.order)
        for i, ref in enumerate(refs):
            sid = self.order[-1] if ref == "latest" else ref
            expected = self.manifests[sid]
            target = os.path.join(case_dir, f"restore{i}")
            r = run(["-r", vault, "restore", ref, "--target", target], password=password)
            root = self.restored_root(target, self.src)
            got = normalize(tree_manifest(root, content=True)) if os.path.isdir(root) else {}
            if r.rc == EXIT_OK:
                self.assertEqual(got, expected,
                                 f"restore {ref} succeeded but differs from the source\n{r}")
            else:
                failed += 1
                self.assertTrue(any(n in r.out + r.err for n in needles),
                                f"restore {ref} failed without naming {needle}\n{r}")
                for path, entry in got.items():
                    self.assertIn(path, expected, f"restore {ref}: unexpected entry {path}")
                    if entry[0] == "file":
                        self.assertEqual(entry, expected[path],
                                         f"restore {ref}: {path} was written with wrong "
                                         f"content or mode\n{r}")
            if ref in must_succeed:
                self.assertEqual(r.rc, EXIT_OK,
                                 f"restore {ref} does not need the damaged object\n{r}")
            shutil.rmtree(target, ignore_errors=True)
        if must_fail_some:
            self.assertGreater(failed, 0, f"no restore noticed the damage to {needle}")
        return failed


class PristineTest(CorruptionTestBase):
    def test_pristine_vault_is_clean(self):
        d, vault = self.fresh_copy("pristine")
        r = run(["-r", vault, "--json", "check", "--read-data"])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(r.json()["error_count"], 0, r)
        self.assertEqual(r.json()["packs_read"], len(self.objects["data"]), r)
        self.assertEqual(r.json()["snapshots"], 3, r)
        self.assertEqual(self.assert_restores_safe(d, vault, "<none>"), 0)


class FlipTest(CorruptionTestBase):
    def test_flip_config(self):
        size = os.path.getsize(os.path.join(self.pristine, "config"))
        for pos in sorted({0, 5, 10, size // 2, size - 1}):
            with self.subTest(obj="config", pos=pos):
                d, vault = self.fresh_copy("config")
                flip(os.path.join(vault, "config"), pos)
                self.assert_check_problem(vault, "config", opens=False)
                r = run(["-r", vault, "snapshots", "--json"])
                self.assertNotEqual(r.rc, EXIT_OK, r)
                self.assertIn("config", r.err, r)

    def test_flip_only_key(self):
        (key,) = self.objects["keys"]
        size = os.path.getsize(os.path.join(self.pristine, key))
        for pos in sorted({0, size // 2, size - 1}):
            with self.subTest(obj=key, pos=pos):
                d, vault = self.fresh_copy("key")
                flip(os.path.join(vault, key), pos)
                self.assert_check_problem(vault, key, opens=False)
                r = run(["-r", vault, "snapshots", "--json"])
                self.assertNotEqual(r.rc, EXIT_OK, r)
                self.assertIn(os.path.basename(key), r.err, r)

    def test_flip_packs(self):
        for pack in self.objects["data"]:
            size, blobs_end = pack_layout(os.path.join(self.pristine, pack))
            self.assertGreater(blobs_end, PACK_PREAMBLE)
            in_blob = PACK_PREAMBLE + (blobs_end - PACK_PREAMBLE) // 3
            in_header = size - 4 - 8  # inside the sealed header (its tag)
            positions = sorted({0, size // 2, size - 1, in_blob, in_header})
            for n, pos in enumerate(positions):
                with self.subTest(obj=pack, pos=pos):
                    d, vault = self.fresh_copy("pack")
                    flip(os.path.join(vault, pack), pos)
                    self.assert_check_problem(vault, self.needle(pack), json_too=n == 0)
                    # Every blob of the pristine vault is used by some snapshot, and
                    # restore authenticates each blob it reads: a flip inside the blob
                    # region must make at least one restore fail.
                    self.assert_restores_safe(
                        d, vault, self.needle(pack),
                        must_fail_some=PACK_PREAMBLE <= pos < blobs_end)

    def test_flip_indexes(self):
        for idx in self.objects["index"]:
            size = os.path.getsize(os.path.join(self.pristine, idx))
            for n, pos in enumerate(sorted({0, 5, size // 2, size - 1})):
                with self.subTest(obj=idx, pos=pos):
                    d, vault = self.fresh_copy("index")
                    flip(os.path.join(vault, idx), pos)
                    self.assert_check_problem(vault, self.needle(idx), json_too=n == 0)
                    self.assert_restores_safe(d, vault, self.needle(idx))

    def test_flip_snapshots(self):
        for snap in self.objects["snapshots"]:
            sid = os.path.basename(snap)
            size = os.path.getsize(os.path.join(self.pristine, snap))
            for pos in sorted({0, size // 2, size - 1}):
                with self.subTest(obj=snap, pos=pos):
                    d, vault = self.fresh_copy("snapshot")
                    flip(os.path.join(vault, snap), pos)
                    self.assert_check_problem(vault, sid)
                    others = [s for s in self.order if s != sid]
                    failed = self.assert_restores_safe(d, vault, sid, must_succeed=others,
                                                       latest=True)
                    # The damaged snapshot itself cannot be restored.
                    self.assertGreater(failed, 0)


class TruncateTest(CorruptionTestBase):
    def _truncate_all(self, fraction):
        for kind in ("config", "keys", "index", "snapshots", "data"):
            objs = self.objects[kind]
            if kind == "data":  # the smallest, the largest and a middle-sized pack
                by_size = sorted(objs, key=lambda o: os.path.getsize(os.path.join(self.pristine, o)))
                objs = sorted({by_size[0], by_size[len(by_size) // 2], by_size[-1]})
            for obj in objs:
                full = os.path.getsize(os.path.join(self.pristine, obj))
                new_size = int(full * fraction)
                with self.subTest(obj=obj, size=new_size):
                    d, vault = self.fresh_copy("trunc")
                    truncate(os.path.join(vault, obj), new_size)
                    needle = self.needle(obj)
                    opens = kind not in ("config", "keys")
                    self.assert_check_problem(vault, needle, opens=opens)
                    if kind == "data":
                        # Even without reading data, check sees the pack is too short.
                        r = run(["-r", vault, "check"])
                        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
                        self.assert_names(r, needle, "check")
                        _, blobs_end = pack_layout(os.path.join(self.pristine, obj))
                        self.assert_restores_safe(d, vault, needle,
                                                  must_fail_some=new_size < blobs_end)
                    elif kind == "snapshots":
                        others = [s for s in self.order if s != needle]
                        self.assert_restores_safe(d, vault, needle, must_succeed=others,
                                                  latest=True)
                    elif kind == "index":
                        self.assert_restores_safe(d, vault, needle)

    def test_truncate_half(self):
        self._truncate_all(0.5)

    def test_truncate_zero(self):
        self._truncate_all(0.0)


class MissingTest(CorruptionTestBase):
    def test_missing_pack(self):
        for pack in self.objects["data"]:
            with self.subTest(obj=pack):
                d, vault = self.fresh_copy("missing")
                os.remove(os.path.join(vault, pack))
                needle = self.needle(pack)
                self.assert_check_problem(vault, needle)
                r = run(["-r", vault, "check"])
                self.assertEqual(r.rc, EXIT_PROBLEMS, r)
                self.assert_names(r, needle, "check")
                self.assert_restores_safe(d, vault, needle, must_fail_some=True)


class RehashedTest(CorruptionTestBase):
    """A damaged object renamed to the SHA-256 of its new bytes: the name check
    passes, so decryption/authentication must catch it."""

    def _rehash(self, vault, obj, pos):
        p = os.path.join(vault, obj)
        flip(p, pos)
        with open(p, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        new = os.path.join(os.path.dirname(p), h)
        os.rename(p, new)
        return os.path.relpath(new, vault)

    def test_rehashed_index_and_snapshot(self):
        for kind in ("index", "snapshots"):
            for obj in self.objects[kind]:
                size = os.path.getsize(os.path.join(self.pristine, obj))
                for pos in sorted({30, size // 2}):
                    with self.subTest(obj=obj, pos=pos):
                        d, vault = self.fresh_copy("rehash")
                        new = self._rehash(vault, obj, pos)
                        needle = os.path.basename(new)
                        self.assert_check_problem(vault, needle)
                        old = os.path.basename(obj)
                        must = [s for s in self.order if s != old]
                        # Restoring the renamed snapshot by its old id fails naming that id.
                        self.assert_restores_safe(d, vault, (needle, old),
                                                  must_succeed=must if kind == "snapshots" else (),
                                                  latest=kind == "snapshots")


class TwoKeysTest(CorruptionTestBase):
    def test_one_of_two_keys_damaged(self):
        # A second key (another password) on a copy of the pristine vault.
        base = os.path.join(self.tmp, "twokeys")
        shutil.copytree(self.pristine, base)
        r = run(["-r", base, "key", "add", *FAST_KDF], env={"CUSTOS_NEW_PASSWORD": OTHER_PASSWORD})
        self.assertEqual(r.rc, EXIT_OK, r)
        keys = vault_objects(base)["keys"]
        self.assertEqual(len(keys), 2, keys)
        (orig,) = self.objects["keys"]
        (added,) = [k for k in keys if k != orig]
        for damaged, good_pw, bad_pw in ((orig, OTHER_PASSWORD, PASSWORD),
                                         (added, PASSWORD, OTHER_PASSWORD)):
            size = os.path.getsize(os.path.join(base, damaged))
            for how in ("flip-first", "flip-middle", "flip-last", "truncate"):
                with self.subTest(damaged=damaged, how=how):
                    self.case_no = getattr(self, "case_no", 0) + 1
                    d = os.path.join(self.tmp, f"case{self.case_no}")
                    vault = os.path.join(d, "vault")
                    shutil.copytree(base, vault)
                    p = os.path.join(vault, damaged)
                    if how == "truncate":
                        truncate(p, size // 2)
                    else:
                        flip(p, {"flip-first": 0, "flip-middle": size // 2,
                                 "flip-last": size - 1}[how])
                    # The other key still opens the vault.
                    r = run(["-r", vault, "--json", "snapshots"], password=good_pw)
                    self.assertEqual(r.rc, EXIT_OK, r)
                    self.assertEqual(sorted(s["id"] for s in r.json()), sorted(self.order), r)
                    self.assert_check_problem(vault, self.needle(damaged), password=good_pw)
                    self.assertEqual(self.assert_restores_safe(d, vault, "<none>",
                                                               password=good_pw), 0)
                    # The damaged key's password opens nothing, and the error says why.
                    r = run(["-r", vault, "snapshots"], password=bad_pw)
                    self.assertNotEqual(r.rc, EXIT_OK, r)
                    self.assertIn(self.needle(damaged), r.err, r)
                    r = run(["-r", vault, "check"], password=bad_pw)
                    self.assertEqual(r.rc, EXIT_PROBLEMS, r)
                    self.assert_names(r, self.needle(damaged), "check with the damaged key")


if __name__ == "__main__":
    unittest.main()
