/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the OCI config.json parser (config_parse), and the two documents parsed
 * alone with the same code (config_parse_process for `exec --process`, and
 * config_parse_resources for `update -r`). Input: the text of the document. Every call must
 * either succeed or fail with one error message; neither leaks. */
#include "config.h"
#include "error.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool quiet;

static void check_error(int r, berth_error_t *err)
{
	if (r < 0 && (*err == NULL || (*err)->msg == NULL || strchr((*err)->msg, '\n') != NULL))
		abort(); /* a failure must carry one line */
	berth_error_release(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	berth_error_t err = NULL;
	struct config *c = NULL;
	struct config_process *p = NULL;
	struct config_resources r;
	int rc;

	if (!quiet) { /* warnings about unknown names would drown libFuzzer's output */
		log_open("/dev/null", 0, 0);
		quiet = true;
	}
	rc = config_parse(text, size, "config.json", &c, &err);
	check_error(rc, &err);
	if (rc == 0)
		config_free(c);

	rc = config_parse_process(text, size, "process.json", &p, &err);
	check_error(rc, &err);
	if (rc == 0)
		config_process_free(p);

	rc = config_parse_resources(text, size, "resources.json", &r, &err);
	check_error(rc, &err);
	if (rc == 0)
		config_resources_free(&r);
	return 0;
}
