DROP POLICY IF EXISTS portal_own ON receipts;
REVOKE ALL ON receipts FROM soriano_portal;
DROP TABLE receipts;
