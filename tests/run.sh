#!/bin/sh
# tests/run.sh - installs what the tests need (Debian 12, as root),
# builds with AddressSanitizer and UBSan, and runs every test (ctest).
# This is the README's test command and what CI runs.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		build-essential cmake pkg-config clang \
		libreadline-dev libsqlite3-dev libssl-dev libcmocka-dev \
		libnftables-dev nftables \
		iproute2 iputils-ping python3 ethtool tshark openssl \
		strongswan-charon strongswan-swanctl libcharon-extra-plugins \
		libstrongswan-extra-plugins libstrongswan-standard-plugins \
		> /dev/null
fi

build=${BUILD_DIR:-build-test}
CC=${CC:-clang} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
	-DSANITIZE=address,undefined -DFUZZ=ON
cmake --build "$build" -j "$(nproc)"
# Leak reports from the sanitizer runtime are errors too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
