DROP TABLE exemption_letters;
DROP TABLE companies;
