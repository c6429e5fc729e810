/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/config*.c: the typed OCI config, its error messages (with the
 * line and column of the offending value), mount options and the default spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "container/config.h"
#include "container/config_priv.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* A config that uses every part of the model. No trailing newline: every proper prefix of
 * it is invalid JSON (see test_truncated). */
static const char full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.2.0\",\n"
    "  \"x-unknown\": {\"ignored\": [1, 2, {\"deep\": true}]},\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, "
    "4294967295]},\n"
    "    \"args\": [\"sh\", \"-c\", \"echo \\\"hi\\\"\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\", \"EMPTY=\"],\n"
    "    \"cwd\": \"/home\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_KILL\", \"CAP_SYS_ADMIN\", \"CAP_KILL\"],\n"
    "      \"effective\": [\"CAP_NET_BIND_SERVICE\"],\n"
    "      \"inheritable\": [],\n"
    "      \"permitted\": [\"CAP_KILL\", \"CAP_CHECKPOINT_RESTORE\"],\n"
    "      \"ambient\": [\"cap_chown\"]\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": 1024},\n"
    "                {\"type\": \"RLIMIT_CORE\", \"hard\": 0, \"soft\": 0}],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"apparmorProfile\": \"berth-default\",\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\",\n"
    "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 4},\n"
    "    \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"nice\": -5, \"priority\": 0,\n"
    "                  \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\", \"SCHED_FLAG_RECLAIM\"],\n"
    "                  \"runtime\": 10000, \"deadline\": 20000, \"period\": 30000},\n"
    "    \"execCPUAffinity\": {\"initial\": \"0-3\", \"final\": \"1\"}\n"
    "  },\n"
    "  \"hostname\": \"box\",\n"
    "  \"domainname\": \"example.org\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\",\n"
    "     \"options\": [\"rro\", \"rprivate\", \"idmap\"],\n"
    "     \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "     \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]}\n"
    "  ],\n"
    "  \"hooks\": {\n"
    "    \"prestart\": [{\"path\": \"/bin/true\"}],\n"
    "    \"createRuntime\": [{\"path\": \"/usr/bin/hook\", \"args\": [\"hook\", \"create\"],\n"
    "                       \"env\": [\"A=1\"], \"timeout\": 5}],\n"
    "    \"createContainer\": [],\n"
    "    \"startContainer\": [{\"path\": \"/s\"}],\n"
    "    \"poststart\": [{\"path\": \"/p1\"}, {\"path\": \"/p2\"}],\n"
    "    \"poststop\": [{\"path\": \"/stop\", \"timeout\": 1}]\n"
    "  },\n"
    "  \"annotations\": {\"org.example.key\": \"value\", \"b\": \"\"},\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/var/run/netns/x\"},\n"
    "                   {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},\n"
    "                   {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}],\n"
    "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],\n"
    "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1},\n"
    "                    {\"containerID\": 1, \"hostID\": 100000, \"size\": 65536}],\n"
    "    \"timeOffsets\": {\"monotonic\": {\"secs\": -86400, \"nanosecs\": 5}, "
    "\"boottime\": {\"secs\": 7}},\n"
    "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": "
    "229,\n"
    "                 \"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
    "                {\"path\": \"/dev/fifo\", \"type\": \"p\"}],\n"
    "    \"cgroupsPath\": \"/berth/box\",\n"
    "    \"resources\": {\n"
    "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
    "                  {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, "
    "\"access\": \"rw\"}],\n"
    "      \"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": -1,\n"
    "                 \"kernel\": 0, \"kernelTCP\": 1024, \"swappiness\": 60,\n"
    "                 \"disableOOMKiller\": true, \"useHierarchy\": false, "
    "\"checkBeforeUpdate\": true},\n"
    "      \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"burst\": 1000, \"period\": 100000,\n"
    "              \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"0-1\",\n"
    "              \"mems\": \"0\", \"idle\": 1},\n"
    "      \"pids\": {\"limit\": 100},\n"
    "      \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,\n"
    "                  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600}],\n"
    "                  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": "
    "1048576}],\n"
    "                  \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": "
    "2}],\n"
    "                  \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 32, \"rate\": "
    "3}],\n"
    "                  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 48, \"rate\": "
    "4}]},\n"
    "      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],\n"
    "      \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", "
    "\"priority\": 500}]},\n"
    "      \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},\n"
    "      \"unified\": {\"io.weight\": \"default 100\", \"memory.high\": \"max\"}\n"
    "    },\n"
    "    \"rootfsPropagation\": \"rslave\",\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
    "    \"seccomp\": {\n"
    "      \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
    "      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_RISCV64\"],\n"
    "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
    "      \"listenerPath\": \"/run/seccomp.sock\", \"listenerMetadata\": \"meta\",\n"
    "      \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
    "                   {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "                    \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": "
    "\"SCMP_CMP_EQ\"}]},\n"
    "                   {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"},\n"
    "                   {\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_ERRNO\", "
    "\"errnoRet\": 38}]\n"
    "    },\n"
    "    \"maskedPaths\": [\"/proc/kcore\"],\n"
    "    \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
    "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\",\n"
    "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []},\n"
    "    \"intelRdt\": {\"closID\": \"c1\", \"l3CacheSchema\": \"L3:0=ff\", \"memBwSchema\": "
    "\"MB:0=70\",\n"
    "                 \"enableCMT\": true, \"enableMBM\": false}\n"
    "  }\n"
    "}";

static struct config *parse_ok(const char *text)
{
	berth_error_t err = NULL;
	struct config *c = NULL;

	if (config_parse(text, strlen(text), "config.json", &c, &err) < 0) {
		print_error("unexpected error: %s\n", err->msg);
		berth_error_release(&err);
		fail();
	}
	assert_non_null(c);
	return c;
}

