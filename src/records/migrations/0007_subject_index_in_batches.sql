-- A trainee's journal entries are indexed in batches: one row per trainee per
-- batch, not one index entry per write.
--
-- journal_subject (subject_id, seq) took one entry per write, and with writes
-- spread over many trainees each landed on a different leaf page, so every
-- group commit wrote one more whole page to the WAL per write. Now, once
-- enough entries have gathered since the last batch, the store adds to
-- journal_subject_runs one row per trainee that has new entries: their seqs,
-- ascending, as decimal text separated by commas, keyed by the trainee and
-- the last of them. journal_subject_indexed holds the last seq so indexed. A
-- trainee's history reads the runs, then the journal's rows after that seq (a
-- batch at most), in one read transaction.
CREATE TABLE journal_subject_runs (
  subject_id TEXT    NOT NULL,
  last_seq   INTEGER NOT NULL,
  seqs       TEXT    NOT NULL,
  PRIMARY KEY (subject_id, last_seq)
) WITHOUT ROWID;
CREATE TABLE journal_subject_indexed (
  only        INTEGER PRIMARY KEY CHECK (only = 1),
  through_seq INTEGER NOT NULL
);
-- The existing entries, in runs of at most 8192 seqs of one trainee.
INSERT INTO journal_subject_runs (subject_id, last_seq, seqs)
  SELECT subject_id, MAX(seq), group_concat(seq)
  FROM (SELECT subject_id, seq FROM journal ORDER BY subject_id, seq)
  GROUP BY subject_id, seq / 8192;
INSERT INTO journal_subject_indexed (only, through_seq)
  VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM journal));
DROP INDEX journal_subject;
