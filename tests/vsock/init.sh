#!/bin/sh
# /init of the tests/vsock guest (busybox sh, PID 1). Loads the vsock modules, runs
# spod-enclave on vsock (the guest reaches itself at CID 1 through vsock_loopback) and
# spod-host in front of it, drives them, and reports:
#   - every step as one line "RESULT <name> ok [k=v ...]" or "RESULT <name> FAIL <why>" on
#     the console (ttyS0) and on ttyS1, the results channel the host-side script reads;
#   - pass or fail through QEMU's isa-debug-exit device (port 0xf4): byte 0x35 = pass
#     (QEMU exits 107), 0x36 = fail (QEMU exits 109).
# Every step is bounded (busybox timeout, polling loops with deadlines).
# Settings come from /etc/spod-vsock.conf (written by build-guest.sh).

export PATH=/bin:/spod/bin
export SPOD_DATA_DIR=/tmp/spod
umask 022

# Two ways to get here. The test (tests/vsock/vsock.sh) boots the enclave image (docs/image.md):
# its /init (image/init.sh) mounts, loads the vsock modules and execs this script as
# /test-init with SPOD_IMAGE_INIT=1 and SPOD_ENCLAVE_ARGS (how the image starts
# spod-enclave). The plain guest of bench/vsock.sh (build-guest.sh) runs this as /init.
if [ -z "${SPOD_IMAGE_INIT:-}" ]; then
	/bin/busybox mount -t devtmpfs dev /dev
	/bin/busybox mount -t proc proc /proc
	/bin/busybox --install -s /bin
	exec </dev/console >/dev/console 2>&1
	mount -t sysfs sys /sys
	mount -t tmpfs tmp /tmp
fi
mkdir -p /tmp/spod && chmod 700 /tmp/spod

# shellcheck disable=SC1091 # written by build-guest.sh
. /etc/spod-vsock.conf
PORT=${SPOD_VSOCK_PORT:-5005}
PIPELINE_N=${SPOD_VSOCK_PIPELINE:-10000}
RTT_N=${SPOD_VSOCK_RTT_N:-2000}
ENCLAVE_URI=vsock://any:$PORT
ENCLAVE_VSOCK=vsock://1:$PORT
ENCLAVE_UNIX=unix:///tmp/enclave-unix.sock
HOST_URI=unix:///tmp/spod.sock
# ASan builds: leaks through the exit status, as in tests/integration/lib.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

FAILED=0
ENCLAVE_PID=
ENCLAVE2_PID=
HOST_PID=

result() { # NAME ok|FAIL [details...]
	line="RESULT $*"
	echo "$line"
	# Opened and closed per line: the last close of a tty waits until its output drained,
	# so nothing is lost when QEMU exits right after.
	echo "$line" >/dev/ttyS1
	[ "$2" = ok ] || FAILED=1
}