static void check_full(const struct config *c)
{
	const struct config_process *p = &c->process;
	const struct config_linux *l = &c->linux_;
	const struct config_resources *r = &l->resources;

	assert_string_equal(c->oci_version, "1.2.0");
	assert_string_equal(c->root.path, "rootfs");
	assert_true(c->root.readonly);

	assert_true(c->has_process);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_size.height, 25);
	assert_int_equal(p->console_size.width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 4294967295u);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[2], "echo \"hi\"");
	assert_int_equal(p->n_env, 3);
	assert_string_equal(config_env_get(p->env, p->n_env, "PATH"), "/usr/bin:/bin");
	assert_string_equal(config_env_get(p->env, p->n_env, "EMPTY"), "");
	assert_null(config_env_get(p->env, p->n_env, "TERMX"));
	assert_null(config_env_get(p->env, p->n_env, "TER"));
	assert_string_equal(p->cwd, "/home");
	assert_true(p->capabilities.has);
	/* duplicates collapse */
	assert_int_equal(p->capabilities.n_bounding, 2);
	assert_int_equal(p->capabilities.bounding[0], 5);
	assert_int_equal(p->capabilities.bounding[1], 21);
	assert_int_equal(p->capabilities.n_effective, 1);
	assert_int_equal(p->capabilities.effective[0], 10);
	assert_int_equal(p->capabilities.n_inheritable, 0);
	assert_int_equal(p->capabilities.n_ambient, 1);
	assert_int_equal(p->capabilities.ambient[0], 0);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_string_equal(p->rlimits[0].type, "RLIMIT_NOFILE");
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "berth-default");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->has_io_priority);
	assert_int_equal(p->io_priority.class_, 2);
	assert_int_equal(p->io_priority.priority, 4);
	assert_true(p->has_scheduler);
	assert_int_equal(p->scheduler.policy, 6);
	assert_int_equal(p->scheduler.nice, -5);
	assert_int_equal(p->scheduler.flags, 0x3);
	assert_int_equal(p->scheduler.runtime, 10000);
	assert_int_equal(p->scheduler.deadline, 20000);
	assert_int_equal(p->scheduler.period, 30000);
	assert_string_equal(p->exec_cpu_affinity_initial, "0-3");
	assert_string_equal(p->exec_cpu_affinity_final, "1");

	assert_string_equal(c->hostname, "box");
	assert_string_equal(c->domainname, "example.org");

	assert_int_equal(c->n_mounts, 3);
	assert_string_equal(c->mounts[0].destination, "/proc");
	assert_int_equal(c->mounts[0].n_options, 0);
	assert_null(c->mounts[0].data);
	assert_int_equal(c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(c->mounts[1].data, "mode=755,size=65536k");
	assert_true(c->mounts[2].bind);
	assert_int_equal(c->mounts[2].flags, MS_BIND);
	assert_int_equal(c->mounts[2].propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(c->mounts[2].attr_set, MOUNT_ATTR_RDONLY);
	assert_true(c->mounts[2].recursive_attr);
	assert_true(c->mounts[2].idmap);
	assert_int_equal(c->mounts[2].n_uid_mappings, 1);
	assert_int_equal(c->mounts[2].uid_mappings[0].host_id, 100000);
	assert_int_equal(c->mounts[2].gid_mappings[0].host_id, 200000);
	assert_int_equal(c->mounts[2].gid_mappings[0].size, 65536);

	assert_true(c->has_hooks);
	assert_int_equal(c->hooks.n_prestart, 1);
	assert_string_equal(c->hooks.prestart[0].path, "/bin/true");
	assert_false(c->hooks.prestart[0].has_timeout);
	assert_int_equal(c->hooks.n_create_runtime, 1);
	assert_int_equal(c->hooks.create_runtime[0].n_args, 2);
	assert_string_equal(c->hooks.create_runtime[0].args[1], "create");
	assert_string_equal(c->hooks.create_runtime[0].env[0], "A=1");
	assert_true(c->hooks.create_runtime[0].has_timeout);
	assert_int_equal(c->hooks.create_runtime[0].timeout, 5);
	assert_int_equal(c->hooks.n_create_container, 0);
	assert_int_equal(c->hooks.n_start_container, 1);
	assert_int_equal(c->hooks.n_poststart, 2);
	assert_string_equal(c->hooks.poststart[1].path, "/p2");
	assert_int_equal(c->hooks.poststop[0].timeout, 1);

	assert_int_equal(c->n_annotations, 2);
	assert_string_equal(c->annotations[0].key, "org.example.key");
	assert_string_equal(c->annotations[0].value, "value");

	assert_true(c->has_linux);
	assert_int_equal(l->n_namespaces, 8);
	assert_int_equal(l->namespaces[1].type, CONFIG_NS_NETWORK);
	assert_string_equal(l->namespaces[1].path, "/var/run/netns/x");
	assert_int_equal(config_find_namespace(c, CONFIG_NS_TIME), 7);
	assert_int_equal(config_find_namespace(c, CONFIG_NS_USER), 5);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].container_id, 1);
	assert_int_equal(l->n_time_offsets, 2);
	assert_string_equal(l->time_offsets[0].clock, "monotonic");
	assert_int_equal(l->time_offsets[0].secs, -86400);
	assert_int_equal(l->time_offsets[0].nanosecs, 5);
	assert_int_equal(l->time_offsets[1].secs, 7);
	assert_int_equal(l->n_devices, 2);
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].has_file_mode);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_true(l->devices[0].has_uid);
	assert_int_equal(l->devices[1].type, 'p');
	assert_false(l->devices[1].has_uid);
	assert_string_equal(l->cgroups_path, "/berth/box");

	assert_true(l->has_resources);
	assert_int_equal(r->n_devices, 2);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_int_equal(r->devices[0].minor, -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].minor, 3);
	assert_true(r->has_memory);
	assert_int_equal(r->mem_limit, 536870912);
	assert_int_equal(r->mem_reservation, 268435456);
	assert_int_equal(r->mem_swap, -1);
	assert_true(r->has_mem_kernel);
	assert_int_equal(r->mem_kernel_tcp, 1024);
	assert_int_equal(r->mem_swappiness, 60);
	assert_true(r->has_mem_disable_oom_killer && r->mem_disable_oom_killer);
	assert_true(r->has_mem_use_hierarchy && !r->mem_use_hierarchy);
	assert_true(r->has_mem_check_before_update && r->mem_check_before_update);
	assert_true(r->has_cpu);
	assert_int_equal(r->cpu_shares, 1024);
	assert_int_equal(r->cpu_quota, 50000);
	assert_int_equal(r->cpu_burst, 1000);
	assert_int_equal(r->cpu_period, 100000);
	assert_int_equal(r->cpu_realtime_runtime, 950000);
	assert_int_equal(r->cpu_realtime_period, 1000000);
	assert_string_equal(r->cpu_cpus, "0-1");
	assert_string_equal(r->cpu_mems, "0");
	assert_true(r->has_cpu_idle);
	assert_int_equal(r->cpu_idle, 1);
	assert_true(r->has_pids_limit);
	assert_int_equal(r->pids_limit, 100);
	assert_true(r->has_blkio);
	assert_int_equal(r->blkio_weight, 500);
	assert_int_equal(r->blkio_leaf_weight, 300);
	assert_int_equal(r->n_blkio_weight_device, 1);
	assert_int_equal(r->blkio_weight_device[0].weight, 600);
	assert_false(r->blkio_weight_device[0].has_leaf_weight);
	assert_int_equal(r->blkio_throttle_read_bps[0].rate, 1048576);
	assert_int_equal(r->blkio_throttle_write_bps[0].minor, 16);
	assert_int_equal(r->blkio_throttle_read_iops[0].rate, 3);
	assert_int_equal(r->blkio_throttle_write_iops[0].rate, 4);
	assert_int_equal(r->n_hugepage_limits, 1);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->hugepage_limits[0].limit, 209715200);
	assert_true(r->has_network);
	assert_int_equal(r->net_class_id, 1048577);
	assert_string_equal(r->net_priorities[0].name, "eth0");
	assert_int_equal(r->net_priorities[0].priority, 500);
	assert_int_equal(r->n_rdma, 1);
	assert_string_equal(r->rdma[0].device, "mlx5_1");
	assert_int_equal(r->rdma[0].hca_handles, 3);
	assert_int_equal(r->rdma[0].hca_objects, 10000);
	assert_int_equal(r->n_unified, 2);
	assert_string_equal(r->unified[1].key, "memory.high");
	assert_string_equal(r->unified[1].value, "max");

	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(l->rootfs_propagation_flags, MS_SLAVE | MS_REC);
	assert_int_equal(l->n_sysctl, 1);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_true(l->has_seccomp);
	assert_string_equal(l->seccomp.default_action, "SCMP_ACT_ERRNO");
	assert_true(l->seccomp.has_default_errno_ret);
	assert_int_equal(l->seccomp.default_errno_ret, 1);
	assert_int_equal(l->seccomp.n_architectures, 2);
	assert_string_equal(l->seccomp.flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_string_equal(l->seccomp.listener_path, "/run/seccomp.sock");
	assert_string_equal(l->seccomp.listener_metadata, "meta");
	assert_int_equal(l->seccomp.n_syscalls, 4);
	assert_int_equal(l->seccomp.syscalls[0].n_names, 2);
	assert_int_equal(l->seccomp.syscalls[1].n_args, 1);
	assert_int_equal(l->seccomp.syscalls[1].args[0].value, 8);
	assert_string_equal(l->seccomp.syscalls[1].args[0].op, "SCMP_CMP_EQ");
	assert_true(l->seccomp.syscalls[3].has_errno_ret);
	assert_int_equal(l->seccomp.syscalls[3].errno_ret, 38);
	assert_int_equal(l->n_masked_paths, 1);
	assert_int_equal(l->n_readonly_paths, 2);
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(l->has_personality);
	assert_string_equal(l->personality.domain, "LINUX32");
	assert_true(l->has_intel_rdt);
	assert_string_equal(l->intel_rdt.clos_id, "c1");
	assert_string_equal(l->intel_rdt.mem_bw_schema, "MB:0=70");
	assert_true(l->intel_rdt.enable_cmt);
	assert_false(l->intel_rdt.enable_mbm);
}

