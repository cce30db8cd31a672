#!/usr/bin/env bash
# `make stop`: stop the pod started by `make run` (host first, then the enclave, which wipes
# its keys on exit). SPOD_RUN_DIR names another directory than ./.run, as for run.sh.
set -uo pipefail
dir=${SPOD_RUN_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/.run"}
stopped=0
for name in spod-host spod-enclave; do
	pidfile="$dir/$name.pid"
	[ -f "$pidfile" ] || continue
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "$name (pid $pid) ignored SIGTERM; killing it"
			kill -KILL "$pid"
		fi
		echo "stopped $name (pid $pid)"
		stopped=1
	fi
	rm -f "$pidfile"
done
# Neither daemon removes its socket on exit; with both gone, nothing listens on them.
for sock in spod.sock enclave.sock; do
	[ -S "$dir/$sock" ] && rm -f "$dir/$sock" && echo "removed $sock"
done
[ $stopped = 1 ] || echo "no pod running"