uptime_cs() { # seconds since boot in hundredths
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds or the time is up.
wait_for() {
	limit=$(($(uptime_cs) + $1 * 100))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(uptime_cs)" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# A live process (a zombie, killed but not yet waited for, is not).
alive() {
	[ -n "$1" ] && [ -r /proc/"$1"/stat ] || return 1
	[ "$(cut -d' ' -f3 /proc/"$1"/stat)" != Z ]
}
dead() { ! alive "$1"; }

hexrand() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

show_logs() {
	for f in /tmp/*.log; do
		[ -e "$f" ] || continue
		echo "===== guest $f (last 60 lines) ====="
		tail -n 60 "$f"
	done
}

# debug_exit pass|fail: one byte to isa-debug-exit's port 0xf4 (244) stops QEMU.
debug_exit() {
	if [ "$1" = pass ]; then printf '\065'; else printf '\066'; fi |
		dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
}

finish() {
	sync
	if [ "$FAILED" = 0 ]; then
		result "done" ok
		debug_exit pass
	else
		show_logs
		result "done" FAIL "some step failed"
		debug_exit fail
	fi
	# Only reached if the exit device is missing: power off (QEMU then exits 0 = fail).
	echo "isa-debug-exit did not stop the guest"
	poweroff -f
}

# run_step NAME SECONDS CMD...: runs CMD bounded; output in /tmp/NAME.out; 0 on success.
run_step() {
	name=$1 secs=$2
	shift 2
	timeout "$secs" "$@" >/tmp/"$name".out 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- $name: exit $rc: $*"
		tail -n 40 /tmp/"$name".out
	fi
	return $rc
}

BOOT_CS=$(uptime_cs)
result boot ok "kernel=$(uname -r)" "uptime_s=$(printf '%d.%02d' $((BOOT_CS / 100)) $((BOOT_CS % 100)))"

# ---- modules: vsock core, the virtio transport common code, the loopback transport
bad_mod=
if [ -n "${SPOD_IMAGE_INIT:-}" ]; then
	# The image's /init loaded them (or failed to): only check.
	for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do
		grep -q "^$m " /proc/modules || bad_mod=$m
	done
	how=image_init
else
	for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do
		if ! insmod /lib/modules/$m.ko; then
			bad_mod=$m
			break
		fi
	done
	how=insmod
fi
loaded=$(cut -d' ' -f1 /proc/modules | tr '\n' ',')
if [ -z "$bad_mod" ] && grep -q '^vsock_loopback ' /proc/modules; then
	result modules ok "loaded=$loaded" "how=$how"
else
	result modules FAIL "${bad_mod:-?} not loaded ($how); loaded: $loaded"
	finish
fi

# ---- bench mode (bench/vsock.sh): /spod/bench-init.sh measures and ends the run itself
if [ "${SPOD_VSOCK_MODE:-test}" = bench ]; then
	# shellcheck disable=SC1091 # installed by build-guest.sh
	. /spod/bench-init.sh
fi

# ---- the pod: enclave on vsock (and a second one on unix, for the RTT comparison), host
# As the image starts it (image/init.sh: --listen vsock://any:5005 --nsm sim --image
# /spod/image.eif), else the plain guest's way.
# shellcheck disable=SC2086 # split on purpose
spod-enclave ${SPOD_ENCLAVE_ARGS:---listen $ENCLAVE_URI} --log-level info >/tmp/enclave.log 2>&1 &
ENCLAVE_PID=$!
t0=$(uptime_cs)
if wait_for 30 spod --uri "$ENCLAVE_VSOCK" --timeout 2000 info && alive "$ENCLAVE_PID"; then
	result enclave_ready ok "uri=$ENCLAVE_URI" "ms=$((($(uptime_cs) - t0) * 10))"
else
	result enclave_ready FAIL "spod info over $ENCLAVE_VSOCK did not answer in 30 s"
	finish
fi
spod-host --listen "$HOST_URI" --enclave "$ENCLAVE_VSOCK" --http off --log-level info \
	>/tmp/host.log 2>&1 &
HOST_PID=$!
t0=$(uptime_cs)
if wait_for 30 spod --uri "$HOST_URI" --timeout 2000 info && alive "$HOST_PID"; then
	result host_ready ok "uri=$HOST_URI" "enclave=$ENCLAVE_VSOCK" "ms=$((($(uptime_cs) - t0) * 10))"
	# the admin token spod-host wrote on first start, for the libspod programs below
	SPOD_TOKEN=$(cat "$SPOD_DATA_DIR/admin.token")
	export SPOD_TOKEN
else
	result host_ready FAIL "spod-host did not serve $HOST_URI in 30 s"
	finish
fi
echo "--- spod-enclave's log so far:"
head -n 20 /tmp/enclave.log
if run_step info 30 spod --uri "$HOST_URI" info; then
	result info ok "$(tr '\n' ' ' </tmp/info.out | sed 's/  */ /g')"
else
	result info FAIL "spod info through the host"
fi

# ---- attestation of the booted image (vsock.sh): a document from the enclave's simulated
# NSM, which measured the EIF at /spod/image.eif, must verify under the dev root with the
# PCRs `spod measure` computed on the build machine (/spod-test/expected.conf; a file in the
# test's extra archive, not a kernel argument: the cmdline is measured) and the cmdline the
# kernel got must be the EIF's.
if [ -r /spod-test/expected.conf ]; then
	# shellcheck disable=SC1091 # written by tests/vsock/build-image-guest.sh
	. /spod-test/expected.conf
	NONCE=$(hexrand 32)
	got_cmdline=$(cat /proc/cmdline)
	if [ "$got_cmdline" != "$EXPECT_CMDLINE" ]; then
		result attest_pcrs FAIL "/proc/cmdline '$got_cmdline' is not the EIF's '$EXPECT_CMDLINE'"
	elif ! run_step attest 30 spod --uri "$ENCLAVE_VSOCK" attest --nonce "$NONCE" \
		--out /tmp/doc.cbor; then
		result attest_pcrs FAIL "spod attest over $ENCLAVE_VSOCK: exit $rc"
	elif ! run_step attest_verify 30 spod attest verify /tmp/doc.cbor --root dev \
		--nonce "$NONCE" --pcr 0="$EXPECT_PCR0" --pcr 1="$EXPECT_PCR1" --pcr 2="$EXPECT_PCR2"; then
		result attest_pcrs FAIL "the document does not carry the EIF's PCRs: $(tail -n2 /tmp/attest_verify.out | tr '\n' ' ')"
	elif timeout 30 spod attest verify /tmp/doc.cbor --root dev \
		--pcr 0="$(echo "$EXPECT_PCR0" | tr 0-9a-f 1-9a-f0)" >/dev/null 2>&1; then
		result attest_pcrs FAIL "a wrong PCR0 verified too"
	else
		result attest_pcrs ok "pcr0=$(echo "$EXPECT_PCR0" | cut -c1-16)..." \
			"pcr1=$(echo "$EXPECT_PCR1" | cut -c1-16)..." \
			"pcr2=$(echo "$EXPECT_PCR2" | cut -c1-16)..." "doc_bytes=$(wc -c </tmp/doc.cbor)"
	fi
fi

# ---- keys of every algorithm, sign and verify each (through the host, i.e. over vsock)
MSG=$(hexrand 48)
DIGEST=$(hexrand 32)
OTHER=$(hexrand 32)
KEYS=
for alg in ed25519 secp256k1 p256; do
	if run_step keygen_$alg 30 spod --uri "$HOST_URI" keys generate --alg $alg; then
		# shellcheck disable=SC2046 # ID ALG PUBLIC, split on purpose
		set -- $(head -n1 /tmp/keygen_$alg.out)
		if [ "$2" = "$alg" ] && [ ${#1} = 32 ]; then
			eval "ID_$alg=$1 PUB_$alg=$3"
			KEYS="$KEYS $1"
			result keygen_$alg ok "id=$1"
		else
			result keygen_$alg FAIL "unexpected output: $(head -n1 /tmp/keygen_$alg.out)"
		fi
	else
		result keygen_$alg FAIL "exit $rc"
	fi
done

# sign_verify URI ALG: signs over URI and verifies offline (and a wrong message must not).
sign_verify() {
	uri=$1 alg=$2 id='' pub=''
	eval "id=\${ID_$alg:-} pub=\${PUB_$alg:-}"
	[ -n "$id" ] || { echo "no $alg key"; return 1; }
	if [ "$alg" = ed25519 ]; then
		opt=--message data=$MSG
	else
		opt=--digest data=$DIGEST
	fi
	run_step sign 30 spod --uri "$uri" sign "$id" "$opt" "$data" || return 1
	sig=$(head -n1 /tmp/sign.out)
	[ ${#sig} = 128 ] || { echo "signature '$sig'"; return 1; }
	run_step verify 30 spod verify --alg "$alg" --public "$pub" "$opt" "$data" --signature "$sig" ||
		return 1
	timeout 30 spod verify --alg "$alg" --public "$pub" "$opt" "$OTHER" --signature "$sig" \
		>/dev/null 2>&1
	rc=$?
	[ $rc = 6 ] || { echo "verify of a wrong message: exit $rc, want 6"; return 1; }
	return 0
}

for alg in ed25519 secp256k1 p256; do
	if sign_verify "$HOST_URI" "$alg"; then
		result "sign_verify_$alg" ok "sig=$(echo "$sig" | cut -c1-16)..."
	else
		result "sign_verify_$alg" FAIL "see the console"
	fi
done

# The CLI straight to the enclave over vsock, no host in between.
ok=1
for alg in ed25519 secp256k1 p256; do
	sign_verify "$ENCLAVE_VSOCK" "$alg" || ok=0
done
if [ $ok = 1 ]; then
	result sign_vsock_direct ok "uri=$ENCLAVE_VSOCK"
else
	result sign_vsock_direct FAIL "see the console"
fi

# ---- malformed frames: straight to the enclave over vsock, then through the host
if run_step badframes_vsock 240 vsock_badframes "$ENCLAVE_VSOCK"; then
	result badframes_vsock ok "$(sed -n 's/^summary: //p' /tmp/badframes_vsock.out)"
else
	result badframes_vsock FAIL "exit $rc: $(grep FAIL /tmp/badframes_vsock.out | head -n3 | tr '\n' ' ')"
fi
if run_step badframes_host 240 vsock_badframes "$HOST_URI"; then
	result badframes_host ok "$(sed -n 's/^summary: //p' /tmp/badframes_host.out)"
else
	result badframes_host FAIL "exit $rc: $(grep FAIL /tmp/badframes_host.out | head -n3 | tr '\n' ' ')"
fi
ok=1
if ! alive "$ENCLAVE_PID" || ! alive "$HOST_PID"; then
	echo "a daemon died under malformed frames"
	ok=0
fi
for alg in ed25519 secp256k1 p256; do
	sign_verify "$HOST_URI" "$alg" || ok=0
	sign_verify "$ENCLAVE_VSOCK" "$alg" || ok=0
done
if [ $ok = 1 ]; then
	result sign_after_badframes ok
else
	result sign_after_badframes FAIL "see the console"
fi

# ---- pipelined signing through the host: unix socket to spod-host, vsock to the enclave
t0=$(uptime_cs)
if run_step pipeline 300 it_pipeline "$HOST_URI" check "$PIPELINE_N" 1024; then
	summary=$(grep '^pipelined:' /tmp/pipeline.out)
	ms=$(echo "$summary" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
	verified=$(echo "$summary" | sed -n 's/.*: \([0-9]*\) signatures verified.*/\1/p')
	notfound=$(echo "$summary" | sed -n 's/.*, \([0-9]*\) KEY_NOT_FOUND.*/\1/p')
	missing=$(((PIPELINE_N + 2) / 10)) # it_pipeline: request i names a missing key when i % 10 == 7
	if [ "$verified" = $((PIPELINE_N - missing)) ] && [ "$notfound" = "$missing" ]; then
		result pipeline ok "n=$PIPELINE_N" "verified=$verified" "key_not_found=$notfound" \
			"ms=$ms" "per_s=$((PIPELINE_N * 1000 / (ms + 1)))"
	else
		result pipeline FAIL "unexpected summary: $summary"
	fi
else
	result pipeline FAIL "exit $rc: $(grep FAIL /tmp/pipeline.out | head -n3 | tr '\n' ' ')"
fi

# ---- round-trip latency: echo straight to the enclave over vsock, the same enclave code
# on a unix socket, and the full path (unix to spod-host, vsock to spod-enclave)
spod-enclave --listen "$ENCLAVE_UNIX" --log-level warn >/tmp/enclave-unix.log 2>&1 &
ENCLAVE2_PID=$!
if wait_for 30 spod --uri "$ENCLAVE_UNIX" --timeout 2000 info &&
	run_step rtt 240 vsock_rtt -n "$RTT_N" -s 64 vsock="$ENCLAVE_VSOCK" unix="$ENCLAVE_UNIX" \
		host="$HOST_URI"; then
	result rtt ok "$(tail -n1 /tmp/rtt.out)"
else
	result rtt FAIL "exit $rc: $(tail -n3 /tmp/rtt.out | tr '\n' ' ')"
fi

# ---- the daemons survived everything and stop cleanly on SIGTERM
if alive "$ENCLAVE_PID" && alive "$HOST_PID" && alive "$ENCLAVE2_PID"; then
	result daemons_alive ok
else
	result daemons_alive FAIL "enclave $(alive "$ENCLAVE_PID" && echo up || echo down)," \
		"host $(alive "$HOST_PID" && echo up || echo down)"
fi
# stop PID: SIGTERM, bounded wait, then SIGKILL; sets $st to the exit status.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait_for 20 dead "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1"
	st=$?
}
stop "$HOST_PID"
h=$st
stop "$ENCLAVE_PID"
e=$st
stop "$ENCLAVE2_PID"
e2=$st
if [ "$h" = 0 ] && [ "$e" = 0 ] && [ "$e2" = 0 ]; then
	result shutdown ok
else
	result shutdown FAIL "exit status after SIGTERM: host $h, enclave $e, unix enclave $e2"
fi
finish
