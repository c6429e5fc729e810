/* SPDX-License-Identifier: MIT */
/* berth inspect NAME: the record and the config.json */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>

BERTH_CMD(inspect)
{
	if (argc != 2)
		return berth_error(err, 0, "usage: berth inspect NAME");
	cleanup_free char *id = NULL;
	cleanup_free char *cp = NULL;
	json_t *rec = cli_record(e, argv[1], &id, err);
	json_t *cfg;
	berth_error_t e2 = NULL;
	char *t;

	if (rec == NULL)
		return -1;
	json_object_set_new(rec, "state", json_string(cli_state(rec)));
	cp = engine_path(e, "containers/%s/config.json", id);
	cfg = json_load_file(cp, 0, NULL);
	if (cfg)
		json_object_set_new(rec, "config", cfg);
	berth_error_release(&e2);
	t = json_dumps(rec, JSON_INDENT(2));
	puts(t);
	free(t);
	json_decref(rec);
	return 0;
}
