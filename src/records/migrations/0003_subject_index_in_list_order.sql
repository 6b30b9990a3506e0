-- The subject index ends with the record's entity and id.
--
-- A trainee's list of their own records (`GET /api/v1/attendance` with a
-- trainee token, or `?subject_id=...`) filters on subject_id and pages with
-- `entity = ? AND id > ? ORDER BY id`. With an index on subject_id alone,
-- SQLite walked every row of the entity by primary key and tested its
-- subject, so a trainee's page cost a scan of everyone's records. On
-- (subject_id, entity, id) the page is read in order from the index, and the
-- erasure of a subject reads its records in (entity, id) order without a
-- sort. records_test checks both query plans.
DROP INDEX records_subject;
CREATE INDEX records_subject ON records (subject_id, entity, id);