/* Parse, check every field, dump `raw` and parse that again. */
static void test_full_round_trip(void **state)
{
	(void)state;
	struct config *c = parse_ok(full_config);
	struct config *c2;
	char *dumped;

	check_full(c);
	assert_true(json_is_object(json_object_get(c->raw, "x-unknown")));
	dumped = json_dumps(c->raw, JSON_INDENT(2));
	assert_non_null(dumped);
	c2 = parse_ok(dumped);
	check_full(c2);
	assert_true(json_equal(c->raw, c2->raw));
	free(dumped);
	config_free(c2);
	config_free(c);
}

static void test_minimal_and_unknown_fields(void **state)
{
	(void)state;
	struct config *c = parse_ok("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
	                            "\"vm\":{\"hypervisor\":{\"path\":3}},\"solaris\":[],"
	                            "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"new\":{}},"
	                            "\"linux\":{\"future\":1,\"resources\":{\"pids\":{}}},"
	                            "\"apparmorProfile\":null,\"hostname\":null}");
	assert_string_equal(c->oci_version, "1.0.0");
	assert_false(c->root.readonly);
	assert_true(c->has_process);
	assert_false(c->process.terminal);
	assert_false(c->process.capabilities.has);
	assert_null(c->hostname);
	assert_false(c->has_hooks);
	assert_true(c->has_linux);
	assert_true(c->linux_.has_resources);
	assert_false(c->linux_.resources.has_pids_limit);
	assert_int_equal(c->linux_.rootfs_propagation_flags, 0);
	config_free(c);

	c = parse_ok("{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"}}");
	assert_false(c->has_process);
	assert_false(c->has_linux);
	assert_int_equal(c->n_mounts, 0);
	config_free(c);
}

static void expect_error(const char *text, const char *msg)
{
	berth_error_t err = NULL;
	struct config *c = (struct config *)0x1;

	assert_int_equal(config_parse(text, strlen(text), "config.json", &c, &err), -1);
	assert_null(c);
	assert_non_null(err);
	if (strcmp(err->msg, msg) != 0)
		print_error("for %s\n", text);
	assert_string_equal(err->msg, msg);
	assert_null(strchr(err->msg, '\n'));
	berth_error_release(&err);
}

#define BASE "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
/* the first character after BASE is in column 48 */

static void test_error_syntax(void **state)
{
	(void)state;
	expect_error("{\"ociVersion\": }",
	             "config.json: invalid JSON: unexpected token near '}' (line 1, column 16)");
	expect_error("{\n  \"root\": {\"path\": \"r\"},\n  \"a\": tru\n}",
	             "config.json: invalid JSON: invalid token near 'tru' (line 3, column 10)");
	expect_error("", "config.json: invalid JSON: '[' or '{' expected near end of file "
	                 "(line 1, column 0)");
	expect_error("[1]", "config.json: expected object, got array (line 1, column 1)");
	expect_error("  \n [\"a\"]", "config.json: expected object, got array (line 2, column 2)");
}

static void test_error_required(void **state)
{
	(void)state;
	expect_error("{\"root\":{\"path\":\"r\"}}",
	             "config.json: ociVersion: required field missing (line 1, column 1)");
	expect_error("\n {\"ociVersion\":\"1.2.0\"}",
	             "config.json: root: required field missing (line 2, column 2)");
	expect_error("{\"ociVersion\":\"1.2.0\",\"root\":{\"readonly\":true}}",
	             "config.json: root.path: required field missing (line 1, column 30 of root)");
	expect_error("{\n"
	             "  \"ociVersion\": \"1.2.0\",\n"
	             "  \"root\": {\"path\": \"rootfs\"},\n"
	             "  \"process\": {\n"
	             "    \"args\": [\"sh\"]\n"
	             "  }\n"
	             "}",
	             "config.json: process.cwd: required field missing (line 4, column 14 of "
	             "process)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\"}}",
	             "config.json: process.args: required field missing (line 1, column 58 of "
	             "process)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[]}}",
	             "config.json: process.args: must not be empty (line 1, column 76)");
	expect_error(BASE "\"process\":{\"cwd\":\"home\",\"args\":[\"a\"]}}",
	             "config.json: process.cwd: must be an absolute path, got \"home\" (line 1, "
	             "column 65)");
	expect_error(BASE "\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]}",
	             "config.json: mounts[1].destination: required field missing (line 1, column "
	             "79 of mounts[1])");
	expect_error(BASE "\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
	             "config.json: linux.seccomp.defaultAction: required field missing (line 1, "
	             "column 67 of linux.seccomp)");
}

static void test_error_types(void **state)
{
	(void)state;
	expect_error("{\n"
	             "  \"ociVersion\": \"1.2.0\",\n"
	             "  \"root\": {\"path\": \"rootfs\"},\n"
	             "  \"process\": {\n"
	             "    \"cwd\": \"/\",\n"
	             "    \"args\": [\"sh\", 42]\n"
	             "  }\n"
	             "}",
	             "config.json: process.args[1]: expected string, got integer (line 6, column "
	             "20)");
	expect_error("{\"ociVersion\":1}",
	             "config.json: ociVersion: expected string, got integer (line 1, column 15)");
	expect_error(BASE "\"process\":[]}",
	             "config.json: process: expected object, got array (line 1, column 58)");
	expect_error(BASE "\"process\":{\"terminal\":\"yes\",\"cwd\":\"/\",\"args\":[\"a\"]}}",
	             "config.json: process.terminal: expected boolean, got string (line 1, column "
	             "70)");
	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
	             "config.json: linux.resources.memory.limit: expected integer, got string "
	             "(line 1, column 88)");
	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
	             "config.json: linux.resources.memory.limit: expected integer, got real (line "
	             "1, column 88)");
	expect_error(BASE "\"mounts\":{}}",
	             "config.json: mounts: expected array, got object (line 1, column 57)");
	expect_error(BASE "\"mounts\":[\"/a\"]}",
	             "config.json: mounts[0]: expected object, got string (line 1, column 58)");
	expect_error(BASE "\"annotations\":{\"org.x\":1}}",
	             "config.json: annotations[\"org.x\"]: expected string, got integer (line 1, "
	             "column 71)");
	expect_error(BASE "\"linux\":{\"sysctl\":{\"kernel.shmmax\":null,\"a\":[]}}}",
	             "config.json: linux.sysctl.a: expected string, got array (line 1, column "
	             "92)");
}

static void test_error_ranges(void **state)
{
	(void)state;
	expect_error(BASE
	             "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":4294967296,"
	             "\"gid\":0}}}",
	             "config.json: process.user.uid: value 4294967296 out of range (0 to "
	             "4294967295) (line 1, column 96)");
	expect_error(BASE "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,"
	                  "\"size\":1}]}}",
	             "config.json: linux.uidMappings[0].hostID: value -1 out of range (0 to "
	             "4294967295) (line 1, column 98)");
	expect_error(BASE "\"linux\":{\"gidMappings\":[{\"containerID\":0,\"hostID\":0,"
	                  "\"size\":0}]}}",
	             "config.json: linux.gidMappings[0].size: must be greater than zero (line 1, "
	             "column 107)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"oomScoreAdj\":1001}}",
	             "config.json: process.oomScoreAdj: value 1001 out of range (-1000 to 1000) "
	             "(line 1, column 96)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,"
	                  "\"gid\":0,\"additionalGids\":[1,-2]}}}",
	             "config.json: process.user.additionalGids[1]: value -2 out of range (0 to "
	             "4294967295) (line 1, column 126)");
	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"swap\":-2}}}}",
	             "config.json: linux.resources.memory.swap: value -2 out of range (-1 to "
	             "9223372036854775807) (line 1, column 87)");
}

