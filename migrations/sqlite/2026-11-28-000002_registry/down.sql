DROP TABLE household_imports;
DROP TABLE members;
DROP TABLE households;
