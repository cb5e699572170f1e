#!/usr/bin/env bash
# tests/vm/mkroot.sh FLAVOUR VMDIR KVER...: a Debian 12 root for the test VM,
# built from Debian's archive, as VMDIR/root-FLAVOUR.img (ext4, raw), with
# the modules of each kernel KVER (unpacked by kernel.sh under
# VMDIR/kernels/) and, for each, VMDIR/kernels/KVER/initrd.img.
#
#   full     debootstrap minbase + every package `make deps` installs (read
#            from the Makefile) + initramfs-tools: the kernel matrix runs
#            the suites in it without installing anything
#   minbase  debootstrap minbase + git, make, sudo: a fresh machine, where
#            the README's `sudo make test` installs what it needs itself
#
# Both get /sbin/vm-init (mounts what a booted system has, runs the project
# disk's job, powers off), the kernels' module trees (files, as a machine
# has its kernel's) and a resolver pointing at qemu's user network. Cached:
# rebuilt when RECIPE, the package list, vm-init or initrd-net change; a
# kernel's modules and initrd are added to a cached root.
# Nothing is mounted on the host (debootstrap runs in a mount namespace of
# its own) and no loop device is used (mkfs.ext4 -d).
set -euo pipefail
flavour=$1 vmdir=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/common.sh"

case $flavour in
full) pkgs="$(make -s -C "$top" --no-print-directory deps-list) initramfs-tools sudo git" ;;
minbase) pkgs="git make sudo" ;;
*) echo "mkroot.sh: flavour full or minbase" >&2; exit 2 ;;
esac
dir=$vmdir/root-$flavour
img=$vmdir/root-$flavour.img
# what the root is made of: bump RECIPE when a change below changes the root
RECIPE=1
key=$( { echo "$RECIPE $pkgs"; cat "$here/vm-init" "$here/initrd-net"; } | sha256sum | cut -c1-16)
# the image: the root and the module trees of every kernel it has
ikey() { { echo "$key"; ls "$dir/lib/modules" 2>/dev/null; } | sha256sum | cut -c1-16; }
have_all() {
	local k
	for k; do [ -d "$dir/lib/modules/$k" ] || return 1; done
}

if [ -s "$img" ] && [ "$(cat "$img.key" 2>/dev/null)" = "$(ikey)" ] && have_all "$@"; then
	exit 0
fi

# The root directory: debootstrap, then the VM's own few files.
if [ "$(cat "$dir.key" 2>/dev/null)" != "$key" ]; then
	rm -rf "$dir" "$dir.key"
	vm_log "debootstrap $flavour: $pkgs"
	t0=$SECONDS
	unshare --mount --propagation private \
		debootstrap --variant=minbase --include="${pkgs// /,}" bookworm "$dir" "$(vm_mirror)" \
		>"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
	vm_log "debootstrap $flavour: $((SECONDS - t0)) s"
	install -m 0755 "$here/vm-init" "$dir/sbin/vm-init"
	echo vm >"$dir/etc/hostname"
	printf '127.0.0.1\tlocalhost vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$dir/etc/hosts"
	echo 'nameserver 10.0.2.3' >"$dir/etc/resolv.conf"
	printf '/dev/vda / ext4 rw 0 1\n' >"$dir/etc/fstab"
	echo "$key" >"$dir.key"
fi

# Each kernel's modules, and (built in the full root, which has
# initramfs-tools) an initrd that loads virtio, brings up lo and, when the
# kernel command line says vm.net, eth0 on qemu's user network.
for kver in "$@"; do
	kdir=$vmdir/kernels/$kver
	if [ ! -d "$dir/lib/modules/$kver" ]; then
		mkdir -p "$dir/lib/modules"
		cp -a "$kdir/lib/modules/$kver" "$dir/lib/modules/"
		chroot "$dir" /sbin/depmod "$kver" 2>/dev/null ||
			depmod -b "$dir" "$kver"
	fi
	[ "$flavour" = full ] || continue
	[ -s "$kdir/initrd.img" ] && [ "$(cat "$kdir/initrd.key" 2>/dev/null)" = "$key" ] && continue
	printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\n' >"$dir/etc/initramfs-tools/modules"
	printf 'MODULES=list\nCOMPRESS=gzip\n' >"$dir/etc/initramfs-tools/conf.d/vm.conf"
	install -m 0755 "$here/initrd-net" "$dir/etc/initramfs-tools/scripts/init-bottom/vm-net"
	cp "$kdir/config" "$dir/boot/config-$kver"	# mkinitramfs reads it
	unshare --mount --propagation private chroot "$dir" \
		mkinitramfs -o "/boot/initrd.img-$kver" "$kver" >>"$dir.log" 2>&1 ||
		{ tail -5 "$dir.log" >&2; exit 1; }
	cp "$dir/boot/initrd.img-$kver" "$kdir/initrd.img"
	echo "$key" >"$kdir/initrd.key"
done

# The image: the directory's size and room for the build and the tests.
mb=$(( $(du -sm "$dir" | cut -f1) + 2048 ))
rm -f "$img"
mkfs.ext4 -q -F -L vmroot -d "$dir" "$img" "${mb}M"
ikey >"$img.key"
vm_log "root $flavour: $img (${mb} MB)"
