"""The role matrix, walked whole: for every route served at /api/v1/roles and
every role, one real request, checking that allowed cells answer 2xx (the
fixtures are chosen so an "own" cell reaches the caller's own records) and
denied cells answer 403; and that every token-protected route answers 401
without a token, with a malformed or unknown token, and with a revoked one.
"""
import json
import os
import unittest

import test_server as ts

ROLES = ["admin", "registrar", "assessor", "auditor", "trainee"]


class RoleMatrixWalk(ts.ServerTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.fx = ts.Fixture(self.srv)
        srv, fx = self.srv, self.fx
        # An attendance mark and a certification on the assessor's enrollment,
        # and evidence of the trainee referencing the fixture document.
        self.attendance = fx.create("attendance", fx.attendance_body())["id"]
        self.certification = fx.create("certifications", fx.certification_body())["id"]
        self.evidence = fx.create("evidence", fx.evidence_body())["id"]
        self.tokens = {"admin": ts.ADMIN}
        binding = {"assessor": {"assessor": ts.ASSESSOR_NAME},
                   "trainee": {"trainee": fx.trainee}}
        for role in ROLES[1:]:
            _, t = srv.json("POST", "/api/v1/tokens", dict(role=role, **binding.get(role, {})),
                            expect=201)
            self.tokens[role] = t["token"]
        _, self.matrix = srv.json("GET", "/api/v1/roles", expect=200)

    # ---- one concrete request per route ------------------------------------
    def fixture_id(self, plural):
        fx = self.fx
        return {"trainees": fx.trainee, "employers": fx.employer, "programmes": fx.programme,
                "enrollments": fx.enrollment, "assessments": fx.assessment,
                "attendance": self.attendance, "certifications": self.certification,
                "evidence": self.evidence}[plural]

    def fresh(self, plural):
        """A new record made by admin, for routes that change or delete one."""
        return self.fx.create(plural, self.fx.body(plural))

    def request_for(self, route):
        """(method, path, body, headers) for the route."""
        rid, method = route["id"], route["method"]
        fx = self.fx
        if "." in rid and rid.split(".")[0] in ts.Fixture.PLURALS:
            plural, op = rid.split(".", 1)
            base = "/api/v1/" + plural
            if op == "create":
                return method, base, fx.body(plural), {}
            if op == "list":
                return method, base, None, {}
            if op == "get":
                return method, base + "/" + self.fixture_id(plural), None, {}
            if op == "history":
                return method, base + "/" + self.fixture_id(plural) + "/history", None, {}
            if op == "import":
                return method, base + "/import", [fx.body(plural)], {}
            rec = self.fresh(plural)
            path = base + "/" + rec["id"]
            hdr = {"If-Match": '"%d"' % rec["version"]}
            if op == "replace":
                return method, path, rec["data"], hdr
            if op == "patch":
                return method, path, ts.Fixture.PATCHES[plural], hdr
            if op == "delete":
                return method, path, None, hdr
            raise AssertionError("unknown entity route " + rid)
        if rid == "tokens.revoke":
            _, t = self.srv.json("POST", "/api/v1/tokens", {"role": "auditor"}, expect=201)
            return method, "/api/v1/tokens/" + t["id"], None, {}
        if rid == "tokens.create":
            return method, route["path"], {"role": "auditor", "name": "walk"}, {}
        if rid == "documents.upload":
            return method, route["path"], os.urandom(64), {
                "Content-Type": "application/octet-stream"}
        if rid == "documents.get":
            return method, "/api/v1/documents/" + fx.doc_sha, None, {}
        if rid == "audit.entry":
            return method, "/api/v1/audit/entries/1", None, {}
        if rid == "audit.inclusion":
            return method, route["path"] + "?seq=1", None, {}
        if rid == "audit.consistency":
            return method, route["path"] + "?from=1", None, {}
        self.assertNotIn("{", route["path"], "no request built for " + rid)
        return method, route["path"], None, {}

    def call(self, route, token):
        method, path, body, headers = self.request_for(route)
        return self.srv.request(method, path, body, token=token, headers=headers)

    # ---- the walk -----------------------------------------------------------
    def test_every_route_and_role(self):
        self.assertEqual(self.matrix["roles"], ROLES)
        walked = 0
        for route in self.matrix["routes"]:
            for role in ROLES:
                access = route["access"][role]
                with self.subTest(route=route["id"], role=role, access=access):
                    status, _, body = self.call(route, self.tokens[role])
                    walked += 1
                    if access == "deny":
                        self.assertEqual(status, 403, body[:300])
                        err = json.loads(body)["error"]
                        self.assertEqual(err["code"], "forbidden")
                    else:
                        self.assertIn(status, (200, 201, 204), body[:300])
                    if access == "limited":
                        self.assertNotIn("payload", json.loads(body))
        self.assertEqual(walked, len(self.matrix["routes"]) * len(ROLES))

    def test_documented_matrix_matches_the_served_one(self):
        doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                           "api.md")
        rows = {}
        with open(doc) as f:
            for line in f:
                cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
                if len(cells) == 4 + len(ROLES) and cells[0] not in ("route", "---"):
                    rows[cells[0]] = cells[1:]
        served = {r["id"]: [r["method"], r["path"], r["auth"]] +
                  [r["access"][x] for x in ROLES] for r in self.matrix["routes"]}
        self.assertEqual(rows, served, "docs/api.md's role matrix is out of date")

    def test_every_protected_route_needs_a_valid_token(self):
        _, t = self.srv.json("POST", "/api/v1/tokens", {"role": "admin", "name": "to-revoke"},
                             expect=201)
        revoked = t["token"]
        st, _, _ = self.srv.request("DELETE", "/api/v1/tokens/" + t["id"])
        self.assertEqual(st, 204)
        unknown = "cst_" + "B" * 43
        for route in self.matrix["routes"]:
            method, path, body, headers = self.request_for(route)
            if route["auth"] == "public":
                st, _, _ = self.srv.request(method, path, body, token=None, headers=headers)
                self.assertEqual(st, 200, route["id"])
                continue
            for label, token, hdr in (("none", None, {}), ("unknown", unknown, {}),
                                      ("revoked", revoked, {}),
                                      ("malformed", None, {"Authorization": "Basic eDp5"})):
                with self.subTest(route=route["id"], token=label):
                    h = dict(headers)
                    h.update(hdr)
                    st, rh, data = self.srv.request(method, path, body, token=token, headers=h)
                    if route["auth"] == "token-or-loopback" and label == "none":
                        self.assertEqual(st, 200)  # metrics: loopback peer, no header
                        continue
                    self.assertEqual(st, 401, data[:300])
                    self.assertEqual(rh.get("www-authenticate"), "Bearer")
                    self.assertEqual(json.loads(data)["error"]["code"], "unauthorized")


if __name__ == "__main__":
    unittest.main()
