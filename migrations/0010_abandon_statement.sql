-- Up Migration
-- Lets one statement abandon itself, and everything its data-modifying CTEs wrote, with a SQLSTATE its
-- caller recognises (AO001). The call recorder writes a batch's calls, events and charges in one statement
-- (shared/recording/calls.ts); when those charges reach a budget threshold that is not announced yet, it
-- abandons that statement and records the batch in a transaction, where the threshold is announced.
CREATE FUNCTION abandon_statement(reason text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'AO001', MESSAGE = reason;
END
$$;
