ALTER TABLE household_imports DROP COLUMN dataset_id;
DROP TABLE household_datasets;
DROP TABLE datasets;
