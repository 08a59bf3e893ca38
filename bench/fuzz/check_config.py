"""Checks the schemathesis.toml that seed.py wrote, as schemathesis itself
reads it: an id handed to a DELETE is handed to no other operation.

Otherwise a GET or PATCH would meet the record after the DELETE removed it
and answer 404, which the stateful phase reports as "created resource not
found" whenever it follows a POST. (A config entry's include filters are
OR-ed: a path regex with include-method selects every method on the path.)

usage: check_config.py CONFIG_TOML OPENAPI_JSON   (run with schemathesis's python)
"""
import json
import sys

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import overrides

config_path, contract_path = sys.argv[1], sys.argv[2]
config = SchemathesisConfig.from_path(config_path)
schema = schemathesis.openapi.from_dict(json.load(open(contract_path)), config=config)

handed = []  # (label, method, {parameter: value})
for result in schema.get_all_operations():
    op = result.ok()
    params = overrides.for_operation(schema.config, operation=op).path_parameters
    if params:
        handed.append((op.label, op.method.upper(), params))

# What a DELETE removes is named by its path's last parameter; the ones
# before it (the program of a target) stay.
deleted = set()
for label, method, params in handed:
    if method == "DELETE":
        last = label.rsplit("{", 1)[1].rstrip("}")
        if last in params:
            deleted.add((last, params[last]))
clashes = [(label, name, value) for label, method, params in handed if method != "DELETE"
           for name, value in params.items() if (name, value) in deleted]
for label, name, value in clashes:
    print(f"{label} gets {name}={value}, which a DELETE removes")
print(f"{len(handed)} operations get seeded ids; {len(clashes)} share one with a DELETE")
sys.exit(1 if clashes else 0)
