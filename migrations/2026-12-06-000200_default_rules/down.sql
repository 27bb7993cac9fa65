DELETE FROM automation_runs WHERE rule_id IN (SELECT id FROM automation_rules WHERE system_key IS NOT NULL);
DELETE FROM automation_rules WHERE system_key IS NOT NULL;
