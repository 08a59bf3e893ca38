DELETE FROM household_imports WHERE format = 'dtsen';
ALTER TABLE household_imports DROP CONSTRAINT household_imports_format_check;
ALTER TABLE household_imports ADD CONSTRAINT household_imports_format_check
    CHECK (format IN ('p3ke','dtks'));
DROP TABLE household_changes;
ALTER TABLE household_datasets DROP COLUMN kk_number;
DROP INDEX members_disability;
ALTER TABLE members DROP COLUMN working, DROP COLUMN in_school, DROP COLUMN chronic_illness,
    DROP COLUMN has_disability, DROP COLUMN disability;
DROP INDEX households_desil_national;
ALTER TABLE households DROP COLUMN not_in_latest_snapshot, DROP COLUMN asset_counts,
    DROP COLUMN pbi_regional, DROP COLUMN pbi_national, DROP COLUMN pln_customer_id,
    DROP COLUMN families_in_house, DROP COLUMN longitude, DROP COLUMN latitude,
    DROP COLUMN desil_regency, DROP COLUMN desil_province, DROP COLUMN desil_national;
