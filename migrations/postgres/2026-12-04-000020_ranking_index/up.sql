-- Recommendations read every candidate of a program's regions (the extreme
-- poor of a kecamatan: 4,400 families at 300,000) with the facts ranking
-- scores. From the table that is a page per family, scattered; with the facts
-- in the index it is one range of a few hundred pages (an index-only scan
-- once the table is vacuumed, as every import ends). It replaces the index it
-- extends, so imports maintain no more indexes than before (issue 17, item 3).
DROP INDEX households_desil;
CREATE INDEX households_desil ON households (desil, region_code)
    INCLUDE (status, id, percentile, roof_quality, wall_quality, floor_quality,
             roof_material, wall_material, floor_material, cooking_fuel,
             toilet_facility, drinking_water, lighting_source, stunting_risk);
