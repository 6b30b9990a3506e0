#!/usr/bin/env bash
# The embedded-defaults demo: a local vault in ./demo, a generated sample of
# training records, one backup, a change, a second backup, a restore that is
# verified byte for byte, and a full check.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOS="$PWD/build/release/src/cli/custos"
DEMO="${CUSTOS_DEMO_DIR:-$PWD/demo}"
export CUSTOS_REPO="$DEMO/vault"
export CUSTOS_PASSWORD="${CUSTOS_PASSWORD:-custos-demo-password}"
rm -rf "$DEMO"
mkdir -p "$DEMO"

echo "== generating sample training records in $DEMO/records"
gen="$PWD/../shared/bench/gen_dataset.py"
if [ -f "$gen" ]; then
  python3 "$gen" "$DEMO/records" 0.02 >/dev/null
else
  python3 - "$DEMO/records" <<'PY'
import os, random, sqlite3, sys
out = sys.argv[1]; os.makedirs(out + "/documents", exist_ok=True)
c = sqlite3.connect(out + "/records.db")
c.execute("CREATE TABLE trainees(id INTEGER PRIMARY KEY, uln TEXT, given TEXT, family TEXT)")
rnd = random.Random(7)
c.executemany("INSERT INTO trainees VALUES(?,?,?,?)", ((i, str(rnd.randrange(10**9, 10**10)), "Ada", "Smith") for i in range(20000)))
c.commit()
for i in range(8):
    open(f"{out}/documents/evidence_{i:03d}.pdf", "wb").write(rnd.randbytes(300_000))
PY
fi

echo "== custos init (local vault at $CUSTOS_REPO)"
"$CUSTOS" init
echo "== custos backup"
"$CUSTOS" backup "$DEMO/records" --tag demo
echo "== a record changes; custos backup again (only changed data is stored)"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE trainees SET email='moved@example.org' WHERE id=3\") if c.execute(\"SELECT count(*) FROM pragma_table_info('trainees') WHERE name='email'\").fetchone()[0] else c.execute(\"UPDATE trainees SET family='Okafor' WHERE id=3\"); c.commit()" "$DEMO/records/records.db"
"$CUSTOS" backup "$DEMO/records" --tag demo
echo "== custos snapshots"
"$CUSTOS" snapshots
echo "== custos restore latest"
"$CUSTOS" restore latest --target "$DEMO/restore"
diff -r "$DEMO/records" "$DEMO/restore$DEMO/records" && echo "restored tree is identical to the source"
echo "== custos check --read-data"
"$CUSTOS" check --read-data
echo "== custos stats"
"$CUSTOS" stats
echo
echo "Demo vault: $CUSTOS_REPO (password: \$CUSTOS_PASSWORD). Try: $CUSTOS -r $CUSTOS_REPO ls latest"
