# Node.js helpers for the integration tests that run JavaScript (interop_js.sh, clients_js.sh,
# lib_eth_node.sh); sourced after lib.sh. Callers set JS_SRC (a directory with package.json,
# package-lock.json and .npmrc), JS (where to install, under the build tree, never the source
# tree) and NPM_TIMEOUT.
# shellcheck shell=bash

# js_node_check WHAT: node and npm present, node 18 or later (WHAT names who needs it).
js_node_check() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		fail "node and npm are needed (scripts/install-deps.sh installs Debian's nodejs and npm)"
	fi
	NODE_VERSION=$(node --version)
	NPM_VERSION=$(npm --version)
	log "node $NODE_VERSION ($(command -v node)), npm $NPM_VERSION"
	if ! [[ $NODE_VERSION =~ ^v([0-9]+)\. ]] || ((BASH_REMATCH[1] < 18)); then
		fail "node $NODE_VERSION: $1 needs Node 18 or later"
	fi
}

# Installs the locked packages into $JS unless the same lock is already installed there.
js_install() {
	local want rc=0 registry
	mkdir -p "$JS"
	cp "$JS_SRC/package.json" "$JS_SRC/package-lock.json" "$JS_SRC/.npmrc" "$JS/"
	want="$(sha256sum "$JS_SRC/package-lock.json" | cut -d' ' -f1) node $NODE_VERSION npm $NPM_VERSION"
	if [[ -d $JS/node_modules && -f $JS/.installed && $(<"$JS/.installed") == "$want" ]]; then
		log "reusing the packages installed in $JS"
		return
	fi
	rm -f "$JS/.installed"
	registry=$(cd "$JS" && npm config get registry 2>/dev/null) || registry="(unknown)"
	log "npm ci into $JS from $registry (at most $NPM_TIMEOUT s)"
	(cd "$JS" && NPM_CONFIG_UPDATE_NOTIFIER=false timeout -k 10 "$NPM_TIMEOUT" \
		npm ci --cache "$JS/.npm-cache" --ignore-scripts --legacy-peer-deps --no-audit --no-fund \
		--fetch-timeout 60000 --fetch-retries 1 --loglevel warn) >"$T_DIR/npm.log" 2>&1 || rc=$?
	if ((rc != 0)); then # (npm.log is printed with the other logs)
		((rc == 124)) && fail "npm ci did not finish in $NPM_TIMEOUT s (registry $registry)"
		fail "npm ci failed (exit $rc): the locked packages could not be installed; is the npm registry $registry reachable?"
	fi
	echo "$want" >"$JS/.installed"
}
