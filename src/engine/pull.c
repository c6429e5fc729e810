/* SPDX-License-Identifier: MIT */
/* `berth pull`: an image from a registry into the store. The manifest is negotiated (OCI
 * index and manifest, Docker manifest list and schema 2; schema 1 refused), its digest
 * computed (never taken from a header) and checked against the reference's or the index's;
 * from an index the platform's manifest is chosen. Blobs are streamed into a staging
 * directory in the store (<root>/tmp/pull-XXXXXX) with their sha256 and size checked as they
 * come (a dropped connection is resumed with a Range request); layers are unpacked there and
 * their diff ids checked; only then does staging_commit() move them in and name the image.
 * Layers the store has are not fetched. A failure removes the staging directory: the store is
 * as it was. */
#include "image_priv.h"
#include "events.h"
#include "registry.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS MT_INDEX ", " MT_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST
#define CONFIG_MAX       (64u << 20)
#define BLOB_RETRIES     3
#define PULL_JOBS        3

/* On a terminal (stderr), the layers of an image are a board: one line per layer (its
 * digest, shortened, bytes done of its size, the rate), redrawn in place by a thread of its
 * own while the downloads run, then a summary line. Not on a terminal, plain lines. */
enum row_state { ROW_WAITING, ROW_FETCHING, ROW_FETCHED, ROW_UNPACKING, ROW_DONE, ROW_EXISTS };

struct board_row {
	char hex[13];
	uint64_t total;
	uint64_t done;    /* atomic: the download thread's sink writes it */
	long long t0, t1; /* atomic: download start and end (ns) */
	int state;        /* atomic: enum row_state */
};

struct board {
	struct board_row *rows;
	size_t n, drawn; /* lines on the screen now */
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t drawer;
};

struct pull {
	struct engine *e;
	struct reg r;
	struct staging s;
	const struct reg_opts *o;
	struct board *board; /* while an image's layers are fetched on a terminal */
};

static void size_text(char *buf, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.2f GB", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.1f MB", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.1f kB", v / 1e3);
	else
		snprintf(buf, n, "%.0f B", v);
}

static void board_line(const struct board_row *w, long long now)
{
	static const char *const states[] = {"waiting",   "downloading", "downloaded",
	                                     "unpacking", "done",        "exists"};
	int st = __atomic_load_n(&w->state, __ATOMIC_RELAXED);
	uint64_t done = __atomic_load_n(&w->done, __ATOMIC_RELAXED);
	long long t0 = __atomic_load_n(&w->t0, __ATOMIC_RELAXED);
	long long t1 = __atomic_load_n(&w->t1, __ATOMIC_RELAXED);
	double secs = t0 ? (double)((t1 ? t1 : now) - t0) / 1e9 : 0;
	char d[32], t[32], r[32];

	if (st == ROW_EXISTS) {
		fprintf(stderr, "\r\033[KCopying blob %s  already exists\n", w->hex);
		return;
	}
	if (st >= ROW_FETCHED)
		done = w->total;
	size_text(d, sizeof(d), (double)done);
	size_text(t, sizeof(t), (double)w->total);
	size_text(r, sizeof(r), secs > 0 ? (double)done / secs : 0);
	fprintf(stderr, "\r\033[KCopying blob %s  %-11s %10s / %-10s %10s/s\n", w->hex, states[st],
	        d, t, r);
}

/* Called with mu held: the board again, over the lines drawn before. */
static void board_draw(struct board *b)
{
	long long now = util_now_ns();

	if (b->drawn)
		fprintf(stderr, "\033[%zuA", b->drawn);
	for (size_t i = 0; i < b->n; i++)
		board_line(&b->rows[i], now);
	b->drawn = b->n;
	fflush(stderr);
}

