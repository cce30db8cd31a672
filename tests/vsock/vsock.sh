#!/usr/bin/env bash
# Real AF_VSOCK, end to end (docs/vsock.md). Boots Debian's kernel under QEMU (software
# emulation, no KVM) with an initramfs holding spod-enclave, spod-host, the CLI and the test
# helpers; the guest's /init (tests/vsock/init.sh) loads vsock_loopback and runs the
# signing path over CID 1: keys of every algorithm, sign + verify, malformed frames over
# vsock, 10 000 pipelined requests, and the echo round-trip latency of vsock and unix.
#
# This machine's own vsock is never used: no AF_VSOCK socket is opened and no vsock module
# is loaded here; only the guest does either.
#
# Passes only when the guest printed every expected "RESULT <step> ok" line on its results
# port and exited through isa-debug-exit with the pass code. Any failure, a guest that does
# not boot, a missing module or a timeout fail the test with the guest's console shown.
#
# Environment (tests/CMakeLists.txt): SPOD_BIN, SPOD_SRC, SPOD_SANITIZE (ON in the ASan
# build). Optional: SPOD_VSOCK_TIMEOUT (QEMU's bound, default 360 s), SPOD_VSOCK_CACHE,
# SPOD_VSOCK_PIPELINE, SPOD_VSOCK_RTT_N (see build-guest.sh), SPOD_VSOCK_SMP, SPOD_VSOCK_MEM.
set -euo pipefail

: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
HERE=$SPOD_SRC/tests/vsock
OUT=$SPOD_BIN/vsock
LIMIT=${SPOD_VSOCK_TIMEOUT:-360}
PASS_CODE=107 # isa-debug-exit: (0x35 << 1) | 1
EXPECTED=(boot modules enclave_ready host_ready info attest_pcrs
	keygen_ed25519 keygen_secp256k1 keygen_p256
	sign_verify_ed25519 sign_verify_secp256k1 sign_verify_p256 sign_vsock_direct
	badframes_vsock badframes_host sign_after_badframes pipeline rtt daemons_alive shutdown "done")

log() { printf '[vsock %s] %s\n' "$(date +%T)" "$*" >&2; }

mkdir -p "$OUT"
# One guest per build tree at a time (bounded wait).
exec 9>"$OUT/.lock"
flock -w 600 9 || {
	log "FAIL: another vsock test holds $OUT/.lock"
	exit 1
}

CONSOLE=$OUT/console.log
RESULTS=$OUT/results.log
rm -f "$CONSOLE" "$RESULTS"

# Lines as the guest wrote them: no \r, no terminal escape codes.
clean() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g'; }

show_console() {
	local n
	if [[ -s $CONSOLE ]]; then
		n=$(clean "$CONSOLE" | wc -l)
		printf '\n===== guest console (%s, %d lines) =====\n' "$CONSOLE" "$n" >&2
		if ((n <= 1200)); then
			clean "$CONSOLE" >&2
		else
			clean "$CONSOLE" | head -n 200 >&2
			printf '[... %d lines left out ...]\n' $((n - 1000)) >&2
			clean "$CONSOLE" | tail -n 800 >&2
		fi
		printf '===== end of guest console =====\n' >&2
	else
		printf '\n(the guest console is empty: QEMU did not start or the kernel printed nothing)\n' >&2
	fi
}

fail() {
	log "FAIL: $*"
	show_console
	exit 1
}

if [[ ${SPOD_SANITIZE:-OFF} =~ ^(ON|1|TRUE|YES)$ ]]; then
	# The guest runs the ASan+UBSan binaries as they are (clang links the runtime
	# statically) beside the image's own spod-enclave (the locked one, built without
	# sanitizers); the run takes longer, and leaks show up as a non-zero exit status of the
	# daemons at shutdown.
	log "sanitizer build: the guest runs the ASan+UBSan spod-host, CLI and helpers"
	export SPOD_VSOCK_MEM=${SPOD_VSOCK_MEM:-1024}
fi

t0=$SECONDS
log "building the enclave image and the guest in $OUT"
bash "$HERE/build-image-guest.sh" "$OUT" || fail "could not build the guest (see above)"
log "image: $(cat "$OUT/image/kind") ($OUT/image/spod-enclave.eif), $(grep '^PCR0' "$OUT/image/pcrs.txt")"

# The kernel, the cmdline and the ramdisks are the EIF's sections (docs/image.md); the
# test's archive comes after the ramdisks in the one initrd.
log "booting the EIF's kernel under QEMU (tcg, bounded by $LIMIT s), cmdline '$(cat "$OUT/boot/cmdline")'"
rc=0
bash "$HERE/run-guest.sh" "$OUT/boot/kernel" "$OUT/initrd.cpio" "$CONSOLE" "$RESULTS" "$LIMIT" \
	"$(cat "$OUT/boot/cmdline")" || rc=$?
elapsed=$((SECONDS - t0))

# The results channel (ttyS1); the console has the same lines if ttyS1 stayed empty.
mapfile -t lines < <(clean "$RESULTS" | grep -o 'RESULT .*' || true)
if ((${#lines[@]} == 0)); then
	mapfile -t lines < <(clean "$CONSOLE" | grep -o 'RESULT .*' || true)
fi
for l in "${lines[@]}"; do
	printf '%s\n' "$l" >&2
done

case $rc in
"$PASS_CODE") ;;
124 | 137) fail "QEMU timed out after $LIMIT s (guest hung or too slow)" ;;
109) fail "the guest reported failure (QEMU exit $rc)" ;;
0) fail "the guest stopped without reporting (kernel panic, /init died, or no isa-debug-exit)" ;;
127) fail "qemu-system-x86_64 is missing (scripts/install-deps.sh installs qemu-system-x86)" ;;
*) fail "QEMU exited with status $rc" ;;
esac

missing=()
for name in "${EXPECTED[@]}"; do
	found=0
	for l in "${lines[@]}"; do
		if [[ $l == "RESULT $name ok" || $l == "RESULT $name ok "* ]]; then
			found=1
			break
		fi
	done
	((found)) || missing+=("$name")
done
for l in "${lines[@]}"; do
	[[ $l != *" FAIL"* ]] || fail "a step failed: $l"
done
((${#missing[@]} == 0)) || fail "missing RESULT lines: ${missing[*]}"

# The benchmark numbers, once more on their own.
for l in "${lines[@]}"; do
	case $l in
	"RESULT rtt ok "* | "RESULT pipeline ok "* | "RESULT boot ok "*) log "bench: ${l#RESULT }" ;;
	esac
done
log "PASS: ${#EXPECTED[@]} steps ok in $elapsed s (guest log: $CONSOLE)"
