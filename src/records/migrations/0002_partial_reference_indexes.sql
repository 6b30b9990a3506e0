-- The reference-field indexes keep only the rows that have the field.
--
-- Most records carry one or two of the four reference fields (an attendance
-- row has an enrollment_id and none of the others), yet every insert added an
-- entry to all four indexes, and every group commit rewrote the last page of
-- each. A partial index skips the rows where its field is absent (NULL).
--
-- Lookups still use them: `json_extract(data, '$.f') = ?` implies that the
-- field is not NULL. The record id is now the last column, so a list filtered
-- on a reference field (`?enrollment_id=...`, paged by id) reads the matching
-- rows in order from the index; before, SQLite walked every row of the entity
-- by primary key and tested each. records_test checks both query plans.
DROP INDEX records_trainee_id;
DROP INDEX records_enrollment_id;
DROP INDEX records_programme_id;
DROP INDEX records_employer_id;
CREATE INDEX records_trainee_id ON records (entity, json_extract(data, '$.trainee_id'), id)
  WHERE json_extract(data, '$.trainee_id') IS NOT NULL;
CREATE INDEX records_enrollment_id ON records (entity, json_extract(data, '$.enrollment_id'), id)
  WHERE json_extract(data, '$.enrollment_id') IS NOT NULL;
CREATE INDEX records_programme_id ON records (entity, json_extract(data, '$.programme_id'), id)
  WHERE json_extract(data, '$.programme_id') IS NOT NULL;
CREATE INDEX records_employer_id ON records (entity, json_extract(data, '$.employer_id'), id)
  WHERE json_extract(data, '$.employer_id') IS NOT NULL;
