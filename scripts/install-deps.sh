#!/usr/bin/env bash
# Install what spod needs to build, test, fuzz and benchmark on Debian 12.
# Idempotent: asks apt only for packages that are missing, so a second run is fast
# and needs no network.  Runs as root, or through sudo when it is available.
set -euo pipefail

packages=(
  # build
  build-essential pkg-config cmake ninja-build
  # libraries the code links
  libssl-dev libsodium-dev libsecp256k1-dev libcbor-dev libseccomp-dev libsqlite3-dev
  libmicrohttpd-dev libjansson-dev libinih-dev libgfshare-dev
  # spod-host's eth-downstream: JSON-RPC calls to an Ethereum node (src/host/http/eth_node.c)
  libcurl4-openssl-dev
  # tests: unit framework, sanitizers and libFuzzer (clang-rt), independent verifiers
  libcmocka-dev clang libclang-rt-14-dev openssl
  python3 python3-cryptography python3-ecdsa python3-pycryptodome python3-cbor2 python3-yaml sqlite3
  # libgfshare's own gfsplit/gfcombine: a second opinion on spod's Shamir shares (tests/unit/test_shamir.c)
  libgfshare-bin
  # curl: tests/integration/sign_tx.sh drives the HTTP API with it
  curl
  # gdb's gcore: tests/integration/secrets_scan.sh takes a core of the running spod-host and
  # searches it for private keys, shares and the seal key
  gdb
  # strace: the untimed system-call pass of `make bench-trace` (bench/run.sh --trace)
  strace
  # tooling: make format / make lint
  clang-format cppcheck
  # tests/vsock: QEMU (provides qemu-system-x86_64; TCG, no KVM needed), a static busybox and
  # cpio for the guest's initramfs, xz to extract vmlinux from Debian's kernel image. The
  # kernel package itself is not installed: tests/vsock/build-guest.sh fetches it with
  # `apt-get download` into the build tree.
  qemu-system-x86 busybox-static cpio xz-utils
  # make image: the build root of the locked packages (image/lock.sh) is made with mmdebstrap
  # from a local repository indexed with dpkg-scanpackages (dpkg-dev, part of build-essential)
  mmdebstrap
  # make bench: the peer rows (bench/peers.c) sign with SoftHSM2 through PKCS#11 (softhsm2; the
  # header is p11-kit's, libp11-kit-dev) and with ssh-agent (openssh-client); bench/plot.sh
  # draws the latency CDFs with gnuplot
  softhsm2 libp11-kit-dev openssh-client gnuplot-nox
)
# tests/integration/interop_js.sh: ethers and @solana/web3.js (npm ci of tests/interop/js) on
# Debian's Node 18 and npm 9. A node and npm already on PATH do instead (NodeSource's nodejs
# bundles npm and conflicts with Debian's npm package, which would replace it).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
