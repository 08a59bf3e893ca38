DROP TABLE program_recommendations;
DROP TABLE program_targets;
DROP TABLE programs;
