// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "lib/pins.h"

/* ('ip netns exec' mounts a private /sys: pins made under it vanish with
 * it. Enter a namespace with 'nsenter --net=…' instead.) */
static int check_bpffs(void)
{
	struct statfs fs;

	if (!statfs("/sys/fs/bpf", &fs) && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_warn("/sys/fs/bpf is not a BPF filesystem and mounting one failed: %s\n",
			strerror(errno));
		return -errno;
	}
	pr_info("mounted the BPF filesystem on /sys/fs/bpf\n");
	return 0;
}

static int mkdir_private(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return chmod(dir, 0700) ? -errno : 0;
}

int pins_prepare(const char *dir)
{
	char path[PATH_MAX], *slash;
	int err = check_bpffs();

	/* every level from PIN_ROOT down to dir */
	snprintf(path, sizeof(path), "%s", dir);
	for (slash = path + strlen("/sys/fs/bpf/"); !err && (slash = strchr(slash, '/')); slash++) {
		*slash = 0;
		err = mkdir_private(path);
		*slash = '/';
	}
	return err ? err : mkdir_private(dir);
}

int pin_fd(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path) || chmod(path, 0600))
		return -errno;
	return 0;
}

void pins_remove(const char *dir)
{
	char path[PATH_MAX + 300], *slash;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				unlink(path);
			}
		closedir(d);
	}
	/* dir, then its parents while empty, down to PIN_ROOT included */
	snprintf(path, sizeof(path), "%s", dir);
	while (strlen(path) >= strlen(PIN_ROOT) && !rmdir(path) && (slash = strrchr(path, '/')))
		*slash = 0;
}
