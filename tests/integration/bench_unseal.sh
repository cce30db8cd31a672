#!/usr/bin/env bash
# bench/unseal.sh (the unseal row of `make bench`) runs, with 300 keys instead of 10 000: a
# custodian-mode pod replays every sealed key after an enclave restart and reports the time.
# A smoke test of the benchmark, not a measurement: no timing is asserted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

run bash "$SPOD_SRC/bench/unseal.sh" "$SPOD_BIN" 300
[[ $OUT == *"300 loaded, 0 refused"* && $OUT == *"300 keys held"* ]] ||
	fail "the unseal bench did not replay every key: $OUT"
log "$OUT"
