DROP TABLE delivery_evidence;
DROP TABLE deliveries;
