"""`custos audit key / proof / check-proof / log` on a data directory written by
a real server: the offline path an auditor takes with the server stopped.

Each answer is checked against the server's own API (same key, same leaf
bytes) and against an independent RFC 6962 computation, and a proof must
stop verifying when the leaf, the proof or the key is wrong."""
import base64
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import unittest

from custos_testlib import EXIT_OK, EXIT_PROBLEMS, run
from test_server import Fixture, Server, rfc6962_leaf, verify_inclusion


class AuditCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="custos-audit-cli-")
        cls.data = os.path.join(cls.tmp, "data")
        srv = Server(cls.data)
        try:
            fx = Fixture(srv)
            cls.trainee = fx.trainee
            srv.json("PATCH", "/api/v1/trainees/" + fx.trainee, {"family_name": "Changed"},
                     headers={"If-Match": '"1"'}, expect=200)
            srv.json("POST", "/api/v1/audit/checkpoint", expect=200)
            _, hist = srv.json("GET", "/api/v1/trainees/%s/history" % fx.trainee, expect=200)
            cls.seqs = [e["seq"] for e in hist["entries"]]
            cls.api_leaves = {}
            cls.api_entries = {}
            for seq in cls.seqs:
                _, e = srv.json("GET", "/api/v1/audit/entries/%d" % seq, expect=200)
                cls.api_leaves[seq] = base64.b64decode(e["leaf"])
                cls.api_entries[seq] = e
            _, _, key = srv.request("GET", "/api/v1/audit/key")
            cls.api_key = key.decode().strip()
        finally:
            srv.stop()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_key_is_the_servers(self):
        r = run(["audit", "key", "--data", self.data])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertEqual(r.out.strip(), self.api_key)
        r = run(["--json", "audit", "key", "--data", self.data])
        self.assertEqual(r.json()["key"], self.api_key)

    def test_proof_and_leaf_check_offline_and_independently(self):
        seq = self.seqs[-1]
        proof, leaf = self.path("e.tlog-proof"), self.path("e.leaf")
        r = run(["audit", "proof", "--data", self.data, "--seq", str(seq), "-o", proof,
                 "--leaf-output", leaf])
        self.assertEqual(r.rc, EXIT_OK, r)
        with open(leaf, "rb") as f:
            leaf_bytes = f.read()
        self.assertEqual(leaf_bytes, self.api_leaves[seq])
        with open(proof) as f:
            text = f.read()
        # c2sp.org/tlog-proof: header, index, hashes, blank line, checkpoint.
        lines = text.split("\n")
        self.assertEqual(lines[0], "c2sp.org/tlog-proof@v1")
        index = int(lines[1].split()[1])
        self.assertEqual(index, seq - 1)
        hashes = []
        i = 2
        while lines[i]:
            hashes.append(base64.b64decode(lines[i]))
            i += 1
        origin, size, root = lines[i + 1], int(lines[i + 2]), base64.b64decode(lines[i + 3])
        self.assertTrue(self.api_key.startswith(origin + "+"))
        self.assertTrue(verify_inclusion(index, size, rfc6962_leaf(leaf_bytes), hashes, root))

        key = run(["audit", "key", "--data", self.data]).out.strip()
        ok = run(["audit", "check-proof", proof, "--key", key, "--leaf-file", leaf])
        self.assertEqual(ok.rc, EXIT_OK, ok)
        self.assertIn("entry %d" % seq, ok.out)
        b64 = base64.b64encode(leaf_bytes).decode()
        ok = run(["--json", "audit", "check-proof", proof, "--key", key, "--leaf-base64", b64])
        self.assertEqual(ok.rc, EXIT_OK, ok)
        self.assertEqual(ok.json()["seq"], seq)

        # A flipped bit in the leaf.
        bad = bytearray(leaf_bytes)
        bad[len(bad) // 2] ^= 0x01
        r = run(["audit", "check-proof", proof, "--key", key,
                 "--leaf-base64", base64.b64encode(bytes(bad)).decode()])
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertIn("does not verify", r.err)
        # Another entry's leaf.
        other = base64.b64encode(self.api_leaves[self.seqs[0]]).decode()
        r = run(["audit", "check-proof", proof, "--key", key, "--leaf-base64", other])
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        # A hash of the proof replaced.
        forged = list(lines)
        forged[2] = base64.b64encode(bytes(32)).decode()
        with open(self.path("forged.tlog-proof"), "w") as f:
            f.write("\n".join(forged))
        r = run(["audit", "check-proof", self.path("forged.tlog-proof"), "--key", key,
                 "--leaf-file", leaf])
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        # Another log's key (same name, different public key).
        name, keyhash, pub = key.split("+", 2)
        raw = bytearray(base64.b64decode(pub))
        raw[-1] ^= 0x01
        wrong = "+".join([name, keyhash, base64.b64encode(bytes(raw)).decode()])
        r = run(["audit", "check-proof", proof, "--key", wrong, "--leaf-file", leaf])
        self.assertNotEqual(r.rc, EXIT_OK, r)

    def test_leaves_rebuild_from_the_documented_layout(self):
        # docs/audit-log.md section 1, rebuilt from the decoded fields alone,
        # and the commitment of section 2 from the payload's salt and after.
        events = {"create": 1, "update": 2, "delete": 3, "access": 4, "import": 5,
                  "erase": 6, "export": 7, "restore-test": 8}
        for seq, e in self.api_entries.items():
            f = e["fields"]
            text = lambda s: bytes([len(s)]) + s.encode("ascii")
            leaf = (bytes([f["format"]]) + f["seq"].to_bytes(8, "big")
                    + f["time_micros"].to_bytes(8, "big") + bytes([events[f["event"]]])
                    + text(f["entity"]) + text(f["record_id"])
                    + f["record_version"].to_bytes(8, "big") + text(f["actor_role"])
                    + bytes.fromhex(f["actor"]) + bytes.fromhex(f["subject"])
                    + bytes.fromhex(f["commitment"]) + f["prev_seq"].to_bytes(8, "big")
                    + bytes.fromhex(f["prev_leaf_hash"]))
            self.assertEqual(leaf, self.api_leaves[seq], "seq %d" % seq)
            self.assertEqual(len(leaf), 133 + len(f["entity"]) + len(f["record_id"])
                             + len(f["actor_role"]))
            p = e["payload"]
            after = b"" if p["after"] is None else json.dumps(
                p["after"], sort_keys=True, separators=(",", ":"),
                ensure_ascii=False).encode()
            self.assertEqual(hashlib.sha256(base64.b64decode(p["salt"]) + after).hexdigest(),
                             f["commitment"], "seq %d" % seq)

    def test_proof_for_an_entry_that_does_not_exist(self):
        r = run(["audit", "proof", "--data", self.data, "--seq", "999999"])
        self.assertNotEqual(r.rc, EXIT_OK, r)
        self.assertIn("999999", r.err)

    def test_log_of_a_record_and_of_a_trainee(self):
        r = run(["--json", "audit", "log", "--data", self.data, "--record",
                 "trainee/" + self.trainee])
        self.assertEqual(r.rc, EXIT_OK, r)
        entries = r.json()
        # The API reads above were journaled as accesses to the record.
        changes = [e for e in entries if e["event"] != "access"]
        self.assertEqual([e["event"] for e in changes], ["create", "update"])
        self.assertGreater(len(entries), len(changes))
        for e in entries:
            if e["seq"] in self.api_leaves:
                self.assertEqual(base64.b64decode(e["leaf"]), self.api_leaves[e["seq"]])
        self.assertEqual(changes[-1]["after"]["family_name"], "Changed")
        text = run(["audit", "log", "--data", self.data, "--record", "trainee/" + self.trainee])
        self.assertEqual(text.rc, EXIT_OK, text)
        self.assertIn("update", text.out)
        self.assertIn(" v2", text.out)
        # Each read of the record's history was journaled as an access.
        again = run(["--json", "audit", "log", "--data", self.data, "--record",
                     "trainee/" + self.trainee]).json()
        self.assertEqual(len(again), len(entries) + 2)
        self.assertEqual(again[-1]["event"], "access")
        self.assertEqual(again[-1]["reason"], "cli audit log")
        # A trainee's whole file; reading it is journaled as an access.
        before = run(["--json", "audit", "log", "--data", self.data, "--trainee", self.trainee])
        self.assertEqual(before.rc, EXIT_OK, before)
        after = run(["--json", "audit", "log", "--data", self.data, "--trainee", self.trainee])
        self.assertEqual(len(after.json()), len(before.json()) + 1)
        self.assertEqual(after.json()[-1]["event"], "access")
        r = run(["audit", "log", "--data", self.data, "--record", "no-slash"])
        self.assertNotEqual(r.rc, EXIT_OK)
        r = run(["audit", "log", "--data", self.data])
        self.assertNotEqual(r.rc, EXIT_OK)

    def test_verify_passes_and_the_data_directory_verifies_with_the_printed_key(self):
        key = run(["audit", "key", "--data", self.data]).out.strip()
        r = run(["--json", "audit", "verify", "--data", self.data, "--key", key])
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertTrue(r.json()["ok"])


class LiveVerifyTest(unittest.TestCase):
    """audit verify beside a running server that goes on writing."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="custos-live-verify-")
        self.data = os.path.join(self.tmp, "data")
        self.srv = Server(self.data, checkpoint_ms=100)
        self.fx = Fixture(self.srv)

    def tearDown(self):
        self.srv.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_verifies_while_writes_go_on_and_names_a_changed_row(self):
        stop = threading.Event()
        written = []

        def writer():
            while not stop.is_set():
                st, doc = self.srv.json("POST", "/api/v1/attendance", self.fx.attendance_body())
                if st != 201:
                    written.append(("error", st))
                    return
                written.append(doc["id"])

        t = threading.Thread(target=writer)
        t.start()
        try:
            last = 0
            for _ in range(6):
                r = run(["--json", "audit", "verify", "--data", self.data])
                self.assertEqual(r.rc, EXIT_OK, r)
                report = r.json()
                self.assertTrue(report["ok"], report)
                self.assertTrue(report["live"])
                self.assertGreaterEqual(report["entries"], last)
                last = report["entries"]
        finally:
            stop.set()
            t.join()
        self.assertNotIn("error", [w[0] for w in written if isinstance(w, tuple)], written[-3:])
        self.assertGreater(len(written), 10)
        # A row changed behind the server's back is named, server running.
        with sqlite3.connect(os.path.join(self.data, "records.db"), timeout=30) as db:
            db.execute("UPDATE records SET data = json_set(data, '$.minutes', 1) WHERE id = ?",
                       (written[0],))
        r = run(["audit", "verify", "--data", self.data])
        self.assertEqual(r.rc, EXIT_PROBLEMS, r)
        self.assertIn("attendance/" + written[0], r.out)


if __name__ == "__main__":
    unittest.main()
