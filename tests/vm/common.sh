# Shared by the tests/vm scripts (sourced).

# The Debian mirror the host's apt uses (its first "debian" archive), so the
# VM's root and kernels come from the same place as the host's packages.
vm_mirror() {
	local m
	m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

# Print and run; the log says what was done.
vm_log() { printf 'vm: %s\n' "$*" >&2; }
