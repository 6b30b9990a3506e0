-- References to a trainee's records are looked up within that trainee's
-- records, and lose their own indexes.
--
-- A record may only name a trainee or an enrollment of its own trainee (the
-- store refuses a reference to another trainee's record, and no update moves
-- a record to another trainee). So every attendance row with enrollment_id E
-- has E's subject, and `?enrollment_id=E` is answered from records_subject:
-- the rows of E's trainee and of the entity, in id order, tested for E. A
-- trainee has a handful of enrollments, so that reads a few times the
-- matches at most; the referential check of a delete does the same within the
-- deleted record's subject.
--
-- Each of these indexes cost every write a page of its own: with writes spread
-- over many trainees, an attendance row's enrollment_id lands on a different
-- leaf page from the last one, and the group commit wrote that whole page to
-- the WAL again. The references to institution records (programme_id,
-- employer_id) keep their indexes: they do not say whose record it is.
DROP INDEX records_trainee_id;
DROP INDEX records_enrollment_id;
