-- Records, their journal and the subject keystore.
--
-- Times are unix microseconds (UTC). Record data is canonical JSON text as
-- produced by the records model; it is also the exact after-image bytes that
-- the journal commits to.

-- Current state: one row per live record. A deleted record has no row; its
-- history stays in the journal.
CREATE TABLE records (
  entity     TEXT    NOT NULL,
  id         TEXT    NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1),
  subject_id TEXT    NOT NULL,
  data       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (entity, id)
);
CREATE INDEX records_subject ON records (subject_id);
-- Expression indexes for the reference fields that lists filter on and that
-- referential checks look up.
CREATE INDEX records_trainee_id ON records (entity, json_extract(data, '$.trainee_id'));
CREATE INDEX records_enrollment_id ON records (entity, json_extract(data, '$.enrollment_id'));
CREATE INDEX records_programme_id ON records (entity, json_extract(data, '$.programme_id'));
CREATE INDEX records_employer_id ON records (entity, json_extract(data, '$.employer_id'));

-- The journal: one entry per committed change or audited event, appended in
-- the same transaction as the change. `leaf` holds no personal data (see
-- docs/audit-log.md); `payload` is encrypted under the subject's key.
CREATE TABLE journal (
  seq        INTEGER PRIMARY KEY,
  leaf       BLOB    NOT NULL,
  leaf_hash  BLOB    NOT NULL,
  payload    BLOB    NOT NULL,
  subject_id TEXT    NOT NULL,
  entity     TEXT    NOT NULL,
  record_id  TEXT    NOT NULL,
  time       INTEGER NOT NULL
);
CREATE INDEX journal_record ON journal (entity, record_id, seq);
CREATE INDEX journal_subject ON journal (subject_id, seq);

-- Per-subject keys, wrapped under the data directory's master key. Erasure
-- sets wrapped_key to NULL and records when.
CREATE TABLE subjects (
  subject_id   TEXT    PRIMARY KEY,
  pseudonym    TEXT    NOT NULL UNIQUE,
  wrapped_key  BLOB,
  created_at   INTEGER NOT NULL,
  destroyed_at INTEGER
);
