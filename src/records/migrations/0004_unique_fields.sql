-- Fields the records model marks unique (FieldSpec::unique): a trainee's
-- Unique Learner Number and an employer's Companies House number.
--
-- The store looks the value up in the write transaction and names the record
-- that already holds it; these indexes make that lookup one probe and make
-- the database itself refuse a second live record with the value. Each holds
-- only its entity's rows that have the field, so writes of other entities
-- (attendance, assessments, ...) do not touch it. A deleted or erased record
-- has no row, so its value is free again.
--
-- A database in which two live records already share such a value cannot
-- take this migration: it stops with "UNIQUE constraint failed" and the index
-- name, changes nothing, and the store does not open until one of the two
-- records is corrected with the binary that wrote them.
CREATE UNIQUE INDEX records_unique_trainee_uln ON records (json_extract(data, '$.uln'))
  WHERE entity = 'trainee' AND json_extract(data, '$.uln') IS NOT NULL;
CREATE UNIQUE INDEX records_unique_employer_company_number
  ON records (json_extract(data, '$.company_number'))
  WHERE entity = 'employer' AND json_extract(data, '$.company_number') IS NOT NULL;
