#!/usr/bin/env python3
"""spod-host's daemon core is one-way layers (src/host/core/host_int.h): every host_*
function a file calls must be defined in that file or in one listed before it in the header
comment of host_int.h. Fails, naming the call, when a file reaches up."""
import os
import re
import sys

core = os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "src", "host", "core")
header = open(os.path.join(core, "host_int.h")).read()
comment = header[: header.index("*/")]
order = [m.group(1) for m in re.finditer(r"^ \*   ([a-z_]+)\.c\b", comment, re.M)]
if len(order) < 10:
    sys.exit("host_layers: cannot read the layer list from host_int.h")
listed = set(order)
defined = {}
for name in order:
    src = open(os.path.join(core, name + ".c")).read()
    for m in re.finditer(r"^[a-z][^\n;{]*?\b(host_[a-z_]+)\(", src, re.M):
        defined[m.group(1)] = name
bad = []
for i, name in enumerate(order):
    src = open(os.path.join(core, name + ".c")).read()
    for fn in sorted(set(re.findall(r"\b(host_[a-z_]+)\(", src))):
        where = defined.get(fn)
        if where is not None and order.index(where) > i:
            bad.append(f"{name}.c calls {fn}() of {where}.c, a layer above it")
unlisted = sorted(
    f[:-2] for f in os.listdir(core)
    if f.endswith(".c") and f[:-2] not in listed and f not in ("main.c", "config.c", "config_values.c", "config_http.c"))
for name in unlisted:
    bad.append(f"{name}.c is not in host_int.h's layer list")
for line in bad:
    print("host_layers:", line)
print(f"host_layers: {len(order)} files, {len(defined)} functions, "
      f"{'violations: ' + str(len(bad)) if bad else 'one-way'}")
sys.exit(1 if bad else 0)
