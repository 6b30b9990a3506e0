"""The OpenAPI document against the server's real answers.

Every request below goes to a real `custos serve`; its status must be one the
document lists for the operation, and its JSON body must validate against the
schema the document gives for that status. Objects are closed: a key the
schema does not describe fails, as does an object schema that describes
nothing, so the document cannot drift from what the handlers send."""
import base64
import binascii
import json
import re
import unittest

from test_server import ADMIN, Fixture, ServerTestCase

DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


class SchemaError(AssertionError):
    pass


def validate(doc, schema, value, path="$"):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return validate(doc, doc["components"]["schemas"][name], value, path)
    if value is None:
        if schema.get("nullable") or "type" not in schema:
            return
        raise SchemaError("%s: null where the schema does not allow it" % path)
    t = schema.get("type")
    if t is None:
        return  # any JSON value (before/after images)
    if t == "object":
        if not isinstance(value, dict):
            raise SchemaError("%s: not an object" % path)
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            raise SchemaError("%s: the schema describes nothing of this object" % path)
        for key in schema.get("required", []):
            if key not in value:
                raise SchemaError("%s: required %r missing" % (path, key))
        for key, v in value.items():
            if props is not None and key in props:
                validate(doc, props[key], v, path + "." + key)
            elif isinstance(extra, dict):
                validate(doc, extra, v, path + "." + key)
            elif extra is not True:
                raise SchemaError("%s: %r is not described" % (path, key))
    elif t == "array":
        if not isinstance(value, list):
            raise SchemaError("%s: not an array" % path)
        for i, v in enumerate(value):
            validate(doc, schema.get("items", {}), v, "%s[%d]" % (path, i))
    elif t == "string":
        if not isinstance(value, str):
            raise SchemaError("%s: not a string" % path)
        fmt = schema.get("format")
        if fmt == "date-time" and not DATE_TIME.match(value):
            raise SchemaError("%s: not a date-time" % path)
        if fmt == "date" and not DATE.match(value):
            raise SchemaError("%s: not a date" % path)
        if fmt == "byte":
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error:
                raise SchemaError("%s: not base64" % path)
    elif t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise SchemaError("%s: not an integer" % path)
    elif t == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SchemaError("%s: not a number" % path)
    elif t == "boolean":
        if not isinstance(value, bool):
            raise SchemaError("%s: not a boolean" % path)
    else:
        raise SchemaError("%s: unknown type %r" % (path, t))
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError("%s: %r not in the enum" % (path, value))


class OpenApiAnswersTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        _, self.doc = self.srv.json("GET", "/api/v1/openapi.json", expect=200)
        self.checked = []

    def operation(self, method, path):
        parts = path.split("?")[0].split("/")
        for template, ops in self.doc["paths"].items():
            t = template.split("/")
            if len(t) == len(parts) and all(a == b or a.startswith("{") for a, b in zip(t, parts)):
                if method.lower() in ops:
                    return template, ops[method.lower()]
        self.fail("no operation for %s %s" % (method, path))

    def call(self, method, path, body=None, expect=None, **kw):
        template, op = self.operation(method, path)
        status, headers, data = self.srv.request(method, path, body, **kw)
        if expect is not None:
            self.assertEqual(status, expect, (method, path, data[:500]))
        declared = op["responses"].get(str(status))
        self.assertIsNotNone(declared, "%s %s answered %d, which the document does not list "
                             "(it lists %s)" % (method, template, status, sorted(op["responses"])))
        ctype = headers.get("content-type", "")
        content = declared.get("content", {})
        if ctype.startswith("application/json"):
            self.assertIn("application/json", content, (method, template, status))
            value = json.loads(data)
            try:
                validate(self.doc, content["application/json"]["schema"], value)
            except SchemaError as e:
                self.fail("%s %s %d: %s" % (method, template, status, e))
            self.checked.append((method, template, status))
            return status, value
        self.checked.append((method, template, status))
        return status, data

    def test_answers_match_the_document(self):
        fx = Fixture(self.srv)
        # Service routes.
        self.call("GET", "/health", expect=200, token=None)
        self.call("GET", "/api/v1/roles", expect=200)
        self.call("GET", "/api/v1/tokens", expect=200)
        self.call("POST", "/api/v1/tokens", {"role": "auditor", "name": "x"}, expect=201)
        _, tok = self.call("POST", "/api/v1/tokens", {"role": "trainee", "trainee": fx.trainee},
                           expect=201)
        self.call("POST", "/api/v1/tokens", {"name": "x"}, expect=422)
        self.call("POST", "/api/v1/tokens", "{", expect=400, ctype="application/json")
        # Every entity: create, read, list, change, history, import, delete.
        for plural in Fixture.PLURALS:
            _, rec = self.call("POST", "/api/v1/" + plural, fx.body(plural), expect=201)
            path = "/api/v1/%s/%s" % (plural, rec["id"])
            self.call("GET", path, expect=200)
            self.call("GET", "/api/v1/%s?limit=2" % plural, expect=200)
            self.call("GET", "/api/v1/%s?limit=0" % plural, expect=400)
            self.call("PATCH", path, Fixture.PATCHES[plural], headers={"If-Match": '"1"'},
                      expect=200)
            self.call("PATCH", path, Fixture.PATCHES[plural], headers={"If-Match": '"1"'},
                      expect=409)
            self.call("PATCH", path, Fixture.PATCHES[plural], expect=428)
            self.call("PUT", path, fx.body(plural) if plural != "trainees" else
                      dict(fx.body(plural), uln=rec["data"]["uln"]),
                      headers={"If-Match": '"2"'}, expect=200)
            self.call("POST", "/api/v1/" + plural, {"no_such_field": 1}, expect=422)
            self.call("POST", "/api/v1/" + plural, "x", expect=415, ctype="text/plain")
            self.call("GET", path + "/history", expect=200)
            self.call("GET", path + "/history?limit=1&after_seq=1", expect=200)
            self.call("GET", path + "/history?limit=0", expect=400)
            self.call("POST", "/api/v1/%s/import" % plural, [fx.body(plural)], expect=201)
            self.call("POST", "/api/v1/%s/import" % plural, [{"no_such_field": 1}], expect=422)
            self.call("GET", "/api/v1/%s/01NOSUCHRECORD000000000000" % plural, expect=404)
            self.call("DELETE", path, headers={"If-Match": '"3"'}, expect=204)
        self.call("DELETE", "/api/v1/employers/" + fx.employer, headers={"If-Match": '"1"'},
                  expect=422)
        # Documents.
        st, doc = self.call("POST", "/api/v1/documents", b"%PDF-1.4 openapi test",
                            ctype="application/octet-stream", expect=201)
        self.call("GET", "/api/v1/documents/" + doc["sha256"], expect=200)
        # The audit log, as admin, as a limited role and with bad arguments.
        _, health = self.call("GET", "/health", token=None, expect=200)
        size = health["last_seq"]
        self.call("POST", "/api/v1/audit/checkpoint", expect=200)
        self.call("GET", "/api/v1/audit/checkpoint", expect=200)
        self.call("GET", "/api/v1/audit/key", expect=200)
        self.call("GET", "/api/v1/audit/entries/3", expect=200)
        self.call("GET", "/api/v1/audit/entries/0", expect=400)
        self.call("GET", "/api/v1/audit/entries/99999999", expect=404)
        self.call("GET", "/api/v1/audit/proof/inclusion?seq=3&size=%d" % size, expect=200)
        self.call("GET", "/api/v1/audit/proof/inclusion?seq=%d&size=2" % size, expect=400)
        self.call("GET", "/api/v1/audit/proof/consistency?from=2&to=%d" % size, expect=200)
        self.call("GET", "/api/v1/audit/proof/consistency?from=%d&to=2" % size, expect=400)
        st, reg = self.call("POST", "/api/v1/tokens", {"role": "registrar"}, expect=201)
        _, limited = self.call("GET", "/api/v1/audit/entries/3", token=reg["token"], expect=200)
        self.assertEqual(limited.get("payload_status"), "withheld")
        # Authentication and roles.
        self.call("GET", "/api/v1/trainees", token=None, expect=401)
        self.call("POST", "/api/v1/trainees", fx.trainee_body(), token=tok["token"], expect=403)
        self.call("GET", "/metrics", expect=200)
        # Every status the document lists for these was met at least once.
        self.assertGreater(len(self.checked), 150)


if __name__ == "__main__":
    unittest.main()
