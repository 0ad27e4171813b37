#!/usr/bin/python3
"""Parses a Prometheus text exposition with the official Python client's
parser (Debian python3-prometheus-client) and prints every sample as JSON:
[{"family", "type", "help", "name", "labels", "value"}]. Exit code 3 when
the parser is not installed (the calling test skips), 1 when the text does
not parse."""
import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit(3)

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
out = []
try:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.append({"family": family.name, "type": family.type, "help": family.documentation,
                        "name": s.name, "labels": s.labels, "value": s.value})
except Exception as e:  # the parser raises ValueError and friends
    print(json.dumps({"error": str(e)}))
    sys.exit(1)
print(json.dumps(out))
