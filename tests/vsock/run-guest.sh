#!/usr/bin/env bash
# Boots the tests/vsock guest under QEMU (software emulation, no KVM) and waits for it.
#
#   run-guest.sh KERNEL INITRD CONSOLE_LOG RESULTS_LOG [TIMEOUT_SECONDS [CMDLINE]]
#
# KERNEL is a bzImage (the enclave image's, as vsock.sh boots it) or an uncompressed vmlinux
# (build-guest.sh's plain guest, booted through its PVH entry). CMDLINE defaults to the plain
# guest's; vsock.sh passes the EIF's own cmdline section.
# The guest's console (ttyS0: kernel messages and /init's output) goes to CONSOLE_LOG, its
# second serial port (ttyS1: only the RESULT lines) to RESULTS_LOG. QEMU is bounded by
# timeout(1) (default 300 s, then SIGKILL 5 s later). Exit status: QEMU's, i.e. 107 when
# /init reported pass through isa-debug-exit (byte 0x35 -> (0x35 << 1) | 1), 109 for fail,
# 0 when the guest powered off or panicked (-no-reboot) without reporting, 124 on timeout.
set -uo pipefail

KERNEL=${1:?usage: run-guest.sh KERNEL INITRD CONSOLE_LOG RESULTS_LOG [TIMEOUT [CMDLINE]]}
INITRD=${2:?}
CONSOLE=${3:?}
RESULTS=${4:?}
LIMIT=${5:-300}
CMDLINE=${6:-"console=ttyS0 loglevel=7 panic=-1 oops=panic rdinit=/init"}
MEM=${SPOD_VSOCK_MEM:-512}

command -v qemu-system-x86_64 >/dev/null || {
	echo "run-guest: qemu-system-x86_64 is missing (scripts/install-deps.sh installs qemu-system-x86)" >&2
	exit 127
}
: >"$CONSOLE"
: >"$RESULTS"

# -M pc, not microvm (which sometimes hangs at clock calibration under TCG). -nodefaults:
# no VGA, NIC or floppy to probe. No vsock device is given: the guest has no CID of its own
# and only talks to itself through vsock_loopback (CID 1).
# One vCPU by default: with two, every wake-up of a process on the other emulated CPU costs
# milliseconds under TCG (echo p50 through spod-host: 12 ms with -smp 2, 0.35 ms with 1),
# which swamps the transport being measured and makes the whole run slower (45 s vs 25 s).
exec timeout -k 5 "$LIMIT" qemu-system-x86_64 \
	-accel tcg -M pc -cpu max -smp "${SPOD_VSOCK_SMP:-1}" -m "$MEM" \
	-nodefaults -no-user-config -display none -no-reboot -monitor none \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "$CMDLINE" \
	-serial "file:$CONSOLE" -serial "file:$RESULTS" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	</dev/null