static void test_error_values(void **state)
{
	(void)state;
	expect_error(BASE "\"linux\":{\"namespaces\":[{\"type\":\"foo\"}]}}",
	             "config.json: linux.namespaces[0].type: unknown namespace type \"foo\" "
	             "(expected one of pid, network, mount, ipc, uts, user, cgroup, time) (line 1, "
	             "column 79)");
	expect_error(BASE "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},"
	                  "{\"type\":\"pid\"}]}}",
	             "config.json: linux.namespaces[2].type: duplicate namespace type \"pid\" "
	             "(line 1, column 109)");
	expect_error(BASE "\"hooks\":{\"poststop\":[{\"path\":\"/a\"},{\"path\":\"rel\"}]}}",
	             "config.json: hooks.poststop[1].path: must be an absolute path, got \"rel\" "
	             "(line 1, column 91)");
	expect_error(BASE "\"hooks\":{\"prestart\":[{\"path\":\"/a\",\"timeout\":0}]}}",
	             "config.json: hooks.prestart[0].timeout: must be greater than zero, got 0 "
	             "(line 1, column 92)");
	expect_error(BASE "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\"}]}}",
	             "config.json: linux.devices[0].type: unknown device type \"x\" (expected one "
	             "of c, b, u, p) (line 1, column 92)");
	expect_error(BASE "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\","
	                  "\"major\":1}]}}",
	             "config.json: linux.devices[0].minor: required field missing (line 1, column "
	             "68 of linux.devices[0])");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":["
	                  "{\"type\":\"RLIMIT_FOO\",\"hard\":1,\"soft\":1}]}}",
	             "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\" (line 1, "
	             "column 101)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":["
	                  "{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1},"
	                  "{\"type\":\"RLIMIT_NOFILE\",\"hard\":2,\"soft\":2}]}}",
	             "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\" "
	             "(line 1, column 144)");
	expect_error(
	    BASE "\"linux\":{\"timeOffsets\":{\"realtime\":{\"secs\":1}}}}",
	    "config.json: linux.timeOffsets.realtime: unknown clock \"realtime\" (expected "
	    "monotonic or boottime) (line 1, column 83)");
	expect_error(BASE "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
	                  "\"access\":\"rwx\"}]}}}",
	             "config.json: linux.resources.devices[0].access: invalid device access "
	             "\"rwx\" (only r, w and m are allowed) (line 1, column 104)");
	expect_error(BASE "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
	                  "\"type\":\"p\"}]}}}",
	             "config.json: linux.resources.devices[0].type: unknown device type \"p\" "
	             "(expected one of a, c, b) (line 1, column 102)");
	expect_error(BASE "\"linux\":{\"rootfsPropagation\":\"bogus\"}}",
	             "config.json: linux.rootfsPropagation: unknown propagation \"bogus\" "
	             "(expected one of private, shared, slave, unbindable, optionally prefixed "
	             "with r) (line 1, column 77)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"ioPriority\":"
	                  "{\"class\":\"IOPRIO_CLASS_NONE\"}}}",
	             "config.json: process.ioPriority.class: unknown I/O priority class "
	             "\"IOPRIO_CLASS_NONE\" (expected one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, "
	             "IOPRIO_CLASS_IDLE) (line 1, column 104)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"scheduler\":"
	                  "{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_X\"]}}}",
	             "config.json: process.scheduler.flags[0]: unknown scheduler flag "
	             "\"SCHED_FLAG_X\" (line 1, column 127)");
	expect_error(BASE "\"linux\":{\"personality\":{\"domain\":\"LINUX64\"}}}",
	             "config.json: linux.personality.domain: unknown personality domain "
	             "\"LINUX64\" (expected LINUX or LINUX32) (line 1, column 81)");
}

/* Values and keys with control characters cannot break the one-line rule. */
static void test_error_one_line(void **state)
{
	(void)state;
	expect_error(BASE "\"linux\":{\"namespaces\":[{\"type\":\"a\\nb\\u0001\"}]}}",
	             "config.json: linux.namespaces[0].type: unknown namespace type \"a\\nb\\x01\" "
	             "(expected one of pid, network, mount, ipc, uts, user, cgroup, time) (line 1, "
	             "column 79)");
	expect_error(BASE "\"annotations\":{\"a\\tb\":1}}",
	             "config.json: annotations[\"a\\tb\"]: expected string, got integer (line 1, "
	             "column 70)");
	expect_error("{\"a\":\"x\ny\"}", "config.json: invalid JSON: unexpected newline near "
	                                 "'\"x' (line 1, column 7)");
}

static void test_error_seccomp(void **state)
{
	(void)state;
	expect_error(BASE "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
	             "config.json: linux.seccomp.defaultAction: unknown seccomp action "
	             "\"SCMP_ACT_NOPE\" (line 1, column 84)");
	expect_error(BASE
	             "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	             "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL_PROCESS\","
	             "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}}}",
	             "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
	             "\"SCMP_CMP_XX\" (line 1, column 198)");
	expect_error(BASE "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	                  "\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_Z80\"]}}}",
	             "config.json: linux.seccomp.architectures[1]: unknown seccomp architecture "
	             "\"SCMP_ARCH_Z80\" (line 1, column 134)");
	expect_error(BASE "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	                  "\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}}}",
	             "config.json: linux.seccomp.flags[0]: unknown seccomp flag "
	             "\"SECCOMP_FILTER_FLAG_NEW_LISTENER\" (line 1, column 110)");
	expect_error(BASE "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	                  "\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_LOG\"}]}}}",
	             "config.json: linux.seccomp.syscalls[0].names: must not be empty (line 1, "
	             "column 122)");
	expect_error(BASE "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}}",
	             "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
	             "default action (line 1, column 84)");
	expect_error(BASE
	             "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	             "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
	             "config.json: linux.seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not "
	             "set (line 1, column 67)");
}

/* Duplicate keys are allowed; the last one wins, and errors point at it. Escaped keys are
 * matched after decoding. */
static void test_error_position_lookup(void **state)
{
	(void)state;
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[1]},\n"
	                  "\"process\":{\"cwd\":\"/\",\"args\":[\"a\",{}]}}",
	             "config.json: process.args[1]: expected string, got object (line 2, column "
	             "34)");
	expect_error(BASE "\"pro\\u0063ess\":{\"cwd\":\"/\",\"args\":[\"a\",true]}}",
	             "config.json: process.args[1]: expected string, got boolean (line 1, column "
	             "86)");
	/* columns count characters, as jansson does, not bytes */
	expect_error(BASE "\"hostname\":\"\xc3\xa9t\xc3\xa9\",\"domainname\":7}",
	             "config.json: domainname: expected string, got integer (line 1, column 78)");
	/* keys that look like JSON syntax inside strings do not confuse the scanner */
	expect_error(BASE "\"annotations\":{\"a\":\"}]{[,:\\\"\",\"process\":\"x\"},"
	                  "\"process\":{\"args\":[\"x\"],\"cwd\":7}}",
	             "config.json: process.cwd: expected string, got integer (line 1, column "
	             "123)");
}

/* uint64 values above INT64_MAX, which jansson cannot hold, still work where the spec has
 * uint64 and are range errors elsewhere. */
