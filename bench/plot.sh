#!/usr/bin/env bash
# bench/plot.sh RESULT.json [OUT.png]: draws the latency CDF of every row of a spod-bench
# result (every object with a "hist" member: spod's rows, the reference rows and the peers)
# with gnuplot, x = latency in us (log scale), y = fraction of requests at or below it; one
# panel per algorithm and one for the rows that belong to none. OUT defaults to RESULT with
# .png for .json. Needs python3 and gnuplot (Debian: gnuplot-nox); without gnuplot it says so
# and exits 0, so `make bench` never fails for want of a plot.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	sed -n '2,7s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
json=$1
png=${2:-${json%.json}.png}
if ! command -v gnuplot >/dev/null; then
	echo "bench/plot.sh: gnuplot is not installed (Debian: gnuplot-nox): no plot" >&2
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spod-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

python3 - "$json" "$tmp" "$png" <<'EOF'
import json, sys

src, tmp, png = sys.argv[1:]
run = json.load(open(src))
ALGS = ["ed25519", "secp256k1", "p256"]
PANEL_TITLE = {"ed25519": "Ed25519 (32-byte message)", "secp256k1": "secp256k1 (32-byte digest)",
               "p256": "P-256 (32-byte digest)", "other": "reference and other rows"}
NAMES = {"in_process_us": "in-process (a)", "pod_sync_us": "pod sync (b)",
         "http_sync_us": "HTTP sync (h)", "pipelined": "pipelined (c)",
         "softhsm": "SoftHSM2 C_Sign", "sshagent": "ssh-agent", "chain": "2-hop chain",
         "pipelined": "pipelined (c)", "eth_1559": "sign.tx eth", "eth_1559_policy10": "sign.tx eth + policy",
         "sol_transfer": "sign.tx sol", "sol_transfer_policy10": "sign.tx sol + policy",
         "raw_unix_rtt_us": "raw RTT", "pod_echo_us": "pod ECHO",
         "evidence_per_signature_us": "evidence"}
TX_ALG = {"eth_1559": "secp256k1", "eth_1559_policy10": "secp256k1",
          "sol_transfer": "ed25519", "sol_transfer_policy10": "ed25519"}

rows = []  # (panel, label, [(x_us, fraction)])
# One colour per kind of row in every panel; the peers are dashed.
PEERS = ("SoftHSM2 C_Sign", "ssh-agent", "2-hop chain")
COLORS = {"in-process (a)": "#7b2fbf", "pod sync (b)": "#009e73", "HTTP sync (h)": "#56b4e9",
          "pipelined (c)": "#e69f00", "sign.tx eth": "#cc79a7", "sign.tx sol": "#cc79a7",
          "sign.tx eth + policy": "#882255", "sign.tx sol + policy": "#882255",
          "SoftHSM2 C_Sign": "#d55e00", "ssh-agent": "#0072b2", "2-hop chain": "#000000"}
SPARE = ["#7b2fbf", "#009e73", "#56b4e9", "#e69f00", "#d55e00", "#0072b2", "#000000",
         "#cc79a7", "#999933", "#882255"]

def color(label, k):
    return COLORS.get(label, SPARE[k % len(SPARE)])

def label_of(path):
    words = []
    for p in path:
        if p in ("latency_us", "rows", "algorithms", "peers", "sign_tx_us") or isinstance(p, int):
            continue
        words.append(NAMES.get(p, p.replace("_us", "").replace("_", " ")))
    return " ".join(words) or "row"

def walk(node, path, panel):
    if isinstance(node, dict):
        if "algorithm" in node and node.get("algorithm") in ALGS:
            panel = node["algorithm"]
        if isinstance(node.get("hist"), dict) and node.get("n"):
            add(node, path, panel)
            return
        for k, v in node.items():
            walk(v, path + [k], TX_ALG.get(k, panel))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, path + [i], panel)

def add(stats, path, panel):
    h = stats["hist"]
    total = h["under"] + sum(h["counts"]) + h["over"]
    if total == 0:
        return
    step = 10 ** (1.0 / h["per_decade"])
    pts, cum = [], h["under"]
    for i, c in enumerate(h["counts"]):
        if c == 0 and (cum == 0 or cum == total):
            continue
        if not pts:  # the curve starts at 0 on the lower edge of the first bucket
            pts.append((h["lo_us"] * step ** i, cum / total))
        cum += c
        pts.append((h["lo_us"] * step ** (i + 1), cum / total))
    if pts:
        rows.append((panel, label_of(path), pts))

walk({k: v for k, v in run.items() if k not in ("config", "machine")}, [], "other")
panels = [p for p in ALGS + ["other"] if any(r[0] == p for r in rows)]
with open(tmp + "/cdf.dat", "w") as f:
    for _, _, pts in rows:
        for x, y in pts:
            f.write("%.4f %.6f\n" % (x, y))
        f.write("\n\n")
m = run.get("machine", {})
title = "spod-bench %s, N=%s per row, %s CPUs, commit %s" % (
    run.get("timestamp"), run.get("config", {}).get("n"), m.get("nproc"),
    m.get("git_commit") or "unknown")
with open(tmp + "/cdf.gp", "w") as g:
    g.write('set terminal pngcairo noenhanced size 1600,1100 font "sans,10"\n')
    g.write('set output "%s"\n' % png.replace('"', ''))
    g.write('set multiplot layout 2,2 title "%s"\n' % title)
    g.write('set logscale x\nset xlabel "latency, us (log)"\nset ylabel "fraction <= x"\n')
    g.write('set yrange [0:1.02]\nset grid\nset key right bottom font ",8"\n')
    for p in panels:
        idx = [i for i, r in enumerate(rows) if r[0] == p]
        g.write('set title "%s"\n' % PANEL_TITLE[p])
        g.write("plot " + ", \\\n  ".join(
            '"%s/cdf.dat" index %d with steps lw 2 lc rgb "%s" dt %d title "%s"'
            % (tmp, i, color(rows[i][1], k), 2 if rows[i][1] in PEERS else 1, rows[i][1])
            for k, i in enumerate(idx)) + "\n")
    g.write("unset multiplot\n")
print("bench/plot.sh: %d rows in %d panels" % (len(rows), len(panels)))
EOF
gnuplot "$tmp/cdf.gp"
echo "bench/plot.sh: $png"
