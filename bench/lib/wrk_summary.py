"""Prints "req/s p50 p99 non-2xx" (ms) from a `wrk --latency` report.

Used by bench/load.sh and bench/compare.sh: python3 bench/lib/wrk_summary.py FILE
"""
import re
import sys

text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def ms(label):
    m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {ms('50'):.1f} {ms('99'):.1f} {errors.group(1) if errors else 0}")