static void test_big_integers(void **state)
{
	(void)state;
	struct config *c = parse_ok(
	    BASE
	    "\"annotations\":{\"n\":\"18446744073709551615\"},"
	    "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_CORE\","
	    "\"hard\":18446744073709551615,\"soft\":9223372036854775808}]},"
	    "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	    "\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,"
	    "\"value\":18446744073709551615,\"valueTwo\":12345678901234567890,"
	    "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]},"
	    "\"resources\":{\"cpu\":{\"shares\":10000000000000000000}}}}");
	json_t *hard;

	assert_int_equal(c->process.rlimits[0].hard, UINT64_MAX);
	assert_int_equal(c->process.rlimits[0].soft, 9223372036854775808u);
	assert_int_equal(c->linux_.seccomp.syscalls[0].args[0].value, UINT64_MAX);
	assert_int_equal(c->linux_.seccomp.syscalls[0].args[0].value_two, 12345678901234567890u);
	assert_int_equal(c->linux_.resources.cpu_shares, 10000000000000000000u);
	assert_string_equal(c->annotations[0].value, "18446744073709551615");
	/* raw holds the closest jansson can: a real */
	hard = json_object_get(
	    json_array_get(json_object_get(json_object_get(c->raw, "process"), "rlimits"), 0),
	    "hard");
	assert_true(json_is_real(hard));
	assert_true(json_real_value(hard) > 1.8e19);
	config_free(c);

	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":"
	                  "18446744073709551615,\"gid\":0}}}",
	             "config.json: process.user.uid: value 18446744073709551615 out of range (0 "
	             "to 4294967295) (line 1, column 96)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":0,"
	                  "\"gid\":0,\"additionalGids\":[9223372036854775808]}}}",
	             "config.json: process.user.additionalGids[0]: value 9223372036854775808 out "
	             "of range (0 to 4294967295) (line 1, column 124)");
	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}}",
	             "config.json: linux.resources.memory.limit: value 9223372036854775808 out of "
	             "range (-1 to 9223372036854775807) (line 1, column 88)");
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":[{\"type\":"
	                  "\"RLIMIT_CORE\",\"hard\":-1,\"soft\":0}]}}",
	             "config.json: process.rlimits[0].hard: value -1 out of range (0 to "
	             "18446744073709551615) (line 1, column 122)");
	/* a real placeholder-looking value is not mistaken for a hidden one */
	expect_error(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":[{\"type\":"
	                  "\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":"
	                  "-1000000000000000000}]}}",
	             "config.json: process.rlimits[0].soft: value -1000000000000000000 out of "
	             "range (0 to 18446744073709551615) (line 1, column 150)");
	expect_error(BASE "\"process\":{\"rlimits\":[{\"hard\":18446744073709551616}]}}",
	             "config.json: invalid JSON: too big integer near '18446744073709551616' "
	             "(line 1, column 97)");
}

static void test_path_offset(void **state)
{
	(void)state;
	const char *t = "{ \"a\" : [ 1 , { \"b\" : \"x\\\"y\" , \"c\": [[], [3]] } ] }";
	const struct cfg_path *a = CFG_KEY(NULL, "a");
	const struct cfg_path *a1 = CFG_IDX(a, 1);
	char *s;
	int line, col;

	assert_int_equal(config_path_offset(t, strlen(t), NULL), 0);
	assert_int_equal(config_path_offset(t, strlen(t), a), 8);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_IDX(a, 0)), 10);
	assert_int_equal(config_path_offset(t, strlen(t), a1), 14);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_KEY(a1, "b")), 22);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_KEY(a1, "c")), 36);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_IDX(CFG_IDX(CFG_KEY(a1, "c"), 1), 0)),
	                 42);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_IDX(CFG_KEY(a1, "c"), 2)), -1);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_IDX(CFG_IDX(CFG_KEY(a1, "c"), 0), 0)),
	                 -1);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_KEY(a1, "d")), -1);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_IDX(a, 2)), -1);
	assert_int_equal(config_path_offset(t, strlen(t), CFG_KEY(a, "b")), -1);
	/* truncated documents: never read past the end */
	for (size_t n = 0; n < strlen(t); n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, t, n);
		(void)config_path_offset(copy, n, CFG_IDX(CFG_KEY(a1, "c"), 1));
		(void)config_path_offset(copy, n, CFG_KEY(a1, "d"));
		free(copy);
	}
	assert_int_equal(config_path_offset("", 0, NULL), -1);
	assert_int_equal(config_path_offset("  ", 2, a), -1);

	config_offset_linecol("ab\ncd\n\xc3\xa9x", 10, 8, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 2);
	config_offset_linecol("ab", 2, 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);

	s = config_path_str(
	    CFG_KEY(CFG_IDX(CFG_KEY(CFG_KEY(NULL, "linux"), "namespaces"), 1), "type"));
	assert_string_equal(s, "linux.namespaces[1].type");
	free(s);
	s = config_path_str(CFG_KEY(CFG_KEY(NULL, "annotations"), "io.k8s/x"));
	assert_string_equal(s, "annotations[\"io.k8s/x\"]");
	free(s);
	s = config_path_str(CFG_IDX(CFG_KEY(NULL, "args"), 0));
	assert_string_equal(s, "args[0]");
	free(s);
	s = config_path_str(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void test_versions(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "1.0.0", "1.0.2", "1.0.2-dev", "1.1.0",     "1.1.0-rc.1",    "1.2.0",
	    "1.2.1", "1.3.0", "1.3.12",    "1.0.0-rc5", "1.0.0-rc2-dev", "1.2.0+build.7"};
	static const char *const bad[] = {"2.0.0", "abc",  "1.4.0",  "0.6.0",  "1.0",    "1",
	                                  "",      "1.2.", "1.2.0-", "v1.2.0", "1.01.0", "1.2.0 "};
	char buf[256];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct config *c;
		snprintf(buf, sizeof(buf), "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}",
		         good[i]);
		c = parse_ok(buf);
		assert_string_equal(c->oci_version, good[i]);
		config_free(c);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char msg[256];
		snprintf(buf, sizeof(buf), "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}",
		         bad[i]);
		snprintf(msg, sizeof(msg),
		         "config.json: ociVersion: unsupported version \"%s\" (expected 1.0.0 to "
		         "1.3.x) (line 1, column 15)",
		         bad[i]);
		expect_error(buf, msg);
	}
}

