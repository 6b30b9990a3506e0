"""Shared helpers for Custos integration tests (they drive the real binary).

The binary comes from CUSTOS_BIN (set by ctest). Each test gets a fresh
temporary directory. Vaults use cheap Argon2id parameters so tests stay fast.
"""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

CUSTOS = os.environ.get("CUSTOS_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "release", "src", "cli", "custos")
PASSWORD = "correct horse battery staple"
FAST_KDF = ["--kdf-memory", "65536", "--kdf-iterations", "1"]

# Exit codes documented in the README.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PARTIAL, EXIT_PROBLEMS = 0, 1, 2, 3, 4
EXIT_NO_VAULT, EXIT_LOCKED, EXIT_WRONG_PASSWORD = 10, 11, 12


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc}\nstdout={self.out[-3000:]}\nstderr={self.err[-3000:]}"


def run(args, env=None, password=PASSWORD, timeout=900, input=None):
    """Runs custos with args; returns Result. password=None leaves it unset."""
    e = dict(os.environ)
    e.pop("CUSTOS_PASSWORD", None)
    e.pop("CUSTOS_REPO", None)
    if password is not None:
        e["CUSTOS_PASSWORD"] = password
    if env:
        e.update(env)
    p = subprocess.run([CUSTOS] + list(args), capture_output=True, text=True, env=e,
                       timeout=timeout, input=input, stdin=None if input else subprocess.DEVNULL)
    return Result(p)


def tree_manifest(root, content=True):
    """path -> (type, mode, size, mtime_ns, sha256|link target) for every entry below root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
            elif stat.S_ISREG(st.st_mode):
                digest = file_sha256(p) if content else None
                out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns, digest)
            else:
                out[rel] = ("other", stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return out


def normalize(manifest):
    """A tree_manifest without times: type, mode, size and content (or link target)."""
    out = {}
    for path, e in manifest.items():
        if e[0] == "file":
            out[path] = ("file", e[1], e[2], e[4])
        elif e[0] == "dir":
            out[path] = ("dir", e[1])
        else:
            out[path] = e
    return out


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


class VaultTestCase(unittest.TestCase):
    """A test with a fresh temp dir (self.tmp) and a helper to make a vault."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="custos-it-")
        self.vault = os.path.join(self.tmp, "vault")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def custos(self, *args, **kw):
        return run(["-r", self.vault] + list(args), **kw)

    def ok(self, *args, **kw):
        r = self.custos(*args, **kw)
        self.assertEqual(r.rc, EXIT_OK, r)
        return r

    def init(self, *extra):
        return self.ok("init", *FAST_KDF, *extra)

    def restored_root(self, target, source):
        """Where a restore of `source` lands under `target` (absolute paths kept)."""
        return os.path.join(target, os.path.abspath(source).lstrip("/"))
