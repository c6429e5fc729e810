/* SPDX-License-Identifier: MIT */
/* The records of a snapshot's state file (snapstate.h). */
#include "snapstate.h"
#include "util.h"

#include <endian.h>
#include <string.h>

static const char *const snap_tags[] = {VM_SNAP_TAGS};

void vm_snap_put(struct vm_snap_writer *w, const char *tag, uint32_t inst, const void *data,
                 size_t len)
{
	uint32_t h[2] = {htole32(inst), htole32((uint32_t)len)};

	if (w->len + 12 + len > w->cap) {
		w->cap = (w->len + 12 + len) * 2;
		w->buf = xrealloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, tag, 4);
	memcpy(w->buf + w->len + 4, h, 8);
	if (len > 0)
		memcpy(w->buf + w->len + 12, data, len);
	w->len += 12 + len;
}

void vm_snap_writer_free(struct vm_snap_writer *w)
{
	free(w->buf);
	*w = (struct vm_snap_writer){0};
}

int vm_snap_parse(const uint8_t *buf, size_t len, struct vm_snap_reader *r, berth_error_t *err)
{
	size_t off = 0;

	*r = (struct vm_snap_reader){0};
	while (off < len) {
		struct vm_snap_record rec;
		uint32_t h[2];
		bool known = false;
		if (len - off < 12) {
			vm_snap_reader_free(r);
			return berth_error(err, 0, "a record header at byte %zu runs past the end",
			                   off);
		}
		memcpy(rec.tag, buf + off, 4);
		memcpy(h, buf + off + 4, 8);
		rec.inst = le32toh(h[0]);
		rec.len = le32toh(h[1]);
		for (size_t i = 0; i < sizeof(snap_tags) / sizeof(snap_tags[0]); i++)
			known = known || memcmp(rec.tag, snap_tags[i], 4) == 0;
		if (!known) {
			vm_snap_reader_free(r);
			return berth_error(err, 0, "unknown record tag at byte %zu", off);
		}
		if (rec.len > len - off - 12) {
			vm_snap_reader_free(r);
			return berth_error(err, 0,
			                   "record %.4s %u at byte %zu: %u bytes run past the end",
			                   rec.tag, rec.inst, off, rec.len);
		}
		/* a copy of its own, aligned for the loaders' structures */
		rec.data = xmalloc0(rec.len + 1);
		memcpy((uint8_t *)rec.data, buf + off + 12, rec.len);
		r->recs = xrealloc(r->recs, (r->n + 1) * sizeof(*r->recs));
		r->recs[r->n++] = rec;
		off += 12 + rec.len;
	}
	return 0;
}

void vm_snap_reader_free(struct vm_snap_reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		free((void *)r->recs[i].data);
	free(r->recs);
	*r = (struct vm_snap_reader){0};
}

const void *vm_snap_get(const struct vm_snap_reader *r, const char *tag, uint32_t inst, size_t len,
                        size_t *got, berth_error_t *err)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct vm_snap_record *rec = &r->recs[i];
		if (memcmp(rec->tag, tag, 4) != 0 || rec->inst != inst)
			continue;
		if (len != SIZE_MAX && rec->len != len) {
			berth_error(err, 0, "record %.4s %u: expected %zu bytes, got %u", tag, inst,
			            len, rec->len);
			return NULL;
		}
		if (got != NULL)
			*got = rec->len;
		return rec->data;
	}
	berth_error(err, 0, "record %.4s %u is missing", tag, inst);
	return NULL;
}
