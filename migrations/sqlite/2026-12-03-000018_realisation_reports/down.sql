DROP TABLE realisation_reports;
