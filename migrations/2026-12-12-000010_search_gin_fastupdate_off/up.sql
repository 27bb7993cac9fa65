-- Live search at volume (issue 22): the name searches' GIN indexes without a pending list.
--
-- With `fastupdate` (the default) new entries wait in a pending list, unsorted, until a vacuum
-- or autoanalyze or the list's 4 MB limit moves them into the index; every search reads the
-- whole list meanwhile. After 100,000 customers were loaded, "martínez garcía" took 11 ms in
-- the index (the pending list) and 1.2 ms once it was flushed, twice per search (the rows and
-- their count): the live search's speed depended on when autovacuum had last run. Customers
-- and leads are written far less often than they are searched, so each insert now updates
-- the index directly. (The audit log's, written on every action and rarely searched, keeps
-- its pending list.)
ALTER INDEX customers_search_words_idx SET (fastupdate = off);
ALTER INDEX customers_display_name_trgm_idx SET (fastupdate = off);
ALTER INDEX leads_search_words_idx SET (fastupdate = off);
ALTER INDEX leads_full_name_trgm_idx SET (fastupdate = off);

-- What is pending now goes into the indexes at once.
SELECT gin_clean_pending_list('customers_search_words_idx'::regclass),
       gin_clean_pending_list('customers_display_name_trgm_idx'::regclass),
       gin_clean_pending_list('leads_search_words_idx'::regclass),
       gin_clean_pending_list('leads_full_name_trgm_idx'::regclass);
