#!/usr/bin/env python3
"""Signs randomised requests with botocore's SigV4 signers at a fixed clock.

Writes one JSON object per line to stdout:
  {"service", "region", "method", "url", "headers": [[name, value]...],
   "access_key", "secret_key", "session_token", "payload_hash",
   "expected_authorization", "expected_headers": {name: value}}
`headers` is the request before signing; `expected_headers` are the headers
botocore added (X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-SHA256).

The requests exercise what canonicalisation gets wrong: unicode, spaces and
reserved characters in paths (dot and empty segments too), repeated query keys,
empty values and keys without '=', header values with runs of spaces and tabs,
repeated and mixed-case header names, headers botocore does not sign, S3 (no
path normalisation, content hash header) and rds (normalised, double-encoded).
"""

import argparse
import datetime
import hashlib
import json
import random
import sys
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED_NOW = datetime.datetime(2015, 8, 30, 12, 36, 0)

SEGMENT_CHARS = list("abcXYZ019-_.~ !$&'()*+,;=:@%") + ["ä", "日本", "ß", "\U0001F600", "é"]
QUERY_CHARS = list("abcXYZ019-_.~ !$'()*+,;:@/?%") + ["ü", "日", "="]
VALUE_CHARS = list("abcXYZ019-_.~!$'()*+,;=:@/?%\"<>")


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def enc(s):
    """Strict RFC 3986 encoding, the form Custos' URLs arrive in."""
    return quote(s, safe="-_.~")


def rand_path(rng, service):
    segs = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.08:
            segs.append(".")
        elif r < 0.16 and service != "s3":
            segs.append("..")
        elif r < 0.24:
            segs.append("")
        else:
            segs.append(enc(rand_text(rng, SEGMENT_CHARS, 1, 8)))
    path = "/" + "/".join(segs)
    if rng.random() < 0.2:
        path += "/"
    return path


def rand_query(rng):
    parts = []
    keys = [enc(rand_text(rng, QUERY_CHARS, 1, 6)) for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(0, 5)):
        key = rng.choice(keys)  # repeats on purpose
        r = rng.random()
        if r < 0.15:
            parts.append(key)  # no '=' at all
        elif r < 0.3:
            parts.append(key + "=")
        else:
            parts.append(key + "=" + enc(rand_text(rng, QUERY_CHARS, 1, 8)))
    return "&".join(parts)


def odd_spaces(rng, value):
    pad = lambda: rng.choice(["", " ", "  ", "\t", " \t "])
    words = value.split(" ")
    inner = "".join(w + rng.choice([" ", "  ", "\t", " \t  "]) for w in words[:-1]) + words[-1]
    return pad() + inner + pad()


def rand_headers(rng):
    headers = []
    names = ["X-Custom-" + str(i) for i in range(3)] + ["x-amz-meta-Owner", "Content-Type"]
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(names)
        name = rng.choice([name, name.lower(), name.upper()])
        words = [rand_text(rng, VALUE_CHARS, 1, 6) for _ in range(rng.randint(1, 3))]
        headers.append([name, odd_spaces(rng, " ".join(words))])
    if rng.random() < 0.3:
        headers.append(["User-Agent", "custos/0.1 (not signed)"])
    if rng.random() < 0.2:
        headers.append(["Expect", "100-continue"])
    if rng.random() < 0.2:
        headers.append(["Range", "bytes=%d-%d" % (rng.randint(0, 9), rng.randint(10, 99))])
    return headers


def make_case(rng):
    service = rng.choice(["s3", "rds"])
    region = rng.choice(["us-east-1", "eu-central-1", "ap-southeast-2"])
    if service == "s3":
        host = rng.choice(["bucket-1.s3.%s.amazonaws.com" % region, "127.0.0.1:9000",
                           "s3.%s.wasabisys.com" % region])
    else:
        host = "rds.%s.amazonaws.com" % region
    method = rng.choice(["GET", "PUT", "POST", "HEAD", "DELETE"])
    url = rng.choice(["https://", "http://"]) + host + rand_path(rng, service)
    if rng.random() < 0.7:
        url += "?" + rand_query(rng)
    body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64))) \
        if method in ("PUT", "POST") else b""
    token = rand_text(rng, list("ABCdef0123+/="), 20, 60) if rng.random() < 0.5 else None
    access_key = "AKID" + rand_text(rng, list("ABCDEFGHIJKLMNOP0123456789"), 12, 12)
    secret_key = rand_text(rng, list("abcdefABCDEF0123456789+/"), 40, 40)
    headers = rand_headers(rng)

    req = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        req.headers[name] = value  # appends: repeated names stay repeated
    creds = Credentials(access_key, secret_key, token)
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(creds, service, region)
    signer.add_auth(req)

    added = {}
    for name in ("X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
        if name in req.headers:
            added[name] = req.headers[name]
    payload_hash = added.get("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())
    return {
        "service": service,
        "region": region,
        "method": method,
        "url": url,
        "headers": headers,
        "access_key": access_key,
        "secret_key": secret_key,
        "session_token": token or "",
        "payload_hash": payload_hash,
        "expected_authorization": req.headers["Authorization"],
        "expected_headers": added,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20150830)
    args = ap.parse_args()
    botocore.auth.get_current_datetime = lambda *a, **k: FIXED_NOW
    rng = random.Random(args.seed)
    for _ in range(args.count):
        sys.stdout.write(json.dumps(make_case(rng)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
