// kdx fixtures: the initramfs's /init. Built with the kernel's nolibc (a few KB instead of a
// 2 MB busybox, which would land in every dump). Loads /kdxcrash.ko with the scenario named
// by the kernel parameter kdxscenario=NAME (which the kernel passes to init in its
// environment), or crashes via /proc/sysrq-trigger for kdxscenario=sysrq.
#include <linux/reboot.h>

static void say(const char *s)
{
	write(1, s, strlen(s));
}

static const char *env(char **envp, const char *key)
{
	size_t n = strlen(key);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, key, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	const char *scen = env(envp, "kdxscenario");
	char params[96] = "scenario=";
	int fd;

	mount("proc", "/proc", "proc", 0, 0);
	mount("sysfs", "/sys", "sysfs", 0, 0);
	say("kdx-init: scenario=");
	say(scen ? scen : "none");
	say("\n");
	fd = open("/sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo/raw", O_RDONLY, 0);
	say(fd >= 0 ? "kdx-init: fw_cfg vmcoreinfo present\n" : "kdx-init: no fw_cfg vmcoreinfo\n");
	if (fd >= 0)
		close(fd);
	sleep(1);
	if (scen && !strcmp(scen, "sysrq")) {
		fd = open("/proc/sysrq-trigger", O_WRONLY, 0);
		write(fd, "c", 1);
	} else if (scen) {
		strncat(params, scen, sizeof(params) - 10);
		fd = open("/kdxcrash.ko", O_RDONLY, 0);
		if (fd < 0 || my_syscall3(__NR_finit_module, fd, params, 0) != 0)
			say("kdx-init: finit_module failed\n");
	}
	sleep(20);
	say("kdx-init: still alive\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
