#!/usr/bin/env bash
# make vmtest: the kernel matrix. For each Debian kernel in VM_KERNELS (by
# suite: bookworm = Debian 12's 6.1 LTS, trixie = Debian 13's 6.12 LTS, the
# cloud flavour), boot it in qemu on a Debian 12 root built from Debian's
# archive (tests/vm/mkroot.sh; cached under build/vm/), run the tests inside
# and report per kernel. The host's own kernel is `make test`'s.
#
#   VM_KERNELS   suites, default "bookworm trixie"
#   VM_TESTS     what runs (tests/vm/guest.sh specs, ";"-separated), default
#                the subset below; VM_TESTS=all: `make test` itself
#   VM_ROOT      full (default: every `make deps` package preinstalled, the
#                host's build copied in) or minbase (debootstrap minbase + git,
#                make, sudo: the guest runs the README's `sudo make test`,
#                installing through qemu's user network)
#   VM_ACCEL     kvm or tcg (default: KVM when it boots a kernel, else TCG)
#   VM_TIMEOUT   seconds per kernel (default 3600)
#   VM_TIME_SCALE  make test's suite time limits in the guest, times this (3)
#   VM_JOB       a script to run in the guest (in /src, the host's build
#                copied) instead of the tests
#
# Ends with "vmtest: N passed, N failed"; exit status non-zero on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/common.sh"
cd "$top"
vm=$top/build/vm
kernels=${VM_KERNELS:-bookworm trixie}
rootf=${VM_ROOT:-full}

# The subset that fits ~20 minutes of TCG per kernel: every BPF load under
# every capability set, the observer's table and a differential (both
# programs), steering's exactness and migration, the observer's attach and
# detach lifecycle on veth.
SUBSET="build/tests/test_observe;PS_DIFF_PACKETS=100000 build/tests/test_diff;\
tests/e2e/test_privilege.sh;tests/e2e/test_steer.sh;tests/e2e/test_live.sh"
tests=${VM_TESTS:-$SUBSET}
[ "$rootf" = minbase ] && tests=all

t_all=$SECONDS
mkdir -p "$vm"
# one preparation at a time (kernels, roots); each run its own project disk
exec 9>"$vm/.lock"
flock 9
run=$vm/run.$$
trap 'rm -rf "$run"' EXIT
kvers=()
for s in $kernels; do
	v=$(bash "$here/kernel.sh" "$s" "$vm/kernels") || { echo "vmtest: no kernel for $s" >&2; exit 1; }
	kvers+=("$v")
done
t0=$SECONDS
bash "$here/mkroot.sh" full "$vm" "${kvers[@]}" || exit 1
[ "$rootf" = minbase ] && { bash "$here/mkroot.sh" minbase "$vm" "${kvers[@]}" || exit 1; }
vm_log "roots ready in $((SECONDS - t0)) s"
flock -u 9

# The project disk: the work tree as git sees it (tracked and untracked, not
# ignored), the host's build for the full root, and the job.
src=$run/src
mkdir -p "$src"
# make test's suite time limits in the guest (a hang is still a failure)
tscale=${VM_TIME_SCALE:-3}
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$src"
if [ -n "${VM_JOB:-}" ]; then
	tar -cf - --exclude=build/vm build | tar -xf - -C "$src"
	cp "$VM_JOB" "$src/vm-job.sh"
elif [ "$rootf" = minbase ]; then
	# the guest resolves the mirror as the host does (qemu's user network
	# forwards the connection, not every resolver setup)
	getent hosts "$(vm_mirror | sed -E 's|^[a-z]+://([^/:]+).*|\1|')" >"$src/vm-hosts"
	echo "cat /src/vm-hosts >>/etc/hosts; cd /src && sudo CI=true TEST_TIME_SCALE=$tscale make test" >"$src/vm-job.sh"
elif [ "$tests" = all ]; then
	tar -cf - --exclude=build/vm build | tar -xf - -C "$src"
	echo "cd /src && CI=true TEST_TIME_SCALE=$tscale make test" >"$src/vm-job.sh"
else
	tar -cf - --exclude=build/vm build | tar -xf - -C "$src"
	IFS=';' read -ra specs <<<"$tests"
	{
		echo 'export CI=true PS=/src/build/portscope'
		printf 'bash /src/tests/vm/guest.sh'
		printf ' %q' "${specs[@]}"
		echo
	} >"$src/vm-job.sh"
fi
img=$run/src.img
mkfs.ext4 -q -F -L vmsrc -d "$src" "$img" "$(( $(du -sm "$src" | cut -f1) + 3072 ))M" || exit 1

tp=0 tf=0 summary=()
for v in "${kvers[@]}"; do
	t0=$SECONDS
	net=
	[ "$rootf" = minbase ] || [ -n "${VM_NET:-}" ] && net=net
	# a run's own output folder: two runs at once must not share a log
	out=$vm/out-$v.$$
	bash "$here/boot.sh" "$vm/kernels/$v" "$vm/root-$rootf.img" "$img" "$out" $net
	st=$?
	line=$(grep -E '^total: [0-9]+ passed, [0-9]+ failed' "$out/out.log" | tail -1)
	read -r p f < <(sed -E 's/^total: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"${line:-total: 0 passed, 1 failed}")
	[ "$st" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	tp=$((tp + p)) tf=$((tf + f))
	summary+=("$(printf '%-28s %5d passed, %3d failed  %5d s  %s' "$v" "$p" "$f" $((SECONDS - t0)) \
		"$(cat "$vm"/accel.* 2>/dev/null || echo "${VM_ACCEL:-?}")")")
done

echo
echo "vmtest ($rootf root, $([ "$tests" = all ] && echo 'make test' || echo subset)), $((SECONDS - t_all)) s:"
printf '  %s\n' "${summary[@]}"
echo "vmtest: $tp passed, $tf failed"
[ "$tf" -eq 0 ]
