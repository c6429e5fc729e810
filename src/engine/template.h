/* SPDX-License-Identifier: MIT */
/* --format templates (template.c): the subset of Go's text/template that scripts give Docker's
 * inspect, ps and images, evaluated over a JSON document (jansson). Pure; unit-tested in
 * tests/unit/engine/test_engine_template.c.
 *
 *   text                  as is, with \n and \t made a newline and a tab (as Docker's ps does)
 *   {{.A.B}}              a field of the dot: an object's key, exactly or else whatever its case
 *                         (`.Name` finds "name"); a missing one is an error; `{{.}}` the dot
 *   {{json .X}}           the value as JSON; strings, numbers, booleans print as themselves,
 *                         null as <no value>, arrays and objects as JSON
 *   {{index .M "k" 0}}    an object's key (null when absent), an array's element
 *   {{len .X}} {{join .A ","}} {{upper .S}} {{lower .S}}; {{.X | json}} pipes
 *   {{range .X}}…{{else}}…{{end}}   over an array's elements or an object's values (by key), as
 *                         the dot; the else part when there are none
 *   {{if .X}}…{{else}}…{{end}}      false, 0, "", null, [] and {} are false
 *   {{- and -}}           trim the white space before / after; comments are skipped
 * Anything else is refused when parsed, before anything is printed. */
#ifndef BERTH_TEMPLATE_H
#define BERTH_TEMPLATE_H

#include "error.h"

#include <jansson.h>

/* *out (heap) gets tmpl evaluated with dot as the dot. what names the template in an error
 * ("--format"): "bad --format `TMPL`: why", one line. */
int template_render(const char *what, const char *tmpl, json_t *dot, char **out,
                    berth_error_t *err);
/* The same for each element of a JSON array's text (ps, images): a line each. */
int template_render_each(const char *what, const char *tmpl, const char *json_array, char **out,
                         berth_error_t *err);

#endif
