ALTER INDEX leads_full_name_trgm_idx RESET (fastupdate);
ALTER INDEX leads_search_words_idx RESET (fastupdate);
ALTER INDEX customers_display_name_trgm_idx RESET (fastupdate);
ALTER INDEX customers_search_words_idx RESET (fastupdate);
