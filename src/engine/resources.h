/* SPDX-License-Identifier: MIT */
/* The engine's side of run/create's resource and namespace flags (resources.c). */
#ifndef BERTH_ENGINE_RESOURCES_H
#define BERTH_ENGINE_RESOURCES_H

#include "engine.h"

#include <jansson.h>

/* What the values say together (--memory-swap below --memory, --cpus with --cpu-quota, a
 * knob this host's kernel lacks, …): one line naming the flag; spec_check_opts calls it. */
int res_check(const struct run_opts *o, berth_error_t *err);
/* For a new container (ctr_create, after spec_build): the flags into the spec's
 * linux.resources, namespaces and mounts (container:NAME joins that running container's
 * namespace), and the record's HostConfig with Docker's names. */
int res_prepare(struct engine *e, const struct run_opts *o, json_t *rec, json_t *spec,
                berth_error_t *err);
/* Before each start (the monitor): a namespace of container:NAME (--ipc, --pid, and
 * --network when NAME has --network none) is that container's as it runs now (its init's
 * /proc/PID/ns/…), written into config.json; refused when it does not run. Nothing for the
 * others. */
int res_refresh(struct engine *e, const char *id, berth_error_t *err);

#endif