static void test_capabilities(void **state)
{
	(void)state;
	char logpath[] = "/tmp/berth-config-log-XXXXXX";
	int fd = mkstemp(logpath);
	struct config *c;
	char *logged = NULL;

	/* unknown names are dropped with a warning, as runc does */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(logpath, 0, 0), 0);
	c = parse_ok(BASE "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],"
	                  "\"capabilities\":{\"bounding\":[\"CAP_FOO\",\"CAP_KILL\","
	                  "\"SYS_ADMIN\"],\"effective\":[]}}}");
	log_close();
	assert_int_equal(util_read_file(logpath, &logged, NULL, NULL), 0);
	assert_non_null(strstr(logged, "warning: config.json: process.capabilities.bounding[0]: "
	                               "ignoring unknown capability \"CAP_FOO\"\n"));
	assert_non_null(strstr(logged, "warning: config.json: process.capabilities.bounding[2]: "
	                               "ignoring unknown capability \"SYS_ADMIN\"\n"));
	free(logged);
	unlink(logpath);

	assert_true(c->process.capabilities.has);
	assert_int_equal(c->process.capabilities.n_bounding, 1);
	assert_int_equal(c->process.capabilities.bounding[0], 5);
	assert_int_equal(c->process.capabilities.n_effective, 0);
	assert_null(c->process.capabilities.permitted);
	config_free(c);

	assert_int_equal(config_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(config_cap_from_name("cap_sys_admin"), 21);
	assert_int_equal(config_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(config_cap_from_name("SYS_ADMIN"), -1);
	assert_int_equal(config_cap_from_name("CAP_"), -1);
	assert_int_equal(config_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	assert_int_equal(config_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
	assert_int_equal(config_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(config_ns_from_name("network"), CONFIG_NS_NETWORK);
	assert_int_equal(config_ns_from_name("net"), -1);
	assert_string_equal(config_ns_name(CONFIG_NS_CGROUP), "cgroup");
	assert_int_equal(config_ns_clone_flag(CONFIG_NS_USER), CLONE_NEWUSER);
	assert_int_equal(config_ns_clone_flag(CONFIG_NS_TIME), 0x80);
}

struct mount_case {
	const char *type;
	const char *options; /* space separated */
	unsigned long flags, clear_flags, propagation, attr_set, attr_clr;
	bool bind, recursive_attr, idmap, tmpcopyup;
	const char *data;
};

static void test_mount_options(void **state)
{
	(void)state;
	static const struct mount_case cases[] = {
	    {"tmpfs", "nosuid strictatime mode=755 size=65536k", MS_NOSUID | MS_STRICTATIME, 0, 0,
	     0, 0, false, false, false, false, "mode=755,size=65536k"},
	    {"devpts", "nosuid noexec newinstance ptmxmode=0666 mode=0620 gid=5",
	     MS_NOSUID | MS_NOEXEC, 0, 0, 0, 0, false, false, false, false,
	     "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	    {NULL, "defaults", 0, 0, 0, 0, 0, false, false, false, false, NULL},
	    {NULL, "ro rw", 0, MS_RDONLY, 0, 0, 0, false, false, false, false, NULL},
	    {NULL, "rw ro", MS_RDONLY, 0, 0, 0, 0, false, false, false, false, NULL},
	    {NULL, "suid dev exec async atime diratime nomand norelatime nostrictatime", 0,
	     MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_NOATIME | MS_NODIRATIME |
	         MS_MANDLOCK | MS_RELATIME | MS_STRICTATIME,
	     0, 0, 0, false, false, false, false, NULL},
	    {NULL, "sync dirsync remount mand noatime nodiratime relatime",
	     MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |
	         MS_RELATIME,
	     0, 0, 0, 0, false, false, false, false, NULL},
	    {NULL, "lazytime silent iversion nosymfollow",
	     MS_LAZYTIME | MS_SILENT | MS_I_VERSION | MS_NOSYMFOLLOW, 0, 0, 0, 0, false, false,
	     false, false, NULL},
	    {NULL, "nolazytime loud noiversion", 0, MS_LAZYTIME | MS_SILENT | MS_I_VERSION, 0, 0, 0,
	     false, false, false, false, NULL},
	    {NULL, "bind", MS_BIND, 0, 0, 0, 0, true, false, false, false, NULL},
	    {NULL, "rbind", MS_BIND | MS_REC, 0, 0, 0, 0, true, false, false, false, NULL},
	    {"bind", "ro", MS_BIND | MS_RDONLY, 0, 0, 0, 0, true, false, false, false, NULL},
	    {NULL, "private", 0, 0, MS_PRIVATE, 0, 0, false, false, false, false, NULL},
	    {NULL, "rprivate", 0, 0, MS_PRIVATE | MS_REC, 0, 0, false, false, false, false, NULL},
	    {NULL, "shared", 0, 0, MS_SHARED, 0, 0, false, false, false, false, NULL},
	    {NULL, "rshared", 0, 0, MS_SHARED | MS_REC, 0, 0, false, false, false, false, NULL},
	    {NULL, "slave", 0, 0, MS_SLAVE, 0, 0, false, false, false, false, NULL},
	    {NULL, "rslave", 0, 0, MS_SLAVE | MS_REC, 0, 0, false, false, false, false, NULL},
	    {NULL, "unbindable", 0, 0, MS_UNBINDABLE, 0, 0, false, false, false, false, NULL},
	    {NULL, "shared runbindable", 0, 0, MS_UNBINDABLE | MS_REC, 0, 0, false, false, false,
	     false, NULL},
	    {NULL, "rro rnosuid rnodev rnoexec rnodiratime rnosymfollow", 0, 0, 0,
	     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
	         MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW,
	     0, false, true, false, false, NULL},
	    {NULL, "rrw rsuid rdev rexec rdiratime rsymfollow", 0, 0, 0, 0,
	     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
	         MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW,
	     false, true, false, false, NULL},
	    {NULL, "rro rrw", 0, 0, 0, 0, MOUNT_ATTR_RDONLY, false, true, false, false, NULL},
	    {NULL, "rnoatime", 0, 0, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, false, true, false,
	     false, NULL},
	    {NULL, "rstrictatime", 0, 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, false, true,
	     false, false, NULL},
	    {NULL, "rnoatime rrelatime", 0, 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, false,
	     true, false, false, NULL},
	    {NULL, "ratime rnostrictatime rnorelatime", 0, 0, 0, 0,
	     MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME, false, true, false, false, NULL},
	    {NULL, "idmap", 0, 0, 0, 0, 0, false, false, true, false, NULL},
	    {NULL, "ridmap", 0, 0, 0, 0, 0, false, true, true, false, NULL},
	    {NULL, "tmpcopyup mode=1777", 0, 0, 0, 0, 0, false, false, false, true, "mode=1777"},
	    {NULL, "acl noacl", 0, MS_POSIXACL, 0, 0, 0, false, false, false, false, NULL},
	    {NULL, "", 0, 0, 0, 0, 0, false, false, false, false, NULL},
	};
	berth_error_t err = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mount_case *tc = &cases[i];
		struct config_mount m = {0};
		char *opts = xstrdup(tc->options), *save = NULL;
		char *tok;
		char *list[16];

		m.type = (char *)tc->type;
		m.options = list;
		for (tok = strtok_r(opts, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			list[m.n_options++] = tok;
		assert_int_equal(config_mount_parse_options(&m, &err), 0);
		if (m.flags != tc->flags || m.clear_flags != tc->clear_flags ||
		    m.attr_set != tc->attr_set || m.attr_clr != tc->attr_clr)
			print_error("case %zu (%s)\n", i, tc->options);
		assert_int_equal(m.flags, tc->flags);
		assert_int_equal(m.clear_flags, tc->clear_flags);
		assert_int_equal(m.propagation, tc->propagation);
		assert_int_equal(m.attr_set, tc->attr_set);
		assert_int_equal(m.attr_clr, tc->attr_clr);
		assert_int_equal(m.bind, tc->bind);
		assert_int_equal(m.recursive_attr, tc->recursive_attr);
		assert_int_equal(m.idmap, tc->idmap);
		assert_int_equal(m.tmpcopyup, tc->tmpcopyup);
		if (tc->data == NULL)
			assert_null(m.data);
		else
			assert_string_equal(m.data, tc->data);
		/* parsing again gives the same result (derived fields are reset) */
		assert_int_equal(config_mount_parse_options(&m, &err), 0);
		assert_int_equal(m.flags, tc->flags);
		free(m.data);
		free(opts);
	}
}

static void test_default_spec(void **state)
{
	(void)state;
	for (int rootless = 0; rootless <= 1; rootless++) {
		json_t *spec = config_default_spec(rootless);
		char *text = json_dumps(spec, JSON_INDENT(4));
		struct config *c;
		int sys = -1;

		assert_non_null(text);
		c = parse_ok(text);
		assert_string_equal(c->oci_version, "1.2.0");
		assert_string_equal(c->root.path, "rootfs");
		assert_true(c->root.readonly);
		assert_true(c->process.terminal);
		assert_int_equal(c->process.n_args, 1);
		assert_string_equal(c->process.args[0], "sh");
		assert_string_equal(c->process.cwd, "/");
		assert_true(c->process.no_new_privileges);
		assert_int_equal(c->process.capabilities.n_bounding, 3);
		assert_int_equal(c->process.capabilities.bounding[0], 29); /* CAP_AUDIT_WRITE */
		assert_int_equal(c->process.capabilities.n_inheritable, 0);
		assert_int_equal(c->process.n_rlimits, 1);
		assert_int_equal(c->process.rlimits[0].hard, 1024);
		assert_int_equal(c->n_mounts, 7);
		assert_string_equal(c->mounts[0].destination, "/proc");
		assert_string_equal(c->mounts[2].destination, "/dev/pts");
		assert_string_equal(c->mounts[3].destination, "/dev/shm");
		assert_string_equal(c->mounts[4].destination, "/dev/mqueue");
		for (size_t i = 0; i < c->n_mounts; i++) {
			if (strcmp(c->mounts[i].destination, "/sys") == 0)
				sys = (int)i;
		}
		assert_true(sys >= 0);
		assert_int_equal(c->linux_.n_masked_paths, 10);
		assert_int_equal(c->linux_.n_readonly_paths, 5);
		assert_true(config_find_namespace(c, CONFIG_NS_PID) >= 0);
		assert_true(config_find_namespace(c, CONFIG_NS_IPC) >= 0);
		assert_true(config_find_namespace(c, CONFIG_NS_UTS) >= 0);
		assert_true(config_find_namespace(c, CONFIG_NS_MOUNT) >= 0);
		if (!rootless) {
			assert_true(config_find_namespace(c, CONFIG_NS_NETWORK) >= 0);
			assert_int_equal(config_find_namespace(c, CONFIG_NS_USER), -1);
			assert_string_equal(c->mounts[2].data,
			                    "newinstance,ptmxmode=0666,mode=0620,gid=5");
			assert_string_equal(c->mounts[sys].type, "sysfs");
			assert_true(c->linux_.has_resources);
			assert_int_equal(c->linux_.resources.n_devices, 1);
			assert_false(c->linux_.resources.devices[0].allow);
			assert_string_equal(c->linux_.resources.devices[0].access, "rwm");
		} else {
			assert_int_equal(config_find_namespace(c, CONFIG_NS_NETWORK), -1);
			assert_true(config_find_namespace(c, CONFIG_NS_USER) >= 0);
			assert_int_equal(c->linux_.n_uid_mappings, 1);
			assert_int_equal(c->linux_.uid_mappings[0].host_id, geteuid());
			assert_int_equal(c->linux_.gid_mappings[0].host_id, getegid());
			assert_int_equal(c->linux_.uid_mappings[0].size, 1);
			assert_string_equal(c->mounts[2].data,
			                    "newinstance,ptmxmode=0666,mode=0620");
			assert_true(c->mounts[sys].bind);
			assert_int_equal(c->mounts[sys].flags, MS_BIND | MS_REC | MS_NOSUID |
			                                           MS_NOEXEC | MS_NODEV |
			                                           MS_RDONLY);
			assert_false(c->linux_.has_resources);
		}
		config_free(c);
		free(text);
		json_decref(spec);
	}
}

static void test_parse_process(void **state)
{
	(void)state;
	const char *good = "{\"cwd\":\"/w\",\"args\":[\"ls\",\"-l\"],\"env\":[\"A=b\"],"
	                   "\"user\":{\"uid\":5,\"gid\":6}}";
	const char *bad = "{\"cwd\":\"/w\",\n \"args\":[\"ls\",[]]}";
	struct config_process *p = NULL;
	berth_error_t err = NULL;

	assert_int_equal(config_parse_process(good, strlen(good), "process.json", &p, &err), 0);
	assert_non_null(p);
	assert_int_equal(p->n_args, 2);
	assert_int_equal(p->user.uid, 5);
	assert_string_equal(config_env_get(p->env, p->n_env, "A"), "b");
	config_process_free(p);

	assert_int_equal(config_parse_process(bad, strlen(bad), "process.json", &p, &err), -1);
	assert_null(p);
	assert_string_equal(
	    err->msg, "process.json: args[1]: expected string, got array (line 2, column 15)");
	berth_error_release(&err);

	assert_int_equal(config_parse_process("{}", 2, "process.json", &p, &err), -1);
	assert_string_equal(err->msg,
	                    "process.json: args: required field missing (line 1, column 1)");
	berth_error_release(&err);
	assert_int_equal(config_parse_process("{\"args\"", 7, "process.json", &p, &err), -1);
	assert_non_null(strstr(err->msg, "process.json: invalid JSON: "));
	berth_error_release(&err);
}

static void test_load(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/berth-config-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[4096];
	berth_error_t err = NULL;
	struct config *c = NULL;
	FILE *f;

	assert_non_null(dir);
	assert_int_equal(config_load(dir, &c, &err), -1);
	snprintf(path, sizeof(path), "open `%s/config.json`: No such file or directory", dir);
	assert_string_equal(err->msg, path);
	assert_int_equal(err->status, ENOENT);
	berth_error_release(&err);

	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(full_config, f);
	fclose(f);
	assert_int_equal(config_load(dir, &c, &err), 0);
	check_full(c);
	config_free(c);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\n\"ociVersion\": \"9.9.9\", \"root\": {\"path\": \"r\"}}\n", f);
	fclose(f);
	assert_int_equal(config_load(dir, &c, &err), -1);
	assert_string_equal(err->msg, "config.json: ociVersion: unsupported version \"9.9.9\" "
	                              "(expected 1.0.0 to 1.3.x) (line 2, column 15)");
	berth_error_release(&err);
	unlink(path);
	rmdir(dir);
}

/* BASE, then `"key":` head, n copies of elem joined by commas, tail, "}". */
static char *repeat_doc(const char *head, const char *elem, size_t n, const char *tail)
{
	size_t el = strlen(elem);
	size_t len = strlen(BASE) + strlen(head) + n * (el + 1) + strlen(tail) + 2;
	char *s = xmalloc0(len);
	char *o = s;

	o += sprintf(o, "%s%s", BASE, head);
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		memcpy(o, elem, el);
		o += el;
	}
	sprintf(o, "%s}", tail);
	return s;
}

/* a config cannot make the runtime work for minutes: every list has a documented limit */
static void test_limits(void **state)
{
	(void)state;
	static const struct {
		const char *head, *elem, *tail;
		size_t max;
		const char *msg;
	} t[] = {
	    {"\"mounts\":[", "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\"}", "]",
	     CONFIG_MAX_MOUNTS, "config.json: mounts: %zu entries, more than the limit of %zu"},
	    {"\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":[",
	     "{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1}", "]}", CONFIG_MAX_RLIMITS,
	     "config.json: process.rlimits: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"poststop\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.poststop: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"createContainer\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.createContainer: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"prestart\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.prestart: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"createRuntime\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.createRuntime: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"startContainer\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.startContainer: %zu entries, more than the limit of %zu"},
	    {"\"hooks\":{\"poststart\":[", "{\"path\":\"/bin/true\"}", "]}", CONFIG_MAX_HOOKS,
	     "config.json: hooks.poststart: %zu entries, more than the limit of %zu"},
	    {"\"linux\":{\"devices\":[",
	     "{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":3}", "]}",
	     CONFIG_MAX_DEVICES,
	     "config.json: linux.devices: %zu entries, more than the limit of %zu"},
	    {"\"linux\":{\"resources\":{\"devices\":[", "{\"allow\":true,\"access\":\"rwm\"}",
	     "]}}", CONFIG_MAX_DEVICES,
	     "config.json: linux.resources.devices: %zu entries, more than the limit of %zu"},
	    {"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[",
	     "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"}", "]}}", CONFIG_MAX_SYSCALLS,
	     "config.json: linux.seccomp.syscalls: %zu entries, more than the limit of %zu"},
	    {"\"linux\":{\"uidMappings\":[", "{\"containerID\":0,\"hostID\":1000,\"size\":1}", "]}",
	     CONFIG_MAX_ID_MAPPINGS,
	     "config.json: linux.uidMappings: %zu entries, more than the limit of %zu"},
	    {"\"linux\":{\"gidMappings\":[", "{\"containerID\":0,\"hostID\":1000,\"size\":1}", "]}",
	     CONFIG_MAX_ID_MAPPINGS,
	     "config.json: linux.gidMappings: %zu entries, more than the limit of %zu"},
	    /* an idmapped mount's own mappings */
	    {"\"mounts\":[{\"destination\":\"/m\",\"uidMappings\":[",
	     "{\"containerID\":0,\"hostID\":1000,\"size\":1}", "]}]", CONFIG_MAX_ID_MAPPINGS,
	     "config.json: mounts[0].uidMappings: %zu entries, more than the limit of %zu"},
	    {"\"mounts\":[{\"destination\":\"/m\",\"gidMappings\":[",
	     "{\"containerID\":0,\"hostID\":1000,\"size\":1}", "]}]", CONFIG_MAX_ID_MAPPINGS,
	     "config.json: mounts[0].gidMappings: %zu entries, more than the limit of %zu"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		size_t sizes[] = {t[i].max, t[i].max + 1, 5000};
		for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
			cleanup_free char *doc =
			    repeat_doc(t[i].head, t[i].elem, sizes[k], t[i].tail);
			berth_error_t err = NULL;
			struct config *c = NULL;
			char want[160];
			int r = config_parse(doc, strlen(doc), "config.json", &c, &err);

			if (sizes[k] <= t[i].max) {
				/* at the limit: not refused for its length (a duplicate rlimit is)
				 */
				if (r < 0) {
					assert_null(strstr(err->msg, "more than the limit"));
					berth_error_release(&err);
				}
				config_free(c);
				continue;
			}
			assert_int_equal(r, -1);
			snprintf(want, sizeof(want), t[i].msg, sizes[k], t[i].max);
			if (strncmp(err->msg, want, strlen(want)) != 0)
				print_error("for %s\n", t[i].head);
			assert_memory_equal(err->msg, want, strlen(want));
			assert_null(strchr(err->msg, '\n'));
			berth_error_release(&err);
		}
	}
}