static void *board_drawer(void *arg)
{
	struct board *b = arg;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		board_draw(b);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static void pull_say(const struct pull *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pull_say(const struct pull *p, const char *fmt, ...)
{
	va_list ap;

	if (p->o->quiet)
		return;
	if (p->board) {
		/* a line above the board, which is drawn again below it */
		pthread_mutex_lock(&p->board->mu);
		if (p->board->drawn)
			fprintf(stderr, "\033[%zuA\033[J", p->board->drawn);
		p->board->drawn = 0;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (p->board) {
		board_draw(p->board);
		pthread_mutex_unlock(&p->board->mu);
	}
}

static bool mt_is_index(const char *mt)
{
	return strcmp(mt, MT_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static bool mt_is_manifest(const char *mt)
{
	return strcmp(mt, MT_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

static bool mt_is_layer(const char *mt)
{
	static const char *const ok[] = {
	    MT_LAYER,
	    MT_LAYER "+gzip",
	    MT_LAYER "+zstd",
	    MT_DOCKER_LAYER,
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

/* A manifest (or index) by tag or digest: its bytes, media type and computed digest. */
static int pull_manifest(struct pull *p, const char *which, const char *want, char **body,
                         size_t *len, char **mt, char hex[65], berth_error_t *err)
{
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", p->r.repo, which);
	cleanup_free char *label =
	    strncmp(which, "sha256:", 7) == 0 ? xstrdup(which) : xasprintf("tag %s", which);
	struct reg_sink sink = {.fd = -1, .max = MANIFEST_MAX};
	struct reg_resp resp = {0};
	json_t *j = NULL;
	const char *jmt;
	char *ct = NULL;
	int ret = -1;

	*body = NULL;
	*mt = NULL;
	if (reg_request(&p->r, "GET", path, ACCEPT_MANIFESTS, NULL, &sink, &resp, err) < 0) {
		if (sink.over)
			berth_error(err, 0, "manifest %s: larger than 4 MiB", label);
		goto out;
	}
	if (resp.status == 404) {
		berth_error(err, 0, "manifest %s: not found in %s/%s", label, p->r.registry,
		            p->r.repo);
		goto out;
	}
	if (resp.status != 200) {
		cleanup_free char *t = reg_status_text(&resp);
		berth_error(err, 0, "manifest %s: %s", label, t);
		goto out;
	}
	sha256_hex(sink.buf ? sink.buf : "", sink.len, hex);
	if (want && strcmp(want + 7, hex) != 0) {
		berth_error(err, 0, "manifest %s: digest mismatch: expected %s, got sha256:%s",
		            label, want, hex);
		goto out;
	}
	if (resp.ctype) {
		ct = strndup(resp.ctype, strcspn(resp.ctype, "; "));
	}
	if (ct && strncmp(ct, "application/vnd.docker.distribution.manifest.v1+", 48) == 0) {
		berth_error(err, 0,
		            "manifest %s: Docker schema 1 (%s) is not supported: push the image "
		            "again with a current tool",
		            label, ct);
		goto out;
	}
	j = json_loadb(sink.buf ? sink.buf : "", sink.len, 0, NULL);
	if (!json_is_object(j)) {
		berth_error(err, 0, "manifest %s: not a JSON object", label);
		goto out;
	}
	if (json_integer_value(json_object_get(j, "schemaVersion")) == 1) {
		berth_error(err, 0,
		            "manifest %s: Docker schema 1 is not supported: push the image again "
		            "with a current tool",
		            label);
		goto out;
	}
	jmt = json_string_value(json_object_get(j, "mediaType"));
	if (jmt) {
		*mt = xstrdup(jmt);
	} else if (ct && (mt_is_index(ct) || mt_is_manifest(ct))) {
		*mt = xstrdup(ct);
	} else if (json_is_array(json_object_get(j, "manifests"))) {
		*mt = xstrdup(MT_INDEX);
	} else {
		*mt = xstrdup(MT_MANIFEST);
	}
	if (!mt_is_index(*mt) && !mt_is_manifest(*mt)) {
		berth_error(err, 0, "manifest %s: unsupported media type `%s`", label, *mt);
		goto out;
	}
	*body = sink.buf;
	*len = sink.len;
	sink.buf = NULL;
	ret = 0;
out:
	if (ret < 0) {
		free(*mt);
		*mt = NULL;
	}
	free(ct);
	json_decref(j);
	free(sink.buf);
	reg_resp_free(&resp);
	return ret;
}

/* A blob into the staging directory as blobs/<hex>: exactly size bytes whose sha256 is hex. */
static int pull_blob(struct pull *p, struct reg *r, const char *hex, uint64_t size,
                     const char *label, struct board_row *row, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("/v2/%s/blobs/sha256:%s", r->repo, hex);
	cleanup_free char *tmp = xasprintf("%s/.part-%s", p->s.blobs, hex);
	cleanup_free char *dst = xasprintf("%s/%s", p->s.blobs, hex);
	struct reg_sink sink = {.fd = -1, .size = size};
	struct reg_resp resp = {0};
	struct progress pr;
	char got[65];
	int ret = -1;

	if (access(dst, F_OK) == 0)
		return 0;
	sink.fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (sink.fd < 0)
		return berth_error(err, errno, "create `%s`", tmp);
	sha256_init(&sink.sha);
	/* a bar only for what this thread fetches: the download threads' would collide */
	progress_init(&pr, label ? label : "", size);
	sink.pr = label ? &pr : NULL;
	sink.live = row ? &row->done : NULL;
	for (int attempt = 0;; attempt++) {
		berth_error_t e2 = NULL;
		uint64_t before = sink.got;
		if (reg_request(r, "GET", path, NULL, NULL, &sink, &resp, &e2) == 0) {
			if (resp.status == 200 || resp.status == 206)
				break;
			{
				cleanup_free char *t = reg_status_text(&resp);
				berth_error(err, 0, "blob sha256:%.12s: %s", hex, t);
			}
			goto out;
		}
		/* a dropped connection is resumed where it stopped, a few times */
		if (sink.over || attempt + 1 >= BLOB_RETRIES || sink.got == before) {
			if (sink.over)
				berth_error(err, 0,
				            "blob sha256:%.12s: more than the %llu bytes its "
				            "descriptor says",
				            hex, (unsigned long long)size);
			else
				berth_error(err, 0, "blob sha256:%.12s: %s", hex, e2->msg);
			berth_error_release(&e2);
			goto out;
		}
		pull_say(p, "Resuming blob sha256:%.12s at %llu of %llu bytes (%s)", hex,
		         (unsigned long long)sink.got, (unsigned long long)size, e2->msg);
		berth_error_release(&e2);
	}
	if (sink.got != size) {
		berth_error(err, 0,
		            "blob sha256:%.12s: size mismatch: expected %llu bytes, got %llu", hex,
		            (unsigned long long)size, (unsigned long long)sink.got);
		goto out;
	}
	sha256_final_hex(&sink.sha, got);
	if (strcmp(got, hex) != 0) {
		berth_error(err, 0,
		            "blob sha256:%.12s: digest mismatch: expected sha256:%s, got sha256:%s",
		            hex, hex, got);
		goto out;
	}
	if (rename(tmp, dst) < 0) {
		berth_error(err, errno, "rename `%s`", dst);
		goto out;
	}
	if (label)
		progress_end(&pr);
	ret = 0;
out:
	if (ret < 0)
		unlink(tmp);
	close(sink.fd);
	reg_resp_free(&resp);
	return ret;
}

static int desc_check(json_t *d, const char *what, const char **hex, uint64_t *size,
                      berth_error_t *err)
{
	const char *dg = json_string_value(json_object_get(d, "digest"));
	json_t *sz = json_object_get(d, "size");

	*hex = dg ? image_digest_hex(dg) : NULL;
	if (*hex == NULL)
		return berth_error(err, 0,
		                   "%s: missing or unsupported digest `%s` (expected sha256)", what,
		                   dg ? dg : "");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return berth_error(err, 0, "%s: missing or negative size", what);
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

static bool store_has(struct engine *e, const char *rel)
{
	cleanup_free char *p = engine_path(e, "%s", rel);
	return access(p, F_OK) == 0;
}

/* Layer downloads run in PULL_JOBS threads, each with a connection of its own, while this
 * thread unpacks the layers in order as they arrive. */
struct pull_job {
	const char *hex;
	uint64_t size;
	struct board_row *row; /* on a terminal, its line */
	bool done;
	int ret;
	berth_error_t err;
};

struct pull_pool {
	struct pull *p;
	struct pull_job *jobs;
	size_t n_jobs, next;
	volatile int cancel;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *pull_worker(void *arg)
{
	struct pull_pool *pool = arg;
	struct reg r;
	berth_error_t cerr = NULL;
	bool ok = reg_clone(&r, &pool->p->r, &cerr) == 0;

	for (;;) {
		struct pull_job *j;
		pthread_mutex_lock(&pool->mu);
		if (pool->next >= pool->n_jobs || pool->cancel) {
			pthread_mutex_unlock(&pool->mu);
			break;
		}
		j = &pool->jobs[pool->next++];
		pthread_mutex_unlock(&pool->mu);
		{
			berth_error_t e = NULL;
			int ret;
			if (!ok)
				ret = berth_error(&e, 0, "%s", cerr->msg);
			else {
				if (j->row) {
					__atomic_store_n(&j->row->t0, util_now_ns(),
					                 __ATOMIC_RELAXED);
					__atomic_store_n(&j->row->state, ROW_FETCHING,
					                 __ATOMIC_RELAXED);
				}
				ret = pull_blob(pool->p, &r, j->hex, j->size, NULL, j->row, &e);
				if (j->row && ret == 0) {
					__atomic_store_n(&j->row->t1, util_now_ns(),
					                 __ATOMIC_RELAXED);
					__atomic_store_n(&j->row->state, ROW_FETCHED,
					                 __ATOMIC_RELAXED);
				}
			}
			pthread_mutex_lock(&pool->mu);
			j->ret = ret;
			j->err = e;
			j->done = true;
			pthread_cond_broadcast(&pool->cv);
			pthread_mutex_unlock(&pool->mu);
		}
	}
	berth_error_release(&cerr);
	reg_close(&r);
	return NULL;
}

/* The image manifest's config and layers. */
static int pull_image(struct pull *p, json_t *m, berth_error_t *err)
{
	json_t *layers = json_object_get(m, "layers");
	json_t *c = NULL, *diffs;
	const char *chex;
	uint64_t csize;
	size_t n, i, n_threads = 0;
	struct pull_pool pool = {.p = p};
	pthread_t threads[PULL_JOBS];
	ssize_t *job_of = NULL; /* each layer's job, or -1 when the store has it */
	bool tty = !p->o->quiet && isatty(STDERR_FILENO);
	struct board board = {0};
	bool drawing = false;
	long long t0 = util_now_ns();
	uint64_t fetched = 0;
	int ret = -1;

	pthread_mutex_init(&pool.mu, NULL);
	pthread_cond_init(&pool.cv, NULL);
	pthread_mutex_init(&board.mu, NULL);
	pthread_cond_init(&board.cv, NULL);
	p->s.quiet = tty;
	if (desc_check(json_object_get(m, "config"), "config", &chex, &csize, err) < 0)
		goto out;
	if (csize > CONFIG_MAX) {
		berth_error(err, 0, "config: %llu bytes, more than 64 MiB",
		            (unsigned long long)csize);
		goto out;
	}
	if (!json_is_array(layers)) {
		berth_error(err, 0, "manifest: no layers array");
		goto out;
	}
	if (pull_blob(p, &p->r, chex, csize, p->s.quiet ? NULL : "config", NULL, err) < 0)
		goto out;
	{
		cleanup_free char *cp = xasprintf("%s/%s", p->s.blobs, chex);
		c = image_json_load(cp, err);
		if (c == NULL) {
			berth_error_prefix(err, "config sha256:%.12s", chex);
			goto out;
		}
	}
	diffs = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	n = json_array_size(layers);
	if (!json_is_array(diffs) || json_array_size(diffs) != n) {
		berth_error(err, 0, "the manifest's %zu layers do not match the config's diff_ids",
		            n);
		goto out;
	}
	/* check every descriptor first, and make a job of each blob to fetch (once) */
	job_of = xmalloc0((n + 1) * sizeof(*job_of));
	pool.jobs = xmalloc0((n + 1) * sizeof(*pool.jobs));
	board.rows = xmalloc0((n + 1) * sizeof(*board.rows));
	board.n = tty ? n : 0;
	for (i = 0; i < n; i++) {
		json_t *l = json_array_get(layers, i);
		const char *mt = json_string_value(json_object_get(l, "mediaType")) ?: "";
		const char *diff = json_string_value(json_array_get(diffs, i)) ?: "";
		cleanup_free char *what = xasprintf("layer %zu", i + 1);
		cleanup_free char *blob = NULL;
		cleanup_free char *ld = NULL;
		const char *lhex;
		uint64_t lsize;
		if (desc_check(l, what, &lhex, &lsize, err) < 0)
			goto out;
		if (!mt_is_layer(mt)) {
			berth_error(err, 0, "layer %zu: unsupported media type `%s`", i + 1, mt);
			goto out;
		}
		if (image_digest_hex(diff) == NULL) {
			berth_error(err, 0, "config: bad diff id `%s`", diff);
			goto out;
		}
		blob = xasprintf("images/blobs/sha256/%s", lhex);
		ld = image_layer_dir(p->e, diff);
		job_of[i] = -1;
		snprintf(board.rows[i].hex, sizeof(board.rows[i].hex), "%.12s", lhex);
		board.rows[i].total = lsize;
		if (store_has(p->e, blob) && access(ld, F_OK) == 0) {
			board.rows[i].state = ROW_EXISTS;
			if (!tty)
				pull_say(p, "Copying blob sha256:%.12s skipped: already exists",
				         lhex);
			continue;
		}
		for (size_t k = 0; k < pool.n_jobs; k++)
			if (strcmp(pool.jobs[k].hex, lhex) == 0)
				job_of[i] = (ssize_t)k;
		if (job_of[i] >= 0)
			continue;
		if (!tty)
			pull_say(p, "Copying blob sha256:%.12s (%.1f MB)", lhex,
			         (double)lsize / 1e6);
		pool.jobs[pool.n_jobs] = (struct pull_job){
		    .hex = lhex, .size = lsize, .row = tty ? &board.rows[i] : NULL};
		job_of[i] = (ssize_t)pool.n_jobs++;
		fetched += lsize;
	}
	if (tty) {
		pthread_mutex_lock(&board.mu);
		board_draw(&board);
		pthread_mutex_unlock(&board.mu);
		p->board = &board;
		drawing = pthread_create(&board.drawer, NULL, board_drawer, &board) == 0;
	}
	p->r.cancel = &pool.cancel;
	for (; n_threads < PULL_JOBS && n_threads < pool.n_jobs; n_threads++)
		if (pthread_create(&threads[n_threads], NULL, pull_worker, &pool) != 0) {
			berth_error(err, errno, "pthread_create");
			goto out;
		}
	for (i = 0; i < n; i++) {
		struct pull_job *j;
		if (job_of[i] < 0)
			continue;
		j = &pool.jobs[job_of[i]];
		pthread_mutex_lock(&pool.mu);
		while (!j->done)
			pthread_cond_wait(&pool.cv, &pool.mu);
		pthread_mutex_unlock(&pool.mu);
		if (j->ret < 0) {
			berth_error(err, 0, "%s", j->err->msg);
			goto out;
		}
		__atomic_store_n(&board.rows[i].state, ROW_UNPACKING, __ATOMIC_RELAXED);
		if (staging_layer(&p->s, j->hex, json_string_value(json_array_get(diffs, i)) ?: "",
		                  i, n, err) < 0)
			goto out;
		__atomic_store_n(&board.rows[i].state, ROW_DONE, __ATOMIC_RELAXED);
	}
	ret = 0;
out:
	pool.cancel = 1;
	for (i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	p->r.cancel = NULL;
	if (drawing) {
		pthread_mutex_lock(&board.mu);
		board.stop = true;
		pthread_cond_signal(&board.cv);
		pthread_mutex_unlock(&board.mu);
		pthread_join(board.drawer, NULL);
	}
	if (p->board) {
		double secs = (double)(util_now_ns() - t0) / 1e9;
		char sz[32], rate[32];
		pthread_mutex_lock(&board.mu);
		board_draw(&board);
		pthread_mutex_unlock(&board.mu);
		p->board = NULL;
		size_text(sz, sizeof(sz), (double)fetched);
		size_text(rate, sizeof(rate), secs > 0 ? (double)fetched / secs : 0);
		if (ret == 0)
			pull_say(p, "Fetched %zu of %zu layers: %s in %.1f s (%s/s)", pool.n_jobs,
			         n, sz, secs, rate);
	}
	free(board.rows);
	pthread_mutex_destroy(&board.mu);
	pthread_cond_destroy(&board.cv);
	for (i = 0; i < pool.n_jobs; i++)
		berth_error_release(&pool.jobs[i].err);
	free(pool.jobs);
	free(job_of);
	pthread_mutex_destroy(&pool.mu);
	pthread_cond_destroy(&pool.cv);
	json_decref(c);
	return ret;
}

/* --all-platforms: every image of the index (attestations aside), and the index itself under
 * the name, as a manifest list (image.c resolves it to the host's platform). */
static int pull_all(struct pull *p, const char *name, const char *body, size_t len, json_t *index,
                    char **id, berth_error_t *err)
{
	json_t *d;
	size_t i;
	char ihex[65];
	struct platform host;
	cleanup_free char *host_id = NULL;

	platform_host(&host);
	if (staging_init(&p->s, p->e, name, "pull", err) < 0)
		return -1;
	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		json_t *pl = json_object_get(d, "platform");
		const char *os = json_string_value(json_object_get(pl, "os")) ?: "";
		const char *arch = json_string_value(json_object_get(pl, "architecture")) ?: "";
		const char *var = json_string_value(json_object_get(pl, "variant")) ?: "";
		cleanup_free char *cd = NULL;
		cleanup_free char *cbody = NULL;
		cleanup_free char *cmt = NULL;
		const char *chex;
		uint64_t csize;
		size_t clen;
		char hex[65];
		json_t *m;
		int r;
		if (strcmp(os, "unknown") == 0 && strcmp(arch, "unknown") == 0)
			continue;
		if (desc_check(d, "index entry", &chex, &csize, err) < 0)
			return -1;
		if (csize > MANIFEST_MAX)
			return berth_error(err, 0, "index entry %zu: more than 4 MiB", i);
		cd = xasprintf("sha256:%s", chex);
		pull_say(p, "Platform %s/%s%s%s: manifest sha256:%.12s", os, arch,
		         var[0] ? "/" : "", var, chex);
		if (pull_manifest(p, cd, cd, &cbody, &clen, &cmt, hex, err) < 0)
			return -1;
		if (clen != csize || !mt_is_manifest(cmt))
			return berth_error(err, 0, "manifest %s: %s", cd,
			                   clen != csize ? "not the size the index says"
			                                 : "not an image manifest");
		m = json_loadb(cbody, clen, 0, NULL);
		r = pull_image(p, m, err);
		if (r == 0 && host_id == NULL && strcmp(os, host.os) == 0 &&
		    strcmp(arch, host.arch) == 0)
			host_id = xstrdup(image_digest_hex(json_string_value(json_object_get(
			                      json_object_get(m, "config"), "digest")))
			                      ?: "");
		json_decref(m);
		if (r < 0 || staging_blob_mem(&p->s, cbody, clen, hex, err) < 0)
			return -1;
	}
	if (staging_blob_mem(&p->s, body, len, ihex, err) < 0)
		return -1;
	staging_add_image(&p->s, name, ihex, len, MT_INDEX);
	pull_say(p, "Writing manifest list to image destination");
	if (staging_commit(&p->s, NULL, err) < 0)
		return -1;
	*id = host_id ? xstrdup(host_id) : xasprintf("sha256:%s", ihex);
	return 0;
}

static int pull_one(struct engine *e, const struct image_ref *ref, const struct reg_opts *o,
                    char **id, berth_error_t *err)
{
	struct pull p = {.e = e, .o = o};
	cleanup_free char *name = ref_name(ref);
	cleanup_free char *body = NULL;
	cleanup_free char *mt = NULL;
	char hex[65];
	size_t len;
	json_t *m = NULL;
	int ret = -1;

	if (reg_open(&p.r, ref, o, false, err) < 0)
		goto out;
	pull_say(&p, "Trying to pull %s...", name);
	if (pull_manifest(&p, ref->digest ? ref->digest : ref->tag, ref->digest, &body, &len, &mt,
	                  hex, err) < 0)
		goto out;
	m = json_loadb(body, len, 0, NULL);
	if (mt_is_index(mt) && o->all_platforms) {
		ret = pull_all(&p, name, body, len, m, id, err);
		goto out;
	}
	if (mt_is_index(mt)) {
		struct platform want;
		json_t *d;
		long k;
		const char *chex;
		uint64_t csize;
		char pbuf[100];
		cleanup_free char *cd = NULL;
		if (o->platform) {
			if (platform_parse(o->platform, &want, err) < 0)
				goto out;
		} else {
			platform_host(&want);
		}
		k = platform_select(json_object_get(m, "manifests"), &want, err);
		if (k < 0)
			goto out;
		d = json_array_get(json_object_get(m, "manifests"), (size_t)k);
		if (desc_check(d, "index entry", &chex, &csize, err) < 0)
			goto out;
		if (csize > MANIFEST_MAX) {
			berth_error(err, 0, "index entry: manifest of %llu bytes, more than 4 MiB",
			            (unsigned long long)csize);
			goto out;
		}
		platform_format(&want, pbuf, sizeof(pbuf));
		pull_say(&p, "Platform %s: manifest sha256:%.12s", pbuf, chex);
		cd = xasprintf("sha256:%s", chex);
		free(body);
		free(mt);
		body = NULL;
		mt = NULL;
		if (pull_manifest(&p, cd, cd, &body, &len, &mt, hex, err) < 0)
			goto out;
		if (len != csize) {
			berth_error(
			    err, 0,
			    "manifest %s: size mismatch: the index says %llu bytes, got %zu", cd,
			    (unsigned long long)csize, len);
			goto out;
		}
		if (!mt_is_manifest(mt)) {
			berth_error(err, 0, "manifest %s: expected an image manifest, got `%s`", cd,
			            mt);
			goto out;
		}
		json_decref(m);
		m = json_loadb(body, len, 0, NULL);
	}
	if (staging_init(&p.s, e, name, "pull", err) < 0 || pull_image(&p, m, err) < 0)
		goto out;
	{
		char mhex[65];
		if (staging_blob_mem(&p.s, body, len, mhex, err) < 0)
			goto out;
		staging_add_image(&p.s, name, mhex, len, mt);
	}
	pull_say(&p, "Writing manifest to image destination");
	if (staging_commit(&p.s, NULL, err) < 0)
		goto out;
	*id = xstrdup(image_digest_hex(json_string_value(
	                  json_object_get(json_object_get(m, "config"), "digest")))
	                  ?: "");
	ret = 0;
out:
	json_decref(m);
	staging_free(&p.s);
	reg_close(&p.r);
	return ret;
}

/* The search registries of $BERTH_REGISTRIES_CONF or /etc/containers/registries.conf. */
static int pull_search_list(char ***list, size_t *n, char **file, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	*file = xstrdup(getenv("BERTH_REGISTRIES_CONF") ?: "/etc/containers/registries.conf");
	*list = NULL;
	*n = 0;
	if (access(*file, F_OK) < 0)
		return 0;
	if (util_read_file(*file, &text, &len, err) < 0)
		return -1;
	return regconf_search(text, *file, list, n, err);
}

static int image_pull_ref(struct engine *e, const char *refstr, const struct reg_opts *o, char **id,
                          berth_error_t *err)
{
	struct image_ref ref;
	char **list = NULL;
	cleanup_free char *conf = NULL;
	size_t n = 0;
	int ret = -1;

	*id = NULL;
	if (o->platform) {
		struct platform pl;
		if (platform_parse(o->platform, &pl, err) < 0)
			return -1;
	}
	if (ref_parse(refstr, &ref, err) < 0)
		return -1;
	if (ref.registry) {
		ret = pull_one(e, &ref, o, id, err);
		if (ret < 0)
			berth_error_prefix(err, "%s", refstr);
		ref_free(&ref);
		return ret;
	}
	if (pull_search_list(&list, &n, &conf, err) < 0)
		goto out;
	if (n == 0) {
		berth_error(err, 0,
		            "%s: a short name, and %s lists no unqualified-search-registries: give "
		            "the full name (REGISTRY/REPOSITORY[:TAG])",
		            refstr, conf);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct image_ref q;
		berth_error_t e2 = NULL;
		if (ref_qualify(&ref, list[i], &q, err) < 0)
			goto out;
		ret = pull_one(e, &q, o, id, &e2);
		if (ret == 0) {
			ref_free(&q);
			break;
		}
		{
			cleanup_free char *qs = ref_string(&q);
			berth_error(err, 0, "%s (tried %zu of %zu search registries): %s: %s",
			            refstr, i + 1, n, qs, e2->msg);
		}
		berth_error_release(&e2);
		ref_free(&q);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	ref_free(&ref);
	return ret;
}

int image_pull(struct engine *e, const char *refstr, const struct reg_opts *o, char **id,
               berth_error_t *err)
{
	int r = image_pull_ref(e, refstr, o, id, err);

	if (r == 0)
		event_log(e, "image", "pull", refstr, "name", refstr, NULL);
	return r;
}
