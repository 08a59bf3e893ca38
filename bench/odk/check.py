"""The ODK check of bench/odk/check.sh: the form through pyxform and ODK
Validate, then an ODK Central export written from the converted XForm's
field names back through POST /api/v1/verification-submissions.
Arguments: base password xls2xform out_dir."""
import csv, io, json, os, subprocess, sys, uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rbpk_client import Api  # noqa: E402

base, password, xls2xform, out = sys.argv[1:5]
N = 12
XF = "{http://www.w3.org/2002/xforms}"


def fail(msg):
    sys.exit(f"FAIL: {msg}")


api = Api(base, password)
pid, targets = api.consolidated_program(2030, N, title="Verifikasi lapangan ODK")
verifier = api.token("verifier")

st, headers, form = api.raw("GET", f"/api/v1/programs/{pid}/verification-form", verifier)
if st != 200:
    fail(f"GET verification-form: {st} {form[:300]!r}")
xlsx = os.path.join(out, "form.xlsx")
xml_path = os.path.join(out, "form.xml")
with open(xlsx, "wb") as f:
    f.write(form)
print(f"form: {len(form)} bytes, {headers.get('Content-Disposition')}")

# pyxform's conversion, then ODK Validate (JavaRosa, as ODK Collect parses
# it); no warning either.
run = subprocess.run([xls2xform, "--json", "--odk_validate", xlsx, xml_path], capture_output=True, text=True)
try:
    # The report is the last line pyxform prints (to stderr with --json).
    report = json.loads((run.stdout + run.stderr).strip().splitlines()[-1])
except (ValueError, IndexError):
    fail(f"xls2xform: rc={run.returncode}\n{run.stdout}\n{run.stderr}")
print(f"xls2xform --odk_validate: {report}")
if run.returncode != 0 or report.get("code") != 100 or report.get("warnings"):
    fail(f"xls2xform: rc={run.returncode} {report}\n{run.stderr}")

root = ET.parse(xml_path).getroot()
instances = root.iter(XF + "instance")
primary = None
choices = {}
for inst in instances:
    if inst.get("id") is None:
        primary = list(inst)[0]
    else:
        choices[inst.get("id")] = [i.findtext(XF + "name") for i in inst.iter(XF + "item")]
if primary is None:
    fail("no primary instance in the XForm")
if sorted(choices.get("target", [])) != sorted(targets):
    fail(f"the form's target choices are not the program's targets: {choices.get('target')}")
print(f"XForm: form id {primary.get('id')}, version {primary.get('version')}, {len(choices['target'])} target choices")

# The fields as ODK Central names its CSV columns: groups joined by `-`,
# a geopoint split in four.
binds = {b.get("nodeset"): b.get("type") for b in root.iter(XF + "bind")}
columns = []
def walk(el, path):
    for child in el:
        name = child.tag.replace(XF, "")
        p = path + [name]
        if len(child):
            walk(child, p)
        elif binds.get("/" + primary.tag.replace(XF, "") + "/" + "/".join(p)) == "geopoint":
            columns.extend("-".join(p) + s for s in ("-Latitude", "-Longitude", "-Altitude", "-Accuracy"))
        else:
            columns.append("-".join(p))
walk(primary, [])
header = ["SubmissionDate"] + columns + ["KEY", "SubmitterID", "SubmitterName", "ReviewState", "FormVersion"]
for needed in ("target_id", "visited_on", "result", "location-Latitude", "consent_to_share", "meta-instanceID", "end"):
    if needed not in header:
        fail(f"the XForm has no field for `{needed}`: {header}")

buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
w.writeheader()
for i, t in enumerate(targets):
    iid = f"uuid:{uuid.uuid4()}"
    w.writerow({"SubmissionDate": f"{api.day(0)}T03:00:00.000Z", "start": f"{api.day(0)}T09:00:00.000+08:00",
                "end": f"{api.day(0)}T09:10:00.000+08:00", "target_id": t, "visited_on": api.day(0),
                "result": "eligible" if i % 4 else "ineligible", "notes": "Rumah papan, atap bocor",
                "location-Latitude": -0.43, "location-Longitude": 116.98, "location-Altitude": 10,
                "location-Accuracy": 4.5, "consent_to_share": "yes" if i % 2 else "no",
                "photo": "1733300000.jpg", "meta-instanceID": iid, "KEY": iid,
                "SubmitterID": 5, "SubmitterName": "verifikator", "FormVersion": primary.get("version")})
body = buf.getvalue().encode()
for attempt, expected in (("first", {"created": N, "duplicate": 0, "conflict": 0, "rejected": 0}),
                          ("resend", {"created": 0, "duplicate": N, "conflict": 0, "rejected": 0})):
    st, _, raw = api.raw("POST", "/api/v1/verification-submissions", verifier, body, "text/csv")
    answer = json.loads(raw or b"null")
    if st != 200 or answer["summary"] != expected:
        fail(f"{attempt} submission: {st} {json.dumps(answer)[:2000]}")
    print(f"submissions ({attempt}): {answer['summary']}")
print("ODK check passed")