/* hostname and domainname fit the kernel's limit; a long one is not echoed back */
static void test_hostname_length(void **state)
{
	(void)state;
	char name[70 * 1024];
	const char *keys[] = {"hostname", "domainname"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t lens[] = {64, 65, sizeof(name) - 1};
		for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
			cleanup_free char *doc = NULL;
			berth_error_t err = NULL;
			struct config *c = NULL;
			char want[128];

			memset(name, 'h', lens[k]);
			name[lens[k]] = '\0';
			doc = xasprintf(BASE "\"%s\":\"%s\"}", keys[i], name);
			if (lens[k] == 64) {
				c = parse_ok(doc);
				config_free(c);
				continue;
			}
			assert_int_equal(config_parse(doc, strlen(doc), "config.json", &c, &err),
			                 -1);
			snprintf(want, sizeof(want),
			         "config.json: %s: %zu bytes, more than the kernel's limit of 64",
			         keys[i], lens[k]);
			assert_memory_equal(err->msg, want, strlen(want));
			assert_true(strlen(err->msg) < 200);
			berth_error_release(&err);
		}
	}
}

/* memory.limit: a documented minimum instead of an init killed by the OOM killer */
static void test_memory_minimum(void **state)
{
	(void)state;
	struct config *c;

	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":1}}}}",
	             "config.json: linux.resources.memory.limit: 1 bytes is below the minimum of "
	             "6291456 (6 MiB): the container could not even start (line 1, column 88)");
	expect_error(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":6291455}}}}",
	             "config.json: linux.resources.memory.limit: 6291455 bytes is below the "
	             "minimum of 6291456 (6 MiB): the container could not even start (line 1, "
	             "column 88)");
	c = parse_ok(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":6291456}}}}");
	assert_int_equal(c->linux_.resources.mem_limit, 6291456);
	config_free(c);
	/* 0 and -1: no limit */
	c = parse_ok(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":-1}}}}");
	config_free(c);
	c = parse_ok(BASE "\"linux\":{\"resources\":{\"memory\":{\"limit\":0}}}}");
	config_free(c);
}

