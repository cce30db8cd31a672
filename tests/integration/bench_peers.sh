#!/usr/bin/env bash
# The peer rows of `make bench` (bench/run.sh: a pod, a private ssh-agent, spod-bench) at
# N = 200: spod's sync row and the SoftHSM2, ssh-agent and two-hop-chain rows are printed
# with their ratio to spod, the JSON keeps a full latency histogram per row, and bench/plot.sh
# draws the CDF when gnuplot is installed. A peer whose tool is missing must be reported as
# skipped, never fail the run. A smoke test of the benchmark: no timing is asserted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

RES=$T_DIR/results
# Sanitizer builds: SoftHSM2 2.6.1 leaks an OpenSSL object per ECDSA C_Sign in spod-bench's
# process; leaks whose allocation passes through its module are not spod's. Full stacks are
# needed to see that (the fast unwinder stops in libcrypto).
printf 'leak:libsofthsm2.so\n' >"$T_DIR/lsan.supp"
export ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$T_DIR/lsan.supp
run bash "$SPOD_SRC/bench/run.sh" "$SPOD_BIN" --n 200 --warmup 20 \
	--rows sync,softhsm,sshagent,chain --out "$RES"
log "$OUT"

# Each peer: rows with spod's p50 and a ratio, or one "skipped" line.
peer_rows() { # TITLE ALG...
	local title=$1 alg
	shift
	if grep -Eq "^$title +skipped: " <<<"$OUT"; then
		log "$title skipped (its tool is missing here)"
		return 1
	fi
	for alg in "$@"; do
		grep -Eq "^$title +$alg +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x" <<<"$OUT" ||
			fail "no $title $alg row with a ratio to spod"
	done
}
have_hsm=1 have_agent=1
peer_rows "softhsm C_Sign" ed25519/raw secp256k1/digest p256/digest || have_hsm=0
peer_rows "ssh-agent" ed25519/raw p256/digest || have_agent=0
peer_rows "2-hop chain" ed25519/raw secp256k1/digest p256/digest ||
	fail "the two-hop chain needs no tool and must run"
# The aims the peers carry are marked.
grep -Eq '^2-hop chain +p256/digest .*x  (PASS|MISS)$' <<<"$OUT" || fail "chain aim not marked"
if ((have_agent)); then
	grep -Eq '^ssh-agent +ed25519/raw .*x  (PASS|MISS)$' <<<"$OUT" || fail "agent aim not marked"
fi
# Installed on this machine (scripts/install-deps.sh) means measured.
if [[ -e /usr/lib/softhsm/libsofthsm2.so ]] && ((!have_hsm)); then
	fail "SoftHSM2 is installed but its row was skipped"
fi
if command -v ssh-agent >/dev/null && ((!have_agent)); then
	fail "ssh-agent is installed but its row was skipped"
fi

json=$(sed -n 's/^results: \([^ ]*\.json\).*/\1/p' <<<"$OUT")
[[ -f $json ]] || fail "no results file named in the output"
# Every measured row has percentiles and a full histogram whose counts add up to its n.
$PY - "$json" "$have_hsm" "$have_agent" <<'EOF' || fail "the JSON's histograms are wrong"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"chain": 3, "softhsm": 3 * int(sys.argv[2]), "sshagent": 2 * int(sys.argv[3])}
def check(s, what):
    h = s["hist"]
    assert h["lo_us"] == 1 and h["per_decade"] == 20 and len(h["counts"]) == 120, what
    assert h["under"] + sum(h["counts"]) + h["over"] == s["n"] == 200, what
    assert 0 < s["p50"] <= s["p99"] <= s["p99_9"], what
for a in d["algorithms"]:
    check(a["pod_sync_us"], a["algorithm"] + " sync")
for peer, n in want.items():
    rows = d["peers"][peer]["rows"]
    assert len(rows) == n and d["peers"][peer]["skipped"] is None or n == 0, peer
    for r in rows:
        check(r["latency_us"], peer + " " + r["algorithm"])
        assert r["pod_sync_p50_over_peer_p50"] > 0, peer
EOF

if command -v gnuplot >/dev/null; then
	[[ -s ${json%.json}.png ]] || fail "gnuplot is installed but no CDF plot was drawn"
	[[ $(head -c 4 "${json%.json}.png" | od -An -c | tr -d ' ') == *PNG* ]] ||
		fail "the plot is not a PNG"
fi
log "peer rows, histograms and plot present"
