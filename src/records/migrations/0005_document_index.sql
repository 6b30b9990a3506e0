-- Evidence records by the document they reference.
--
-- A document download journals a read for every trainee whose evidence
-- references the document, and a trainee may download only documents their
-- own evidence references: both look evidence up by document_sha256, which
-- read every evidence row without an index. Like the reference indexes
-- (0002), it holds only the rows that have the field, and the record id ends
-- it so that the lookup (a list filtered on the field) reads in id order.
CREATE INDEX records_document_sha256 ON records (entity, json_extract(data, '$.document_sha256'), id)
  WHERE json_extract(data, '$.document_sha256') IS NOT NULL;
