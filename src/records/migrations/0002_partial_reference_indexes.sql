-- The reference-field indexes keep only the rows that have the field.
--
-- Most records carry one or two of the four reference fields (an attendance
-- row has an enrollment_id and none of the others), yet every insert added an
-- entry to all four indexes, and every group commit rewrote the last page of
-- each. A partial index skips the rows where its field is absent (NULL).
--
-- Lookups are unchanged: `json_extract(data, '$.f') = ?` implies that the
-- field is not NULL, so SQLite still uses these indexes for list filters and
-- referential checks (records_test checks the query plans).
DROP INDEX records_trainee_id;
DROP INDEX records_enrollment_id;
DROP INDEX records_programme_id;
DROP INDEX records_employer_id;
CREATE INDEX records_trainee_id ON records (entity, json_extract(data, '$.trainee_id'))
  WHERE json_extract(data, '$.trainee_id') IS NOT NULL;
CREATE INDEX records_enrollment_id ON records (entity, json_extract(data, '$.enrollment_id'))
  WHERE json_extract(data, '$.enrollment_id') IS NOT NULL;
CREATE INDEX records_programme_id ON records (entity, json_extract(data, '$.programme_id'))
  WHERE json_extract(data, '$.programme_id') IS NOT NULL;
CREATE INDEX records_employer_id ON records (entity, json_extract(data, '$.employer_id'))
  WHERE json_extract(data, '$.employer_id') IS NOT NULL;
