#!/usr/bin/env bash
# tests/vm/kernel.sh SUITE OUT: fetch Debian's cloud kernel of SUITE
# (bookworm: 6.1 LTS; trixie: 6.12 LTS) from Debian's archive with apt,
# unpack it (dpkg-deb -x: nothing is installed on this host) and print its
# version. OUT/VERSION/ gets vmlinuz, config and lib/modules/VERSION/.
# Cached: a kernel already unpacked is reused (VM_REFRESH=1 fetches anew).
set -euo pipefail
suite=$1
mkdir -p "$2" && out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

# An apt of its own per suite (lists and cache under OUT/apt): the host's
# sources and state are read, never changed.
apt_opts() {
	local d=$out/apt/$suite
	echo -o Dir::Etc::SourceList="$d/$suite.sources" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Dir::State::Status=/dev/null \
		-o APT::Sandbox::User=root
}

stamp=$out/$suite.version
if [ -s "$stamp" ] && [ -z "${VM_REFRESH:-}" ] && [ -e "$out/$(cat "$stamp")/vmlinuz" ]; then
	cat "$stamp"
	exit 0
fi

d=$out/apt/$suite
mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$out/debs"
printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
	"$(vm_mirror)" "$suite" >"$d/$suite.sources"
# shellcheck disable=SC2046
apt-get -q $(apt_opts) update >&2
# shellcheck disable=SC2046
pkg=$(apt-cache $(apt_opts) depends linux-image-cloud-amd64 |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$pkg" ] || { echo "kernel.sh: no cloud kernel in $suite" >&2; exit 1; }
ver=${pkg#linux-image-}
# shellcheck disable=SC2046
(cd "$out/debs" && apt-get -q $(apt_opts) download "$pkg" >&2)
rm -rf "$out/$ver.tmp"
dpkg-deb -x "$out/debs/${pkg}"_*.deb "$out/$ver.tmp"
mkdir -p "$out/$ver.tmp/lib"
[ -d "$out/$ver.tmp/usr/lib/modules" ] && mv "$out/$ver.tmp/usr/lib/modules" "$out/$ver.tmp/lib/"
mv "$out/$ver.tmp/boot/vmlinuz-$ver" "$out/$ver.tmp/vmlinuz"
mv "$out/$ver.tmp/boot/config-$ver" "$out/$ver.tmp/config"
rm -rf "$out/$ver.tmp/boot" "$out/$ver.tmp/usr" "$out/$ver.tmp/etc" "$out/$ver"
mv "$out/$ver.tmp" "$out/$ver"
echo "$ver" >"$stamp"
echo "$ver"