/* which namespace makes a sysctl private (runc's rules) */
static void test_sysctl_namespace(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		int ns;
	} t[] = {
	    {"kernel.msgmax", CONFIG_NS_IPC},
	    {"kernel.msgmnb", CONFIG_NS_IPC},
	    {"kernel.msgmni", CONFIG_NS_IPC},
	    {"kernel.sem", CONFIG_NS_IPC},
	    {"kernel.shmall", CONFIG_NS_IPC},
	    {"kernel.shmmax", CONFIG_NS_IPC},
	    {"kernel.shmmni", CONFIG_NS_IPC},
	    {"kernel.shm_rmid_forced", CONFIG_NS_IPC},
	    {"fs.mqueue.msg_max", CONFIG_NS_IPC},
	    {"net.ipv4.ip_forward", CONFIG_NS_NETWORK},
	    {"net.core.somaxconn", CONFIG_NS_NETWORK},
	    {"kernel.hostname", CONFIG_NS_UTS},
	    {"kernel.domainname", CONFIG_NS_UTS},
	    {"kernel.core_pattern", -1},
	    {"fs.lease-break-time", -1},
	    {"kernel.semx", -1},
	    {"kernel.sysrq", -1},
	    {"vm.overcommit_memory", -1},
	    {"fs.mqueue", -1},
	    {"network.x", -1},
	    {"kernel.hostnamex", -1},
	    {"net", -1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		if (config_sysctl_namespace(t[i].key) != t[i].ns)
			print_error("for %s\n", t[i].key);
		assert_int_equal(config_sysctl_namespace(t[i].key), t[i].ns);
	}
	expect_error(BASE "\"linux\":{\"sysctl\":{\"net..x\":\"1\"}}}",
	             "config.json: linux.sysctl[\"net..x\"]: not a sysctl name (expected one like "
	             "net.ipv4.ip_forward) (line 1, column 76)");
}

static void check_fails_cleanly(const char *text, size_t len)
{
	berth_error_t err = NULL;
	struct config *c = NULL;
	int r = config_parse(text, len, "config.json", &c, &err);

	if (r == 0) {
		config_free(c);
		return;
	}
	assert_null(c);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "config.json: "));
	assert_non_null(strstr(err->msg, "(line "));
	assert_null(strchr(err->msg, '\n'));
	berth_error_release(&err);
}

/* Numbers that jansson cannot hold, for the fuzz-ish tests below. */
static const char big_config[] =
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\","
    "\"args\":[\"a\",\"99999999999999999999\"],\"rlimits\":[{\"type\":\"RLIMIT_CORE\","
    "\"hard\":18446744073709551615,\"soft\":9223372036854775808}]},\"linux\":{\"seccomp\":{"
    "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],\"action\":"
    "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":18446744073709551615,\"op\":"
    "\"SCMP_CMP_EQ\"}]}]}}}";

/* Every proper prefix of a valid config is an error with a position, never a crash. */
static void test_truncated(void **state)
{
	(void)state;
	const char *const docs[] = {full_config, big_config};

	for (size_t d = 0; d < ARRAY_SIZE(docs); d++) {
		size_t len = strlen(docs[d]);
		struct config *c = parse_ok(docs[d]);

		config_free(c);
		for (size_t n = 0; n < len; n++) {
			/* not NUL-terminated: ASan catches overreads */
			char *copy = malloc(n ? n : 1);
			berth_error_t err = NULL;

			memcpy(copy, docs[d], n);
			assert_int_equal(config_parse(copy, n, "config.json", &c, &err), -1);
			assert_null(c);
			assert_non_null(strstr(err->msg, "(line "));
			berth_error_release(&err);
			free(copy);
		}
	}
}

/* Single-byte mutations: parse either succeeds or fails with a one-line positioned error. */
static void test_mutated(void **state)
{
	(void)state;
	static const char repl[] = {'"', '}', '1', 'x', '-'};
	const char *const docs[] = {full_config, big_config};

	log_open("/dev/null", 0, 0); /* mutated capability names warn */
	for (size_t d = 0; d < ARRAY_SIZE(docs); d++) {
		size_t len = strlen(docs[d]);
		char *copy = malloc(len);

		for (size_t i = 0; i < len; i++) {
			/* two of the replacements per byte, rotating, keeps this fast under ASan */
			for (size_t j = 0; j < 2; j++) {
				memcpy(copy, docs[d], len);
				copy[i] = repl[(i + 2 * j) % sizeof(repl)];
				check_fails_cleanly(copy, len);
			}
		}
		free(copy);
	}
	log_close();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_round_trip),
	    cmocka_unit_test(test_minimal_and_unknown_fields),
	    cmocka_unit_test(test_error_syntax),
	    cmocka_unit_test(test_error_required),
	    cmocka_unit_test(test_error_types),
	    cmocka_unit_test(test_error_ranges),
	    cmocka_unit_test(test_error_values),
	    cmocka_unit_test(test_error_one_line),
	    cmocka_unit_test(test_error_seccomp),
	    cmocka_unit_test(test_error_position_lookup),
	    cmocka_unit_test(test_big_integers),
	    cmocka_unit_test(test_path_offset),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_capabilities),
	    cmocka_unit_test(test_mount_options),
	    cmocka_unit_test(test_default_spec),
	    cmocka_unit_test(test_parse_process),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_mutated),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_hostname_length),
	    cmocka_unit_test(test_memory_minimum),
	    cmocka_unit_test(test_sysctl_namespace),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
