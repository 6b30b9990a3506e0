#!/usr/bin/env bash
# Starts moto_server (the AWS emulator) on a free loopback port for the S3 and
# RDS tests, with AWS Signature V4 enforced.
#
# Usage:
#   eval "$(tests/servers/moto.sh)"            # signatures enforced
#   eval "$(tests/servers/moto.sh --no-auth)"  # no enforcement (e.g. restic's
#                                              # streaming signatures, which moto rejects)
#   ... use $MOTO_ENDPOINT with $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY ...
#   kill "$MOTO_PID"
#
# Prints shell-sourceable lines on stdout and nothing else:
#   MOTO_ENDPOINT=http://127.0.0.1:<port>
#   MOTO_PID=<pid>
#   AWS_ACCESS_KEY_ID=<key of a fresh IAM user allowed s3:* and rds:*>
#   AWS_SECRET_ACCESS_KEY=<its secret>
# With --no-auth the keys are moto's fixed test keys (any key is accepted).
#
# How enforcement works: moto checks signatures once INITIAL_NO_AUTH_ACTION_COUNT
# requests have been served. The script makes exactly that many unauthenticated
# calls (iam create-user, put-user-policy, create-access-key); every request
# after them must be signed with the created key, so a wrong secret gets
# SignatureDoesNotMatch. The readiness probe uses /moto-api/, which is not
# counted.
#
# moto's signature check canonicalises the query string from its already
# decoded form, so every correctly signed request whose query carries a
# reserved character (a ListObjectsV2 prefix "vault/data/", a continuation
# token with '/' or '=') fails with SignatureDoesNotMatch -- awscli's own
# requests included. When moto is importable from python3, the server runs
# with that one function corrected to what AWS does (decoded pairs
# re-encoded per RFC 3986); otherwise plain moto_server runs.
#
# The server's log goes to $MOTO_LOG (default: a file in $TMPDIR, removed when
# the server exits). The server keeps running after the script exits; the
# caller stops it with MOTO_PID.
set -euo pipefail

auth=1
for arg in "$@"; do
  case "$arg" in
    --no-auth) auth=0 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "moto.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

command -v moto_server >/dev/null || { echo "moto.sh: moto_server not on PATH" >&2; exit 3; }
if [[ $auth == 1 ]]; then
  command -v aws >/dev/null || { echo "moto.sh: aws (awscli) not on PATH" >&2; exit 3; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:${port}"
log=${MOTO_LOG:-$(mktemp "${TMPDIR:-/tmp}/moto-${port}-XXXXXX.log")}

read -r -d '' patched_server <<'PY' || true
import sys
from urllib.parse import quote, urlsplit
from moto.iam import access_control

original = access_control.IAMRequestBase._create_aws_request

def create_aws_request(self):
    parts = urlsplit(self._path)
    if parts.query:
        pairs = []
        for item in parts.query.split("&"):
            key, _, value = item.partition("=")
            pairs.append(quote(key, safe="-_.~") + "=" + quote(value, safe="-_.~"))
        self._path = parts.path + "?" + "&".join(pairs)
    return original(self)

access_control.IAMRequestBase._create_aws_request = create_aws_request
from moto.server import main
sys.exit(main())
PY
server=(moto_server)
if python3 -c 'import moto.iam.access_control, moto.server' 2>/dev/null; then
  server=(python3 -c "$patched_server")
fi

setup_calls=3
if [[ $auth == 1 ]]; then
  INITIAL_NO_AUTH_ACTION_COUNT=$setup_calls setsid "${server[@]}" -H 127.0.0.1 -p "$port" \
    >"$log" 2>&1 </dev/null &
else
  setsid "${server[@]}" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
fi
pid=$!

fail() {
  echo "moto.sh: $*" >&2
  kill "$pid" 2>/dev/null || true
  tail -n 20 "$log" >&2 || true
  exit 1
}

for _ in $(seq 1 200); do
  if curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || fail "moto_server exited during start"
  sleep 0.1
done
curl -fsS -o /dev/null "$endpoint/moto-api/" || fail "moto_server did not answer on $endpoint"

if [[ $auth == 1 ]]; then
  # Any key works for the unauthenticated calls; the region is irrelevant for IAM.
  export AWS_ACCESS_KEY_ID=setup AWS_SECRET_ACCESS_KEY=setup AWS_DEFAULT_REGION=us-east-1
  export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  user="custos-test"
  policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","rds:*"],"Resource":"*"}]}'
  aws --endpoint-url "$endpoint" iam create-user --user-name "$user" >/dev/null \
    || fail "iam create-user failed"
  aws --endpoint-url "$endpoint" iam put-user-policy --user-name "$user" \
    --policy-name custos-all --policy-document "$policy" >/dev/null \
    || fail "iam put-user-policy failed"
  keys=$(aws --endpoint-url "$endpoint" iam create-access-key --user-name "$user" \
    --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text) \
    || fail "iam create-access-key failed"
  read -r key_id secret <<<"$keys"
  [[ -n $key_id && -n $secret ]] || fail "no access key in create-access-key's answer"
else
  key_id=testing
  secret=testing
fi

if [[ -z ${MOTO_LOG:-} ]]; then
  # The log this script made goes with the server (detached, so that the
  # caller reading our stdout does not wait for it).
  setsid bash -c 'tail --pid="$1" -f /dev/null; rm -f "$2"' _ "$pid" "$log" \
    >/dev/null 2>&1 </dev/null &
fi

echo "MOTO_ENDPOINT=$endpoint"
echo "MOTO_PID=$pid"
echo "AWS_ACCESS_KEY_ID=$key_id"
echo "AWS_SECRET_ACCESS_KEY=$secret"
