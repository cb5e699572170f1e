#!/usr/bin/env bash
# tests/vm/boot.sh KDIR ROOT.img SRC.img OUTDIR [net]: boot the kernel in
# KDIR (vmlinuz, initrd.img) in qemu on ROOT.img (copy-on-write: the image
# stays as built) with the project disk SRC.img (copy-on-write too), whose
# vm-job.sh the guest runs (tests/vm/vm-init). OUTDIR gets console.log (the kernel's console)
# and out.log (the job's output, ending "vm-exit: N"); exit status: the
# job's, or 124 when the VM_TIMEOUT (s, default 3600) ran out.
#
# KVM when it boots a kernel here (probed once per host boot: a nested KVM
# may hang in the firmware), else TCG (-accel tcg,thread=multi -cpu max).
# VM_ACCEL=kvm|tcg forces one. "net": qemu's user network (guest 10.0.2.15,
# the host's resolver at 10.0.2.3), for a guest that installs packages.
# The qemu process is this script's child and is ended with it.
set -euo pipefail
kdir=$1 root=$2 src=$3 out=$4 net=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
mkdir -p "$out"
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; true' EXIT INT TERM

# accel: "kvm" when a KVM guest prints the kernel's banner within 20 s
accel() {
	local cache boot
	[ -n "${VM_ACCEL:-}" ] && { echo "$VM_ACCEL"; return; }
	[ -w /dev/kvm ] || { echo tcg; return; }
	boot=$(cat /proc/sys/kernel/random/boot_id)
	cache=$(dirname "$root")/accel.$boot
	if [ ! -s "$cache" ]; then
		rm -f "$(dirname "$root")"/accel.*
		timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none \
			-monitor none -no-reboot -serial file:"$out/kvm-probe.log" -kernel "$kdir/vmlinuz" \
			-append "console=ttyS0 panic=-1" >/dev/null 2>&1 || true
		if grep -q 'Linux version' "$out/kvm-probe.log" 2>/dev/null; then
			echo kvm >"$cache"
		else
			echo tcg >"$cache"
		fi
	fi
	cat "$cache"
}

a=$(accel)
case $a in
kvm) qaccel=(-accel kvm -cpu host) ;;
*) qaccel=(-accel tcg,thread=multi -cpu max) ;;
esac
nic=(-nic none)
append="console=ttyS0 root=/dev/vda rw init=/sbin/vm-init panic=-1 quiet loglevel=4 net.ifnames=0"
if [ "$net" = net ]; then
	nic=(-nic user,model=virtio-net-pci)
	append+=" vm.net"
fi
vm_log "boot $(basename "$kdir") ($a, ${VM_MEM:-4096} MB, 2 CPUs)"
rm -f "$out/console.log" "$out/out.log"
timeout -k 10 "${VM_TIMEOUT:-3600}" qemu-system-x86_64 "${qaccel[@]}" -smp 2 -m "${VM_MEM:-4096}" \
	-display none -monitor none -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.img" -append "$append" \
	-drive file="$root",format=raw,if=virtio,snapshot=on,cache=unsafe \
	-drive file="$src",format=raw,if=virtio,snapshot=on,cache=unsafe \
	-serial file:"$out/console.log" -serial file:"$out/out.log" "${nic[@]}" &
qpid=$!
# the job's output as it comes (VM_QUIET=1: only in OUTDIR/out.log)
[ -n "${VM_QUIET:-}" ] || tail -n +1 -F --pid="$qpid" "$out/out.log" 2>/dev/null &
st=0
wait "$qpid" || st=$?
qpid=
[ "$st" -eq 124 ] && { echo "vm: timed out after ${VM_TIMEOUT:-3600} s" >>"$out/out.log"; exit 124; }
rc=$(sed -n 's/^vm-exit: \([0-9]*\).*/\1/p' "$out/out.log" | tail -1)
[ -n "$rc" ] || { echo "vm: no exit status (see $out/console.log)" >&2; exit 125; }
exit "$rc"
