"""Summarises `spectral lint -f json` output: results per rule and severity,
and for each rule where it points (schemas with their properties, operations
with their parameters, bodies and responses), so the schema work can fix them.

usage: spectral_summary.py SPEC RESULTS_JSON [--markdown] [--all]
Prints plain text (or Markdown); --all adds locations of warning rules too.
"""
import collections
import json
import sys

SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    markdown, everything = "--markdown" in sys.argv, "--all" in sys.argv
    spec = json.load(open(args[0]))
    results = json.load(open(args[1]))

    def node(path):
        cur = spec
        for p in path:
            try:
                cur = cur[int(p)] if isinstance(cur, list) else cur[p]
            except (KeyError, IndexError, ValueError, TypeError):
                return None
        return cur

    def where(path):
        """(group, detail): `schema X` / `METHOD /path`, and the place inside it."""
        path = [str(p) for p in path]
        if path[:2] == ["components", "schemas"] and len(path) > 2:
            rest = path[3:]
            detail = ".".join(p for p in rest if p != "properties") or "(itself)"
            return f"schema {path[2]}", detail
        if path[:1] == ["components"] and len(path) > 2:
            return f"components.{path[1]}.{path[2]}", ".".join(path[3:]) or "(itself)"
        if path[:1] == ["paths"] and len(path) > 2:
            op = f"{path[2].upper()} {path[1]}" if len(path) > 2 else path[1]
            rest = path[3:]
            if rest[:1] == ["parameters"] and len(rest) > 1:
                p = node(path[:5]) or {}
                detail = f"parameter {p.get('name', rest[1])} ({p.get('in', '?')})" + (
                    "." + ".".join(rest[2:]) if len(rest) > 3 else "")
            elif rest[:1] == ["requestBody"]:
                detail = "requestBody " + ".".join(rest[2:3]) + (
                    " " + ".".join(rest[3:]) if len(rest) > 3 else "")
            elif rest[:1] == ["responses"] and len(rest) > 1:
                detail = f"response {rest[1]}" + (" " + ".".join(rest[2:]) if len(rest) > 2 else "")
            else:
                detail = ".".join(rest) or "(itself)"
            return op, detail
        return ".".join(path[:2]), ".".join(path[2:])

    counts = collections.Counter((x["severity"], x["code"]) for x in results)
    errors = sum(v for (s, _), v in counts.items() if s == 0)
    warnings = sum(v for (s, _), v in counts.items() if s == 1)
    out = []
    h = (lambda t: out.append(f"\n### {t}\n")) if markdown else (lambda t: out.append(f"\n{t}"))
    out.append(f"spectral: {errors} errors, {warnings} warnings, {len(results)} results")
    h("Results per rule")
    if markdown:
        out.append("| severity | rule | count | message (first) |\n|---|---|---|---|")
    first_msg = {}
    for x in results:
        first_msg.setdefault(x["code"], x["message"])
    for (sev, code), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
        msg = first_msg[code].replace("|", "\\|")
        out.append(f"| {SEVERITY[sev]} | `{code}` | {n} | {msg} |" if markdown
                   else f"  {SEVERITY[sev]:7} {n:5}  {code}  ({msg})")

    for (sev, code), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
        if sev != 0 and not everything:
            continue
        h(f"{SEVERITY[sev]} `{code}` — {n}" if markdown else f"{SEVERITY[sev]} {code} ({n}):")
        groups = collections.OrderedDict()
        for x in results:
            if x["code"] == code:
                g, d = where(x["path"])
                groups.setdefault(g, []).append(d)
        for g in sorted(groups, key=lambda g: (not g.startswith("schema"), g)):
            ds = sorted(set(groups[g]))
            line = f"{g} ({len(groups[g])}): " + ", ".join(ds)
            out.append(f"- {line}" if markdown else f"  - {line}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
