// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "lib/caps.h"
#include "lib/log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int have(const struct __user_cap_data_struct d[2], int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

static int get_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d);
}

int have_cap(int cap)
{
	struct __user_cap_data_struct d[2] = {};

	return get_caps(d) ? 1 : have(d, cap);
}

int have_perfmon(void)
{
	struct __user_cap_data_struct d[2] = {};

	if (get_caps(d))
		return 1;	/* cannot tell: let the kernel say */
	return have(d, CAP_PERFMON) || have(d, CAP_SYS_ADMIN);
}

int require_caps(int need)
{
	struct __user_cap_data_struct d[2] = {};

	if (get_caps(d))
		return 0;	/* cannot tell: let the kernel say */
	if ((need & NEED_BPF) && !have(d, CAP_BPF) && !have(d, CAP_SYS_ADMIN)) {
		pr_warn("needs CAP_BPF to load BPF programs (run as root, or grant CAP_BPF)\n");
		return -EPERM;
	}
	if ((need & NEED_NET_ADMIN) && !have(d, CAP_NET_ADMIN)) {
		pr_warn("needs CAP_NET_ADMIN to attach to interfaces and sockets (run as root)\n");
		return -EPERM;
	}
	if ((need & NEED_PERFMON) && !have(d, CAP_PERFMON) && !have(d, CAP_SYS_ADMIN)) {
		pr_warn("needs CAP_PERFMON to attach tracepoints (run as root, or grant CAP_PERFMON)\n");
		return -EPERM;
	}
	if ((need & NEED_PTRACE) && !have(d, CAP_SYS_PTRACE)) {
		pr_warn("needs CAP_SYS_PTRACE to borrow the servers' sockets (run as root)\n");
		return -EPERM;
	}
	if ((need & NEED_SYS_ADMIN) && !have(d, CAP_SYS_ADMIN)) {
		pr_warn("needs CAP_SYS_ADMIN to enter another network namespace (--netns, --all-netns)\n");
		return -EPERM;
	}
	return 0;
}
