"""custos serve: the JSON HTTP API over the records store and the audit log.

Each test starts the real binary on a free loopback port in a fresh data
directory and stops it afterwards. Standard library only (urllib/http.client);
the Ed25519 checkpoint signature is checked with `cryptography` when it is
installed, else only that assertion is skipped.
"""
import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from custos_testlib import CUSTOS, run

ADMIN = "cst_" + "A" * 43
ASSESSOR_NAME = "Pat Assessor"


def valid_uln(rng=random):
    """A random ULN with a valid modulus-11 check digit (weights 10..1, sum % 11 == 10)."""
    while True:
        nine = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        s = sum(int(c) * (10 - i) for i, c in enumerate(nine))
        d = (10 - s % 11) % 11
        if d <= 9:
            return nine + str(d)


class Server:
    """A running `custos serve` process."""

    def __init__(self, data, extra=(), env=None, admin=ADMIN, tls_ca=None, checkpoint_ms=200):
        self.data = data
        e = dict(os.environ)
        e.pop("CUSTOS_ADMIN_TOKEN", None)
        if admin:
            e["CUSTOS_ADMIN_TOKEN"] = admin
        if env:
            e.update(env)
        self.log_path = os.path.join(os.path.dirname(data.rstrip("/")) or ".",
                                     "serve-%d.log" % random.randint(0, 1 << 30))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [CUSTOS, "serve", "--data", data, "--listen", "127.0.0.1:0",
             "--checkpoint-interval-ms", str(checkpoint_ms)] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, env=e, stdin=subprocess.DEVNULL)
        self.stdout_lines = []
        deadline = time.time() + 60
        self.url = None
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            self.stdout_lines.append(line)
            if line.startswith("listening on "):
                self.url = line.split()[-1]
                break
        if not self.url:
            self.stop()
            raise AssertionError("server did not start: %s\n%s" % (self.stdout_lines, self.logs()))
        u = urllib.parse.urlparse(self.url)
        self.host, self.port, self.scheme = u.hostname, u.port, u.scheme
        self.tls_ca = tls_ca

    def conn(self):
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=60)
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, token=ADMIN, headers=None, ctype=None):
        """Returns (status, headers dict (lower-case keys), body bytes)."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        if ctype:
            h["Content-Type"] = ctype
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, token=ADMIN, expect=None, **kw):
        status, headers, data = self.request(method, path, body, token, **kw)
        doc = json.loads(data) if data and headers.get("content-type", "").startswith(
            "application/json") else None
        if expect is not None and status != expect:
            raise AssertionError("%s %s: expected %s, got %s: %s" %
                                 (method, path, expect, status, data[:2000]))
        return status, doc

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.stdout.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stdout.read().decode()
        self.stdout_lines.extend(rest.splitlines(keepends=True))
        self.proc.stdout.close()
        self.log.close()


class Fixture:
    """Bodies for every entity, with references to records made by admin."""

    def __init__(self, srv):
        self.srv = srv
        self.employer = self.create("employers", self.employer_body())["id"]
        self.programme = self.create("programmes", self.programme_body())["id"]
        self.trainee = self.create("trainees", self.trainee_body())["id"]
        self.other_trainee = self.create("trainees", self.trainee_body())["id"]
        self.enrollment = self.create("enrollments", self.enrollment_body())["id"]
        self.other_enrollment = self.create(
            "enrollments", self.enrollment_body(self.other_trainee))["id"]
        self.assessment = self.create("assessments", self.assessment_body())["id"]
        self.doc = b"%PDF-1.4 fixture document " + os.urandom(16)
        st, hdrs, data = srv.request("POST", "/api/v1/documents", self.doc,
                                     ctype="application/octet-stream")
        assert st == 201, data
        self.doc_sha = json.loads(data)["sha256"]

    def create(self, plural, body, token=ADMIN):
        _, doc = self.srv.json("POST", "/api/v1/" + plural, body, token=token, expect=201)
        return doc

    def employer_body(self):
        return {"name": "Example Engineering Ltd", "levy_payer": True,
                "contact_email": "sam.contact@example.com"}

    def programme_body(self):
        return {"standard_code": "ST0116", "standard_version": "1.1",
                "title": "Software developer", "level": 4, "duration_months": 24}

    def trainee_body(self):
        return {"uln": valid_uln(), "given_name": "Alex", "family_name": "Example",
                "date_of_birth": "2004-02-29", "email": "alex.example@example.org",
                "employer_id": self.employer, "status": "active"}

    def enrollment_body(self, trainee=None):
        return {"trainee_id": trainee or self.trainee, "programme_id": self.programme,
                "employer_id": self.employer, "start_date": "2024-09-02",
                "planned_end_date": "2026-08-31", "status": "active"}

    def assessment_body(self):
        return {"enrollment_id": self.enrollment, "type": "on_programme",
                "assessor": ASSESSOR_NAME, "date": "2025-03-14"}

    def certification_body(self):
        return {"enrollment_id": self.enrollment, "awarding_body": "Example EPAO",
                "certificate_number": "CERT-%d" % random.randint(0, 1 << 40),
                "issued_date": "2026-08-20", "result": "merit"}

    def attendance_body(self):
        return {"enrollment_id": self.enrollment, "session_date": "2024-10-07",
                "status": "present", "minutes": 300}

    def evidence_body(self):
        return {"trainee_id": self.trainee, "enrollment_id": self.enrollment,
                "title": "Workplace project report", "kind": "work_product",
                "document_sha256": self.doc_sha, "media_type": "application/pdf",
                "size_bytes": len(self.doc)}

    def body(self, plural):
        return {"employers": self.employer_body, "programmes": self.programme_body,
                "trainees": self.trainee_body, "enrollments": self.enrollment_body,
                "assessments": self.assessment_body,
                "certifications": self.certification_body,
                "attendance": self.attendance_body, "evidence": self.evidence_body}[plural]()

    PATCHES = {"employers": {"contact_name": "Robin Contact"},
               "programmes": {"duration_months": 25},
               "trainees": {"phone": "+44 20 7946 0001"},
               "enrollments": {"off_the_job_hours_actual": 130},
               "assessments": {"grade": "Pass"},
               "certifications": {"grade": "Merit"},
               "attendance": {"minutes": 240},
               "evidence": {"description": "Changed description"}}
    PLURALS = list(PATCHES)


class ServerTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="custos-srv-")
        self.data = os.path.join(self.tmp, "data")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, *extra, **kw):
        s = Server(self.data, extra, **kw)
        self.servers.append(s)
        return s

    def error(self, doc):
        self.assertIsInstance(doc, dict)
        self.assertIn("error", doc)
        self.assertIn("message", doc["error"])
        return doc["error"]


def rfc6962_leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def rfc6962_node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = rfc6962_node(p, r)
            if not fn & 1:
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = rfc6962_node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return first_hash == second_hash and not proof
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = rfc6962_node(c, fr)
            sr = rfc6962_node(c, sr)
            if not fn & 1:
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = rfc6962_node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


class RecordsApiTest(ServerTestCase):
    def test_crud_for_every_entity(self):
        srv = self.start()
        fx = Fixture(srv)
        for plural in Fixture.PLURALS:
            with self.subTest(plural=plural):
                body = fx.body(plural)
                st, hdrs, raw = srv.request("POST", "/api/v1/" + plural, body)
                self.assertEqual(st, 201, raw)
                rec = json.loads(raw)
                self.assertEqual(rec["version"], 1)
                self.assertEqual(hdrs["etag"], '"1"')
                self.assertTrue(hdrs["location"].endswith("/" + rec["id"]))
                path = "/api/v1/%s/%s" % (plural, rec["id"])
                _, got = srv.json("GET", path, expect=200)
                self.assertEqual(got["data"], rec["data"])
                for k, v in body.items():
                    self.assertIn(k, got["data"])
                # Replace, then merge-patch, each with the current version.
                _, put = srv.json("PUT", path, body, headers={"If-Match": '"1"'}, expect=200)
                self.assertEqual(put["version"], 2)
                patch = Fixture.PATCHES[plural]
                _, pat = srv.json("PATCH", path, patch, headers={"If-Match": '"2"'}, expect=200)
                self.assertEqual(pat["version"], 3)
                for k, v in patch.items():
                    self.assertEqual(pat["data"][k], v)
                # List with an equality filter on a field of the patch.
                field, value = next(iter(patch.items()))
                q = urllib.parse.urlencode({field: value})
                _, page = srv.json("GET", "/api/v1/%s?%s" % (plural, q), expect=200)
                self.assertIn(rec["id"], [r["id"] for r in page["records"]])
                _, hist = srv.json("GET", path + "/history", expect=200)
                changes = [e for e in hist["entries"] if e["event"] != "access"]
                events = [e["event"] for e in changes]
                if plural not in ("employers", "programmes"):
                    # The GET above was journaled against the record.
                    self.assertIn("access", [e["event"] for e in hist["entries"]])
                if plural == "trainees":
                    self.assertIn("create", events)  # subject history
                else:
                    self.assertEqual(events[:3], ["create", "update", "update"])
                    self.assertEqual(changes[0]["payload"]["before"], None)
                    self.assertEqual(changes[2]["payload"]["after"], pat["data"])
                st, _, _ = srv.request("DELETE", path + "?version=3")
                self.assertEqual(st, 204)
                st, doc = srv.json("GET", path)
                self.assertEqual(st, 404)
                self.error(doc)

    def test_optimistic_concurrency(self):
        srv = self.start()
        fx = Fixture(srv)
        path = "/api/v1/programmes/" + fx.programme
        st, doc = srv.json("PATCH", path, {"duration_months": 30})
        self.assertEqual(st, 428)
        self.assertEqual(self.error(doc)["code"], "precondition_required")
        st, doc = srv.json("DELETE", path)
        self.assertEqual(st, 428)
        srv.json("PATCH", path + "?version=1", {"duration_months": 30}, expect=200)
        st, doc = srv.json("PATCH", path, {"duration_months": 31}, headers={"If-Match": '"1"'})
        self.assertEqual(st, 409)
        self.assertEqual(self.error(doc)["code"], "version_conflict")
        st, doc = srv.json("PUT", path, fx.programme_body(), headers={"If-Match": "abc"})
        self.assertEqual(st, 400)
        _, cur = srv.json("GET", path, expect=200)
        self.assertEqual(cur["version"], 2)
        self.assertEqual(cur["data"]["duration_months"], 30)

    def test_import_is_all_or_nothing_with_line_numbers(self):
        srv = self.start()
        fx = Fixture(srv)
        _, before = srv.json("GET", "/api/v1/trainees?limit=1000", expect=200)
        header = "uln,given_name,family_name,date_of_birth,email,status\n"
        good = lambda: "%s,Ann,Row,2001-05-06,ann.row@example.org,active\n" % valid_uln()
        csv = header + good() + "%s,Bob,Row,2023-02-30,bob@example.org,active\n" % valid_uln() \
            + good()
        st, doc = srv.json("POST", "/api/v1/trainees/import", csv, ctype="text/csv")
        self.assertEqual(st, 422, doc)
        err = self.error(doc)
        self.assertEqual(err["line"], 3)
        self.assertEqual(err["errors"][0]["line"], 3)
        self.assertEqual(err["errors"][0]["field"], "date_of_birth")
        _, after = srv.json("GET", "/api/v1/trainees?limit=1000", expect=200)
        self.assertEqual(len(after["records"]), len(before["records"]))
        # Broken CSV (unterminated quote) names its line.
        st, doc = srv.json("POST", "/api/v1/trainees/import",
                           header + good() + '"%s,Cy\n' % valid_uln(), ctype="text/csv")
        self.assertIn(st, (400, 422))
        self.assertIn("line", self.error(doc)["message"] + json.dumps(doc))
        # A JSON import with a bad element: nothing written, element named.
        rows = [fx.trainee_body(), dict(fx.trainee_body(), shoe_size=9)]
        st, doc = srv.json("POST", "/api/v1/trainees/import", rows)
        self.assertEqual(st, 422)
        self.assertEqual(self.error(doc)["errors"][0]["line"], 2)
        # A reference to a missing record fails in the store: still nothing written.
        rows = [fx.trainee_body(), dict(fx.trainee_body(), employer_id="NOPE")]
        st, doc = srv.json("POST", "/api/v1/trainees/import", rows)
        self.assertEqual(st, 422, doc)
        self.assertEqual(self.error(doc)["field"], "employer_id")
        _, after = srv.json("GET", "/api/v1/trainees?limit=1000", expect=200)
        self.assertEqual(len(after["records"]), len(before["records"]))
        # A ULN another trainee already has fails in the store: line named, nothing written.
        _, held = srv.json("GET", "/api/v1/trainees/" + fx.trainee, expect=200)
        rows = [fx.trainee_body(), dict(fx.trainee_body(), uln=held["data"]["uln"])]
        st, doc = srv.json("POST", "/api/v1/trainees/import", rows)
        self.assertEqual(st, 422, doc)
        self.assertEqual(self.error(doc)["errors"][0]["line"], 2)
        self.assertEqual(self.error(doc)["field"], "uln")
        _, after = srv.json("GET", "/api/v1/trainees?limit=1000", expect=200)
        self.assertEqual(len(after["records"]), len(before["records"]))
        # The good import lands whole.
        st, doc = srv.json("POST", "/api/v1/trainees/import", header + good() + good(),
                           ctype="text/csv")
        self.assertEqual(st, 201, doc)
        self.assertEqual(doc["imported"], 2)
        _, after = srv.json("GET", "/api/v1/trainees?limit=1000", expect=200)
        self.assertEqual(len(after["records"]), len(before["records"]) + 2)
        st, doc = srv.json("POST", "/api/v1/trainees/import", "x", ctype="text/plain")
        self.assertEqual(st, 415)

    def test_unique_fields_are_unique_among_live_records(self):
        srv = self.start()
        fx = Fixture(srv)
        _, held = srv.json("GET", "/api/v1/trainees/" + fx.trainee, expect=200)
        uln = held["data"]["uln"]
        for method, path, body, headers in (
                ("POST", "/api/v1/trainees", dict(fx.trainee_body(), uln=uln), {}),
                ("PATCH", "/api/v1/trainees/" + fx.other_trainee, {"uln": uln},
                 {"If-Match": '"1"'})):
            st, doc = srv.json(method, path, body, headers=headers)
            self.assertEqual(st, 422, doc)
            err = self.error(doc)
            self.assertEqual(err["field"], "uln")
            self.assertIn(fx.trainee, err["message"])  # who holds it
            self.assertNotIn(uln, json.dumps(doc))     # never the value
        employer = fx.create("employers", dict(fx.employer_body(), company_number="SC123456"))
        st, doc = srv.json("POST", "/api/v1/employers",
                           dict(fx.employer_body(), company_number="SC123456"))
        self.assertEqual(st, 422, doc)
        self.assertEqual(self.error(doc)["field"], "company_number")
        # Deleting the holder frees the value.
        srv.json("DELETE", "/api/v1/employers/" + employer["id"], headers={"If-Match": '"1"'},
                 expect=204)
        fx.create("employers", dict(fx.employer_body(), company_number="SC123456"))

    def test_list_filters_take_record_forms_and_refuse_impossible_values(self):
        srv = self.start()
        fx = Fixture(srv)
        emp = fx.create("employers", dict(fx.employer_body(), company_number="SC654321"))
        # Lower case and a space, as typed: found in its stored form.
        _, page = srv.json("GET", "/api/v1/employers?company_number=sc65%204321", expect=200)
        self.assertEqual([r["id"] for r in page["records"]], [emp["id"]])
        # created_at bounds as records show them (RFC 3339).
        shown = urllib.parse.quote(emp["created_at"])
        _, page = srv.json("GET", "/api/v1/employers?created_at.from=" + shown, expect=200)
        self.assertEqual([r["id"] for r in page["records"]], [emp["id"]])
        for query, field in (("/api/v1/attendance?status=bogus", "status"),
                             ("/api/v1/attendance?session_date.from=2024-13-02", "session_date"),
                             ("/api/v1/attendance?session_date=2024-02-30", "session_date"),
                             ("/api/v1/employers?updated_at.to=yesterday", "updated_at")):
            st, doc = srv.json("GET", query)
            self.assertEqual(st, 400, (query, doc))
            self.assertEqual(self.error(doc)["field"], field, doc)

    def test_bad_inputs_name_the_field(self):
        srv = self.start()
        fx = Fixture(srv)
        st, doc = srv.json("POST", "/api/v1/trainees", '{"uln": "12', ctype="application/json")
        self.assertEqual(st, 400)
        self.assertIn("line 1", self.error(doc)["message"])
        st, doc = srv.json("POST", "/api/v1/trainees", '[1,2]', ctype="application/json")
        self.assertEqual(st, 400)
        st, doc = srv.json("POST", "/api/v1/trainees", dict(fx.trainee_body(), shoe_size=9))
        self.assertEqual(st, 422)
        self.assertIn("not a field", self.error(doc)["message"])
        self.assertNotIn("field", self.error(doc))  # the key is not quoted: it may be data
        # Several problems: "field" names the first one's.
        body = dict(fx.trainee_body(), shoe_size=9)
        del body["uln"]
        st, doc = srv.json("POST", "/api/v1/trainees", body)
        self.assertEqual(st, 422)
        self.assertIn('field "uln"', self.error(doc)["message"])
        self.assertNotIn("field", self.error(doc))
        body = dict(fx.trainee_body(), date_of_birth="2023-02-30")
        del body["uln"]
        st, doc = srv.json("POST", "/api/v1/trainees", body)
        self.assertEqual(self.error(doc)["field"], "uln")
        st, doc = srv.json("POST", "/api/v1/programmes", dict(fx.programme_body(), level="4"))
        self.assertEqual(st, 422)
        self.assertEqual(self.error(doc)["field"], "level")
        st, doc = srv.json("POST", "/api/v1/trainees",
                           dict(fx.trainee_body(), date_of_birth="2023-02-30"))
        self.assertEqual(st, 422)
        self.assertEqual(self.error(doc)["field"], "date_of_birth")
        self.assertNotIn("2023-02-30", json.dumps(doc))  # values never echoed
        big = {"name": "x" * (2 << 20)}
        st, doc = srv.json("POST", "/api/v1/employers", big)
        self.assertEqual(st, 413)
        self.assertIn("larger", self.error(doc)["message"])
        st, doc = srv.json("GET", "/api/v1/trainees?shoe_size=9")
        self.assertEqual(st, 400)
        self.assertEqual(self.error(doc)["field"], "shoe_size")
        st, doc = srv.json("GET", "/api/v1/trainees?limit=0")
        self.assertEqual(st, 400)
        st, doc = srv.json("GET", "/api/v1/nothing-here")
        self.assertEqual(st, 404)
        st, hdrs, _ = srv.request("POST", "/api/v1/trainees/" + fx.trainee, {})
        self.assertEqual(st, 405)
        self.assertIn("GET", hdrs["allow"])
        st, doc = srv.json("GET", "/api/v1/trainees/" + fx.trainee + "?purpose=" +
                           urllib.parse.quote("bad\npurpose"))
        self.assertEqual(st, 400)
        # The server is still healthy after all of that.
        st, doc = srv.json("GET", "/health", token=None, expect=200)
        self.assertEqual(doc["status"], "ok")

    def test_hostile_http_is_refused_and_the_server_stays_up(self):
        srv = self.start()
        import socket

        def raw(data):
            """Sends raw bytes; returns the status code, or None if the server closed."""
            s = socket.create_connection((srv.host, srv.port), timeout=20)
            try:
                s.sendall(data)
                out = b""
                while b"\r\n" not in out:
                    b = s.recv(65536)
                    if not b:
                        break
                    out += b
            except (ConnectionResetError, BrokenPipeError):
                return None
            finally:
                s.close()
            return int(out.split(b" ")[1]) if out.startswith(b"HTTP/1.") else None

        auth = b"Authorization: Bearer " + ADMIN.encode() + b"\r\n"
        self.assertIn(raw(b"GARBAGE\r\n\r\n"), (None, 400))
        self.assertEqual(raw(b"GET /health HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"), 400)
        self.assertIn(raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300000 +
                          b"\r\n\r\n"), (None, 413, 431))
        # Headers of a few KiB fit the per-connection buffer; a header block
        # larger than it is answered 431 and the server carries on.
        self.assertEqual(raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000 +
                             b"\r\n\r\n"), 200)
        self.assertIn(raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 12000 +
                          b"\r\n\r\n"), (None, 431))
        # A chunked body whose chunk size lies is refused, nothing is written.
        self.assertEqual(raw(b"POST /api/v1/employers HTTP/1.1\r\nHost: x\r\n" + auth +
                             b"Content-Type: application/json\r\nTransfer-Encoding: chunked"
                             b"\r\n\r\n5\r\n{\"name\": \"Liar Ltd\"}\r\n0\r\n\r\n"), 400)
        # A well-formed chunked body is accepted.
        body = b'{"name": "Chunked Ltd"}'
        self.assertEqual(raw(b"POST /api/v1/employers HTTP/1.1\r\nHost: x\r\n" + auth +
                             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                             b"\r\n" + format(len(body), "x").encode() + b"\r\n" + body +
                             b"\r\n0\r\n\r\n"), 201)
        # A declared length far beyond any limit is refused before it is read.
        self.assertEqual(raw(b"POST /api/v1/employers HTTP/1.1\r\nHost: x\r\n" + auth +
                             b"Content-Length: 999999999999\r\n\r\nabc"), 413)
        st, doc = srv.json("GET", "/api/v1/employers?limit=1000", expect=200)
        names = sorted(r["data"]["name"] for r in doc["records"])
        self.assertIn("Chunked Ltd", names)
        self.assertNotIn("Liar Ltd", names)
        st, doc = srv.json("GET", "/health", token=None, expect=200)
        self.assertEqual(doc["status"], "ok")

    def test_documents_round_trip(self):
        srv = self.start()
        data = os.urandom(100000)
        st, hdrs, raw = srv.request("POST", "/api/v1/documents", data,
                                    ctype="application/octet-stream")
        self.assertEqual(st, 201)
        sha = json.loads(raw)["sha256"]
        self.assertEqual(sha, hashlib.sha256(data).hexdigest())
        st, _, got = srv.request("GET", "/api/v1/documents/" + sha)
        self.assertEqual(st, 200)
        self.assertEqual(got, data)
        st, _, _ = srv.request("GET", "/api/v1/documents/" + "0" * 64)
        self.assertEqual(st, 404)
        st, _, _ = srv.request("GET", "/api/v1/documents/XYZ")
        self.assertEqual(st, 400)

    def test_document_reads_are_journaled_for_the_trainees_whose_evidence_it_is(self):
        srv = self.start()
        fx = Fixture(srv)  # its evidence references fx.doc_sha, for fx.trainee

        def accesses(trainee):
            _, h = srv.json("GET", "/api/v1/trainees/%s/history" % trainee, expect=200)
            return [e for e in h["entries"] if e["event"] == "access"]

        # A document no evidence references yet is no one's: nothing journaled.
        st, _, raw = srv.request("POST", "/api/v1/documents", b"loose " + os.urandom(8),
                                 ctype="application/octet-stream")
        loose = json.loads(raw)["sha256"]
        last = srv.json("GET", "/health", token=None)[1]["last_seq"]
        srv.request("GET", "/api/v1/documents/" + loose)
        self.assertEqual(srv.json("GET", "/health", token=None)[1]["last_seq"], last)
        # Evidence of two trainees references one document: a download
        # journals a read of the evidence for each of them, with the purpose.
        ev = fx.create("evidence", fx.evidence_body())
        body = dict(fx.evidence_body(), trainee_id=fx.other_trainee,
                    enrollment_id=fx.other_enrollment)
        other_ev = fx.create("evidence", body)
        before = {t: len(accesses(t)) for t in (fx.trainee, fx.other_trainee)}
        st, _, got = srv.request("GET", "/api/v1/documents/%s?purpose=moderation" % fx.doc_sha)
        self.assertEqual(st, 200)
        self.assertEqual(got, fx.doc)
        for trainee, evidence_ids in ((fx.trainee, {ev["id"]}), (fx.other_trainee,
                                                                 {other_ev["id"]})):
            new = accesses(trainee)
            # +1 for the download, +1 for the history read just before.
            self.assertEqual(len(new), before[trainee] + 2, trainee)
            doc_reads = [e for e in new if e["entity"] == "evidence"
                         and e["payload"]["reason"] == "moderation"]
            self.assertEqual(len(doc_reads), 1, new)
            if trainee == fx.other_trainee:
                self.assertEqual(doc_reads[0]["record_id"], other_ev["id"])


class PrivacyTest(ServerTestCase):
    def test_trainee_sees_only_their_own_records(self):
        srv = self.start()
        fx = Fixture(srv)
        _, tok = srv.json("POST", "/api/v1/tokens", {"role": "trainee", "trainee": fx.trainee},
                          expect=201)
        t = tok["token"]
        srv.json("GET", "/api/v1/trainees/" + fx.trainee, token=t, expect=200)
        srv.json("GET", "/api/v1/trainees/" + fx.other_trainee, token=t, expect=404)
        srv.json("GET", "/api/v1/enrollments/" + fx.other_enrollment, token=t, expect=404)
        _, page = srv.json("GET", "/api/v1/trainees", token=t, expect=200)
        self.assertEqual([r["id"] for r in page["records"]], [fx.trainee])
        _, page = srv.json("GET", "/api/v1/enrollments", token=t, expect=200)
        self.assertEqual([r["id"] for r in page["records"]], [fx.enrollment])
        srv.json("GET", "/api/v1/trainees/%s/history" % fx.other_trainee, token=t, expect=404)
        srv.json("GET", "/api/v1/trainees/%s/history" % fx.trainee, token=t, expect=200)
        srv.json("PATCH", "/api/v1/trainees/%s?version=1" % fx.trainee, {"phone": "0123 456789"},
                 token=t, expect=403)
        srv.json("GET", "/api/v1/employers", token=t, expect=403)

    def test_assessor_sees_and_writes_only_what_they_assess(self):
        srv = self.start()
        fx = Fixture(srv)
        _, tok = srv.json("POST", "/api/v1/tokens", {"role": "assessor",
                                                     "assessor": ASSESSOR_NAME}, expect=201)
        a = tok["token"]
        srv.json("GET", "/api/v1/enrollments/" + fx.enrollment, token=a, expect=200)
        srv.json("GET", "/api/v1/trainees/" + fx.trainee, token=a, expect=200)
        srv.json("GET", "/api/v1/enrollments/" + fx.other_enrollment, token=a, expect=404)
        srv.json("GET", "/api/v1/trainees/" + fx.other_trainee, token=a, expect=404)
        _, page = srv.json("GET", "/api/v1/enrollments", token=a, expect=200)
        self.assertEqual([r["id"] for r in page["records"]], [fx.enrollment])
        srv.json("POST", "/api/v1/attendance", fx.attendance_body(), token=a, expect=201)
        other = dict(fx.attendance_body(), enrollment_id=fx.other_enrollment)
        srv.json("POST", "/api/v1/attendance", other, token=a, expect=403)
        srv.json("POST", "/api/v1/assessments", dict(fx.assessment_body(), assessor="Kim"),
                 token=a, expect=403)
        srv.json("PATCH", "/api/v1/assessments/%s?version=1" % fx.assessment,
                 {"outcome": "pass"}, token=a, expect=200)
        srv.json("PATCH", "/api/v1/assessments/%s?version=2" % fx.assessment,
                 {"assessor": "Kim"}, token=a, expect=403)
        srv.json("POST", "/api/v1/certifications", fx.certification_body(), token=a, expect=403)

    def test_reads_are_journaled_in_the_subject_history(self):
        srv = self.start()
        fx = Fixture(srv)
        srv.json("GET", "/api/v1/trainees/%s?purpose=funding-audit" % fx.trainee, expect=200)
        srv.json("GET", "/api/v1/enrollments?trainee_id=" + fx.trainee, expect=200)
        _, hist = srv.json("GET", "/api/v1/trainees/%s/history" % fx.trainee, expect=200)
        access = [e for e in hist["entries"] if e["event"] == "access"]
        self.assertGreaterEqual(len(access), 2, hist)
        self.assertIn("funding-audit", [e["payload"]["reason"] for e in access])
        # An unknown subject is a 404 and journals nothing.
        last = srv.json("GET", "/health", token=None)[1]["last_seq"]
        srv.json("GET", "/api/v1/trainees/NOSUCHTRAINEE/history", expect=404)
        self.assertEqual(srv.json("GET", "/health", token=None)[1]["last_seq"], last)
        # Institution data (a programme) is not a trainee's personal data.
        _, h2 = srv.json("GET", "/api/v1/trainees/%s/history" % fx.other_trainee, expect=200)
        srv.json("GET", "/api/v1/programmes/" + fx.programme, expect=200)
        _, h3 = srv.json("GET", "/api/v1/trainees/%s/history" % fx.other_trainee, expect=200)
        self.assertEqual(len([e for e in h3["entries"] if e["event"] == "access"]),
                         len([e for e in h2["entries"] if e["event"] == "access"]) + 1)

    def test_history_pages(self):
        srv = self.start()
        fx = Fixture(srv)
        path = "/api/v1/trainees/%s/history" % fx.trainee
        _, whole = srv.json("GET", path, expect=200)
        self.assertIsNone(whole["next_after_seq"])
        # Every page read is itself an access: compare the entries the whole
        # history held, which later pages still list in the same order.
        want = [e["seq"] for e in whole["entries"]]
        got, after = [], 0
        while True:
            _, page = srv.json("GET", path + "?limit=2&after_seq=%d" % after, expect=200)
            self.assertLessEqual(len(page["entries"]), 2)
            got += [e["seq"] for e in page["entries"]]
            if page["next_after_seq"] is None:
                break
            self.assertEqual(page["next_after_seq"], page["entries"][-1]["seq"])
            after = page["next_after_seq"]
        self.assertEqual(got[:len(want)], want)
        self.assertEqual(got, sorted(got))
        for query, field in (("?limit=0", "limit"), ("?limit=1001", "limit"),
                             ("?after_seq=-1", "after_seq"), ("?colour=blue", "colour")):
            st, doc = srv.json("GET", path + query)
            self.assertEqual(st, 400, (query, doc))
            self.assertEqual(self.error(doc)["field"], field)


class AuditApiTest(ServerTestCase):
    def test_checkpoint_key_and_proofs_verify(self):
        srv = self.start()
        Fixture(srv)
        status, _, note = srv.request("POST", "/api/v1/audit/checkpoint")
        self.assertEqual(status, 200)
        status, _, note = srv.request("GET", "/api/v1/audit/checkpoint")
        self.assertEqual(status, 200)
        note = note.decode()
        body, _, sigs = note.partition("\n\n")
        origin, size, root_b64 = body.split("\n")[:3]
        size = int(size)
        root = base64.b64decode(root_b64)
        self.assertGreater(size, 5)
        status, _, vkey = srv.request("GET", "/api/v1/audit/key")
        self.assertEqual(status, 200)
        vkey = vkey.decode().strip()
        name, key_hash, key_b64 = vkey.split("+", 2)
        self.assertEqual(name, origin)
        key = base64.b64decode(key_b64)
        self.assertEqual(key[0], 1)  # Ed25519
        # Every entry of the tree is included under the checkpoint's root.
        for seq in range(1, size + 1):
            _, e = srv.json("GET", "/api/v1/audit/entries/%d" % seq, expect=200)
            leaf = base64.b64decode(e["leaf"])
            self.assertEqual(base64.b64decode(e["leaf_hash"]), rfc6962_leaf(leaf))
            self.assertEqual(e["fields"]["seq"], seq)
            self.assertIn("after", e["payload"])  # admin sees payloads
            _, p = srv.json("GET", "/api/v1/audit/proof/inclusion?seq=%d&size=%d" % (seq, size),
                            expect=200)
            self.assertEqual(p["index"], seq - 1)
            self.assertEqual(base64.b64decode(p["root"]), root)
            hashes = [base64.b64decode(h) for h in p["hashes"]]
            self.assertTrue(verify_inclusion(seq - 1, size, rfc6962_leaf(leaf), hashes, root))
            if hashes:  # a flipped proof hash must fail
                bad = [bytes([hashes[0][0] ^ 1]) + hashes[0][1:]] + hashes[1:]
                self.assertFalse(verify_inclusion(seq - 1, size, rfc6962_leaf(leaf), bad, root))
        # Consistency from every older size to the checkpoint.
        for old in range(1, size):
            _, c = srv.json("GET", "/api/v1/audit/proof/consistency?from=%d&to=%d" % (old, size),
                            expect=200)
            self.assertEqual(base64.b64decode(c["to_root"]), root)
            self.assertTrue(verify_consistency(
                old, size, base64.b64decode(c["from_root"]), root,
                [base64.b64decode(h) for h in c["hashes"]]), old)
        srv.json("GET", "/api/v1/audit/proof/inclusion?seq=%d&size=%d" % (size + 5, size),
                 expect=400)
        srv.json("GET", "/api/v1/audit/proof/inclusion", expect=400)
        srv.json("GET", "/api/v1/audit/entries/999999", expect=404)
        # The signature line: em dash, key name, base64(key id || signature).
        lines = [l for l in sigs.split("\n") if l]
        self.assertTrue(lines)
        dash, sig_name, sig_b64 = lines[0].split(" ")
        self.assertEqual(dash, "\u2014")
        self.assertEqual(sig_name, origin)
        sig = base64.b64decode(sig_b64)
        key_id = hashlib.sha256(origin.encode() + b"\n" + key).digest()[:4]
        self.assertEqual(sig[:4], key_id)
        self.assertEqual(key_hash, key_id.hex())
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            self.skipTest("no Python Ed25519 (cryptography) to check the signature")
        pub = Ed25519PublicKey.from_public_bytes(key[1:])
        pub.verify(sig[4:], (body + "\n").encode())  # raises if invalid
        from cryptography.exceptions import InvalidSignature
        with self.assertRaises(InvalidSignature):
            pub.verify(sig[4:], (body.replace(root_b64, base64.b64encode(b"\0" * 32).decode())
                                 + "\n").encode())

    def test_registrar_gets_entries_without_payloads(self):
        srv = self.start()
        Fixture(srv)
        _, tok = srv.json("POST", "/api/v1/tokens", {"role": "registrar"}, expect=201)
        _, e = srv.json("GET", "/api/v1/audit/entries/1", token=tok["token"], expect=200)
        self.assertNotIn("payload", e)
        self.assertEqual(e["payload_status"], "withheld")
        _, tok = srv.json("POST", "/api/v1/tokens", {"role": "auditor"}, expect=201)
        _, e = srv.json("GET", "/api/v1/audit/entries/1", token=tok["token"], expect=200)
        self.assertIsNotNone(e["payload"]["after"])


class OperationsTest(ServerTestCase):
    def test_health_openapi_and_metrics(self):
        srv = self.start()
        Fixture(srv)
        _, h = srv.json("GET", "/health", token=None, expect=200)
        self.assertGreater(h["last_seq"], 0)
        _, doc = srv.json("GET", "/api/v1/openapi.json", token=None, expect=200)
        self.assertEqual(doc["openapi"], "3.0.3")
        _, matrix = srv.json("GET", "/api/v1/roles", expect=200)
        for route in matrix["routes"]:
            self.assertIn(route["method"].lower(), doc["paths"].get(route["path"], {}), route)
        exercised = ["/api/v1/%s" % p for p in Fixture.PLURALS] + \
            ["/api/v1/%s/{id}" % p for p in Fixture.PLURALS] + \
            ["/api/v1/%s/{id}/history" % p for p in Fixture.PLURALS] + \
            ["/api/v1/%s/import" % p for p in Fixture.PLURALS] + \
            ["/api/v1/documents", "/api/v1/documents/{sha256}", "/api/v1/audit/checkpoint",
             "/api/v1/audit/key", "/api/v1/audit/entries/{seq}",
             "/api/v1/audit/proof/inclusion", "/api/v1/audit/proof/consistency", "/health",
             "/metrics", "/api/v1/openapi.json", "/api/v1/roles", "/api/v1/tokens",
             "/api/v1/tokens/{id}"]
        for p in exercised:
            self.assertIn(p, doc["paths"])
        st, _, text = srv.request("GET", "/metrics", token=None)
        self.assertEqual(st, 200)
        text = text.decode()
        self.assertIn('custos_http_requests_total{route="trainees.create",status="201"}', text)
        self.assertIn("custos_store_writes_total", text)
        self.assertIn("custos_http_request_duration_seconds_bucket", text)
        _, tok = srv.json("POST", "/api/v1/tokens", {"role": "registrar"}, expect=201)
        st, _, _ = srv.request("GET", "/metrics", token=tok["token"])
        self.assertEqual(st, 403)

    def test_logs_have_routes_but_no_ids_queries_or_secrets(self):
        srv = self.start()
        fx = Fixture(srv)
        srv.json("GET", "/api/v1/trainees/%s?purpose=secret-purpose-xyz" % fx.trainee,
                 expect=200)
        srv.stop()
        logs = srv.logs()
        lines = [json.loads(l) for l in logs.splitlines() if l.startswith("{")]
        reqs = [l for l in lines if l.get("msg") == "request"]
        self.assertTrue(any(l["route"] == "trainees.get" and l["status"] == 200 for l in reqs))
        for l in reqs:
            self.assertIn("duration_ms", l)
            self.assertTrue(l["actor"].startswith("tok_") or l["actor"] == "-")
        for needle in (fx.trainee, "secret-purpose-xyz", ADMIN, "Example", "alex.example"):
            self.assertNotIn(needle, logs)

    def test_first_start_prints_admin_token_once(self):
        srv = self.start(admin=None)
        printed = [l for l in srv.stdout_lines if l.startswith("admin token: ")]
        self.assertEqual(len(printed), 1)
        token = printed[0].split()[-1]
        self.assertTrue(token.startswith("cst_"))
        srv.json("GET", "/api/v1/roles", token=token, expect=200)
        srv.stop()
        self.assertNotIn(token, srv.logs())
        tokens_json = open(os.path.join(self.data, "auth", "tokens.json")).read()
        self.assertNotIn(token, tokens_json)
        self.assertEqual(os.stat(os.path.join(self.data, "auth", "tokens.json")).st_mode & 0o777,
                         0o600)
        self.assertEqual(os.stat(self.data).st_mode & 0o777, 0o700)
        srv2 = self.start(admin=None)
        self.assertFalse([l for l in srv2.stdout_lines if l.startswith("admin token")])
        srv2.json("GET", "/api/v1/roles", token=token, expect=200)

    def test_token_cli_create_list_revoke(self):
        srv = self.start()
        r = run(["token", "create", "--data", self.data, "--role", "auditor", "--name", "ci"])
        self.assertEqual(r.rc, 0, r)
        token = [l.split()[-1] for l in r.out.splitlines() if l.startswith("token: ")][0]
        tid = [l.split()[-1] for l in r.out.splitlines() if l.startswith("token id: ")][0]
        deadline = time.time() + 20
        while srv.request("GET", "/api/v1/audit/key", token=token)[0] != 200:
            self.assertLess(time.time(), deadline, "new token not picked up")
            time.sleep(0.2)
        r = run(["--json", "token", "list", "--data", self.data])
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn(token, r.out)
        self.assertIn(tid, [t["id"] for t in r.json()])
        r = run(["token", "revoke", "--data", self.data, tid])
        self.assertEqual(r.rc, 0, r)
        deadline = time.time() + 20
        while srv.request("GET", "/api/v1/audit/key", token=token)[0] != 401:
            self.assertLess(time.time(), deadline, "revoked token still accepted")
            time.sleep(0.2)
        r = run(["token", "create", "--data", self.data, "--role", "trainee"])
        self.assertNotEqual(r.rc, 0)
        self.assertIn("--trainee", r.err)
        # A trainee token must name a trainee that exists (checked while the
        # server holds the store open), through the CLI and the API alike.
        r = run(["token", "create", "--data", self.data, "--role", "trainee", "--trainee",
                 "01NOSUCHTRAINEE00000000000"])
        self.assertNotEqual(r.rc, 0)
        self.assertIn("no trainee with this id", r.err)
        st, doc = srv.json("POST", "/api/v1/tokens",
                           {"role": "trainee", "trainee": "01NOSUCHTRAINEE00000000000"})
        self.assertEqual(st, 422, doc)
        self.assertEqual(self.error(doc)["field"], "trainee")
        st, doc = srv.json("POST", "/api/v1/tokens", {"role": "trainee"})
        self.assertEqual(st, 422, doc)
        self.assertEqual(self.error(doc)["field"], "trainee")
        fx = Fixture(srv)
        r = run(["token", "create", "--data", self.data, "--role", "trainee", "--trainee",
                 fx.trainee])
        self.assertEqual(r.rc, 0, r)
        _, doc = srv.json("POST", "/api/v1/tokens", {"role": "trainee", "trainee": fx.trainee},
                          expect=201)

    def test_plain_http_refused_off_loopback(self):
        r = run(["serve", "--data", self.data, "--listen", "0.0.0.0:0"],
                env={"CUSTOS_ADMIN_TOKEN": ADMIN}, timeout=60)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("plain HTTP", r.err)

    def test_tls_with_self_signed_certificate(self):
        if not shutil.which("openssl"):
            self.skipTest("openssl not installed")
        cert = os.path.join(self.tmp, "cert.pem")
        key = os.path.join(self.tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        srv = self.start("--tls-cert", cert, "--tls-key", key, tls_ca=cert)
        self.assertTrue(srv.url.startswith("https://"))
        _, h = srv.json("GET", "/health", token=None, expect=200)
        self.assertEqual(h["status"], "ok")
        srv.json("GET", "/api/v1/roles", expect=200)
        # A plain-HTTP client gets nothing useful from the TLS port.
        c = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        with self.assertRaises(Exception):
            c.request("GET", "/health")
            r = c.getresponse()
            if r.status == 200:
                raise AssertionError("plain HTTP answered on the TLS port")
            raise ConnectionError(r.status)

    def test_demo_data_on_first_start(self):
        srv = self.start("--demo")
        for plural in ("trainees", "employers", "programmes", "enrollments", "assessments",
                       "attendance", "certifications"):
            _, page = srv.json("GET", "/api/v1/" + plural, expect=200)
            self.assertTrue(page["records"], plural)


if __name__ == "__main__":
    unittest.main()
