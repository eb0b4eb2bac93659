/* Model parser tests: a valid file round-trips, every kind of bad file is
 * refused with a one-line message naming the problem, and nothing reads out
 * of bounds (run under ASan to make that last part bite). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hsm_writer.h"
#include "model.h"
#include "net.h"
#include "text.h"

static const hsm_dims small = {1, 1, 1, 1, 1, 2, 7};
static const hsm_dims medium = {3, 4, 5, 6, 7, 8, 11};

/* Parse must fail, with a one-line message containing want. */
static void expect_fail(const void *data, size_t size, const char *want, const char *what)
{
	char err[256] = "";
	heist_model *m = heist_model_parse(data, size, err, sizeof err);
	CHECK(!m, "%s: accepted", what);
	heist_model_free(m);
	CHECK(err[0] != '\0', "%s: empty message", what);
	CHECK(!strchr(err, '\n'), "%s: message has a newline: %s", what, err);
	CHECK(!want || strstr(err, want), "%s: message \"%s\" lacks \"%s\"", what, err, want);
}

static uint8_t *valid(const hsm_dims *d, size_t *size)
{
	uint8_t *p = hsm_write_random(d, size);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

static void test_crc(void)
{
	CHECK(heist_crc32("123456789", 9) == 0xCBF43926u, "check value");
	CHECK(heist_crc32("", 0) == 0u, "empty");
}

static void test_round_trip(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	const hsm_layout l = hsm_layout_of(&medium);
	char err[256] = "";
	heist_model *m = heist_model_parse(p, size, err, sizeof err);
	CHECK(m, "valid file refused: %s", err);
	if (!m) {
		free(p);
		return;
	}
	CHECK(!strcmp(m->name, "test-model"), "name %s", m->name);
	CHECK(m->frame_rate == 250.0f && m->sample_rate == 16000.0f, "rates");
	CHECK(m->n_styles == 3 && m->embed_dim == 4 && m->gru_hidden == 5 && m->dense_hidden == 6 &&
	          m->n_harmonics == 7 && m->n_noise == 8,
	      "dims");
	CHECK(m->n_inputs == 7 && m->n_outputs == 16, "derived dims");
	CHECK(m->pitch_center == 60.0f && m->pitch_scale == 24.0f && m->loud_center == -40.0f &&
	          m->loud_scale == 20.0f,
	      "scaling");
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		const heist_style *st = &m->styles[s];
		const uint8_t *sp = p + 132 + 88 * s;
		CHECK(!strcmp(st->name, (const char *)sp), "style %u name", s);
		const float got[6] = {st->pitch_lo, st->pitch_hi, st->pitch_median,
		                      st->loud_lo,  st->loud_hi,  st->loud_median};
		for (int k = 0; k < 6; ++k) {
			CHECK(got[k] == hsm_get_f32(sp + 48 + 4 * k), "style %u stat %d", s, k);
		}
	}
	const float *tensors[HSM_N_TENSORS] = {
	    m->embedding, m->gru_w_ih, m->gru_w_hh, m->gru_b_ih, m->gru_b_hh,
	    m->dense1_w,  m->dense1_b, m->dense2_w, m->dense2_b,
	};
	for (int t = 0; t < HSM_N_TENSORS; ++t) {
		CHECK((uintptr_t)tensors[t] % 64 == 0, "tensor %d not 64-byte aligned", t);
		for (size_t i = 0; i < l.count[t]; ++i) {
			const float want = hsm_get_f32(p + l.offset[t] + 4 * i);
			CHECK(memcmp(&tensors[t][i], &want, sizeof want) == 0, "tensor %d [%zu]", t,
			      i);
		}
	}
	heist_model_free(m);

	/* No message buffer, or a tiny one, is fine. */
	m = heist_model_parse(p, size, NULL, 0);
	CHECK(m, "parse without err buffer");
	heist_model_free(m);
	char tiny[6];
	CHECK(!heist_model_parse(p, size - 1, tiny, sizeof tiny), "truncated accepted");
	CHECK(strlen(tiny) == sizeof tiny - 1, "tiny message not truncated+terminated");
	CHECK(!heist_model_parse(p, size - 1, NULL, 0), "truncated accepted (no err)");
	free(p);
}

static void test_truncation(void)
{
	size_t size;
	uint8_t *p = valid(&small, &size);
	expect_fail(p, 0, "empty", "0 bytes");
	for (size_t n = 1; n < size; ++n) {
		/* A heap copy of exactly n bytes, so ASan catches any read past it. */
		uint8_t *q = malloc(n);
		memcpy(q, p, n);
		char what[64];
		snprintf(what, sizeof what, "prefix of %zu bytes", n);
		expect_fail(q, n, "truncated", what);
		free(q);
	}
	free(p);
}

static void test_flipped_bytes(void)
{
	size_t size;
	uint8_t *p = valid(&small, &size);
	const hsm_layout l = hsm_layout_of(&small);
	for (size_t i = 0; i < size; ++i) {
		for (int bit = 0; bit < 8; bit += 7) {
			p[i] ^= (uint8_t)(1u << bit);
			char what[64];
			snprintf(what, sizeof what, "bit %d flipped at byte %zu", bit, i);
			/* Past the header, only the CRC can notice a flipped bit. */
			expect_fail(p, size, i >= l.tensor_area ? "CRC" : NULL, what);
			p[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(p);
}

/* Edit one field of a valid medium file, fix the CRC, expect a refusal. */
static void expect_field_fail(size_t off, uint32_t value, int is_float, float fvalue,
                              const char *want, const char *what)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	if (is_float) {
		hsm_put_f32(p + off, fvalue);
	} else {
		hsm_put_u32(p + off, value);
	}
	hsm_fix_crc(p, size);
	expect_fail(p, size, want, what);
	free(p);
}

static void test_header_fields(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	memcpy(p, "HEISTHSX", 8);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "magic", "wrong magic");
	expect_fail(p, 20, "magic", "short file with wrong magic");
	free(p);

	char err[256] = "";
	p = valid(&medium, &size);
	hsm_put_u32(p + 8, 2);
	hsm_fix_crc(p, size);
	CHECK(!heist_model_parse(p, size, err, sizeof err), "version 2 accepted");
	CHECK(!strcmp(err, "model: unsupported version 2 (this build reads 1)"), "got: %s", err);
	free(p);

	expect_field_fail(12, 1, 0, 0, "flags", "nonzero flags");
	expect_field_fail(28, 0, 0, 0, "n_styles", "S = 0");
	expect_field_fail(28, 257, 0, 0, "n_styles", "S = 257");
	expect_field_fail(32, 0, 0, 0, "embed_dim", "E = 0");
	expect_field_fail(32, 65, 0, 0, "embed_dim", "E = 65");
	expect_field_fail(36, 100000, 0, 0, "gru_hidden", "H = 100000");
	expect_field_fail(36, 0, 0, 0, "gru_hidden", "H = 0");
	expect_field_fail(40, 1025, 0, 0, "dense_hidden", "D = 1025");
	expect_field_fail(44, 0, 0, 0, "n_harmonics", "NH = 0");
	expect_field_fail(44, 257, 0, 0, "n_harmonics", "NH = 257");
	expect_field_fail(48, 1, 0, 0, "n_noise", "NN = 1");
	expect_field_fail(48, 0xFFFFFFFFu, 0, 0, "n_noise", "NN = 2^32-1");
	/* In range but inconsistent with the file's length. */
	expect_field_fail(36, 6, 0, 0, "size mismatch", "H off by one");
	expect_field_fail(20, 0, 1, 49.0f, "frame_rate", "frame_rate 49");
	expect_field_fail(20, 0, 1, NAN, "frame_rate", "frame_rate NaN");
	expect_field_fail(24, 0, 1, 7999.0f, "sample_rate", "sample_rate 7999");
	expect_field_fail(24, 0, 1, INFINITY, "sample_rate", "sample_rate Inf");
	expect_field_fail(52, 0, 1, NAN, "center", "pitch_center NaN");
	expect_field_fail(60, 0, 1, -INFINITY, "center", "loud_center -Inf");
	expect_field_fail(56, 0, 1, 0.0f, "pitch_scale", "pitch_scale 0");
	expect_field_fail(56, 0, 1, -1.0f, "pitch_scale", "pitch_scale -1");
	expect_field_fail(64, 0, 1, INFINITY, "loud_scale", "loud_scale Inf");
	expect_field_fail(64, 0, 1, NAN, "loud_scale", "loud_scale NaN");
	/* Style statistics must be finite. */
	expect_field_fail(132 + 88 + 48 + 4, 0, 1, NAN, "style 1", "style stat NaN");
}

static void test_size_field(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	hsm_put_u32(p + 16, (uint32_t)size + 1);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "truncated", "size field too big");
	hsm_put_u32(p + 16, (uint32_t)size - 1);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "trailing", "size field too small");
	free(p);

	/* One extra byte, with the size field and CRC agreeing with it. */
	p = valid(&medium, &size);
	uint8_t *q = calloc(1, size + 1);
	memcpy(q, p, size - 4);
	hsm_put_u32(q + 16, (uint32_t)size + 1);
	hsm_fix_crc(q, size + 1);
	expect_fail(q, size + 1, "size mismatch", "extra byte");
	free(q);
	free(p);
}

static void test_non_finite_tensors(void)
{
	static const char *const names[HSM_N_TENSORS] = {
	    "embedding", "gru_w_ih", "gru_w_hh", "gru_b_ih", "gru_b_hh",
	    "dense1_w",  "dense1_b", "dense2_w", "dense2_b",
	};
	const hsm_layout l = hsm_layout_of(&medium);
	for (int t = 0; t < HSM_N_TENSORS; ++t) {
		for (int inf = 0; inf < 2; ++inf) {
			size_t size;
			uint8_t *p = valid(&medium, &size);
			const size_t idx = l.count[t] - 1;
			hsm_put_f32(p + l.offset[t] + 4 * idx, inf ? -INFINITY : NAN);
			hsm_fix_crc(p, size);
			char err[256] = "";
			CHECK(!heist_model_parse(p, size, err, sizeof err), "%s accepted",
			      names[t]);
			CHECK(strstr(err, names[t]) && strstr(err, inf ? "Inf" : "NaN"),
			      "message \"%s\" should name %s", err, names[t]);
			free(p);
		}
	}
}

static void test_names(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	memset(p + 68, 'A', 64);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "name", "model name without NUL");
	free(p);

	p = valid(&medium, &size);
	memset(p + 132 + 88 * 2, 'B', 48);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "style 2 name", "style name without NUL");
	free(p);

	/* A name using all 63 bytes plus its NUL is fine. */
	p = valid(&medium, &size);
	memset(p + 68, 'C', 63);
	hsm_fix_crc(p, size);
	heist_model *m = heist_model_parse(p, size, NULL, 0);
	CHECK(m && strlen(m->name) == 63, "63-byte name");
	heist_model_free(m);
	free(p);
}

static void test_too_large(void)
{
	const size_t n = HSM_MAX_FILE_SIZE + 1u;
	uint8_t *p = calloc(1, n);
	CHECK(p, "out of memory");
	if (p) {
		memcpy(p, "HEISTHSM", 8);
		expect_fail(p, n, "too large", "above the max size");
		free(p);
	}
}

/* Write data to a fresh temporary file; returns its path in buf. */
static int temp_file(char *buf, size_t buf_size, const void *data, size_t size, size_t sparse)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, buf_size, "%s/heist-test-XXXXXX", dir && *dir ? dir : "/tmp");
	const int fd = mkstemp(buf);
	if (fd < 0) {
		return -1;
	}
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return -1;
	}
	int ok = fwrite(data, 1, size, f) == size;
	if (sparse) {
		/* Extend to sparse bytes without writing them all. */
		ok = ok && fseek(f, (long)sparse - 1, SEEK_SET) == 0 && fputc(0, f) == 0;
	}
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void test_load(void)
{
	char err[512] = "";
	char path[256];
	heist_model *m = heist_model_load("/nonexistent/heist/model.hsm", err, sizeof err);
	CHECK(!m, "nonexistent file loaded");
	CHECK(strstr(err, "/nonexistent/heist/model.hsm") && strstr(err, "cannot open"), "got: %s",
	      err);

	size_t size;
	uint8_t *p = valid(&medium, &size);
	if (temp_file(path, sizeof path, p, size, 0) == 0) {
		m = heist_model_load(path, err, sizeof err);
		CHECK(m, "valid file refused: %s", err);
		CHECK(m && m->gru_hidden == 5, "loaded dims");
		heist_model_free(m);
		remove(path);
	} else {
		CHECK(0, "cannot write a temporary file");
	}
	if (temp_file(path, sizeof path, p, size / 2, 0) == 0) {
		m = heist_model_load(path, err, sizeof err);
		CHECK(!m, "truncated file loaded");
		CHECK(!strncmp(err, path, strlen(path)) && strstr(err, "truncated"), "got: %s",
		      err);
		remove(path);
	}
	if (temp_file(path, sizeof path, p, 0, 0) == 0) {
		m = heist_model_load(path, err, sizeof err);
		CHECK(!m && strstr(err, path) && strstr(err, "empty"), "got: %s", err);
		remove(path);
	}
	if (temp_file(path, sizeof path, p, size, HSM_MAX_FILE_SIZE + 1u) == 0) {
		m = heist_model_load(path, err, sizeof err);
		CHECK(!m && strstr(err, path) && strstr(err, "too large"), "got: %s", err);
		remove(path);
	}
	m = heist_model_load("/", err, sizeof err);
	CHECK(!m && strstr(err, "/") && err[0], "directory: %s", err);
	free(p);
}

/* Anything but a regular file is refused at once, by its kind: a FIFO with
 * no writer would block a plain open() or read() forever (the alarm turns a
 * hang into a failure), a directory's "size" is nonsense, a device endless. */
static void test_special_files(void)
{
	char err[512] = "";
	heist_model *m = heist_model_load("/tmp", err, sizeof err);
	CHECK(!m && strstr(err, "not a regular file") && strstr(err, "directory"), "directory: %s",
	      err);
	m = heist_model_load("/dev/zero", err, sizeof err);
	CHECK(!m && strstr(err, "not a regular file") && strstr(err, "device"), "device: %s", err);

	const char *dir = getenv("TMPDIR");
	char fifo[256];
	snprintf(fifo, sizeof fifo, "%s/heist-fifo-%ld", dir && *dir ? dir : "/tmp",
	         (long)getpid());
	remove(fifo);
	if (mkfifo(fifo, 0600) != 0) {
		CHECK(0, "cannot make a FIFO at %s", fifo);
		return;
	}
	alarm(10);
	m = heist_model_load(fifo, err, sizeof err);
	alarm(0);
	CHECK(!m && strstr(err, "not a regular file") && strstr(err, "FIFO"), "FIFO: %s", err);
	remove(fifo);
}

/* Names and paths reach terminals and logs: control characters (an escape
 * sequence, a newline, a C1 CSI in UTF-8) are shown as '?'. */
static void test_control_characters(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	static const char name[] = "evil\x1b]0;owned\x07\n\xc2\x9b"
	                           "31m";
	static const char style[] = "st\x1b[2Jyle\r";
	memcpy(p + 68, name, sizeof name);
	memcpy(p + 132 + 88, style, sizeof style);
	hsm_fix_crc(p, size);
	heist_model *m = heist_model_parse(p, size, NULL, 0);
	CHECK(m, "a model with control characters in its names is refused");
	if (m) {
		CHECK(!strcmp(m->name, "evil?]0;owned???31m"), "model name \"%s\"", m->name);
		CHECK(!strcmp(m->styles[1].name, "st?[2Jyle?"), "style name \"%s\"",
		      m->styles[1].name);
		CHECK(!strcmp(m->styles[0].name, "style0"), "clean name changed: \"%s\"",
		      m->styles[0].name);
	}
	heist_model_free(m);
	free(p);

	char err[512] = "";
	m = heist_model_load("/nonexistent/a\x1b[31m\nb.hsm", err, sizeof err);
	CHECK(!m && strstr(err, "/nonexistent/a?[31m?b.hsm") && heist_text_is_clean(err),
	      "path in the message: %s", err);
}

/* A cheap deterministic fuzz: random edits, half of them with the CRC made
 * right again so they reach the deeper checks. Anything accepted must be a
 * model within the documented bounds. ASan watches the reads. */
static void test_random_edits(void)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	uint32_t rng = 1;
	int accepted = 0;
	for (int iter = 0; iter < 20000; ++iter) {
		size_t n = size;
		uint8_t *q = malloc(n);
		memcpy(q, p, n);
		const int edits = 1 + iter % 4;
		for (int e = 0; e < edits; ++e) {
			rng = rng * 1664525u + 1013904223u;
			/* Mostly the header, where the structure lives. */
			const size_t span = (rng >> 28) < 12 ? 132 + 88 * 3 : n;
			rng = rng * 1664525u + 1013904223u;
			q[(rng >> 8) % span] = (uint8_t)(rng >> 3);
		}
		if (iter % 2) {
			hsm_fix_crc(q, n);
		}
		if (iter % 7 == 0) {
			n = (rng >> 4) % n; /* also a truncation */
		}
		char err[256] = "";
		heist_model *m = heist_model_parse(q, n, err, sizeof err);
		if (m) {
			++accepted;
			CHECK(m->gru_hidden >= 1 && m->gru_hidden <= 1024 && m->n_noise >= 2 &&
			          m->pitch_scale > 0.0f && isfinite(m->frame_rate) &&
			          memchr(m->name, 0, sizeof m->name),
			      "accepted model out of bounds");
		} else {
			CHECK(err[0] != '\0', "refusal without a message");
		}
		heist_model_free(m);
		free(q);
	}
	CHECK(accepted > 0, "no edit was harmless (test is not exercising acceptance)");
	free(p);
}

static void test_free_null(void)
{
	heist_model_free(NULL);
	heist_net_free(NULL);
	CHECK(heist_net_new(NULL) == NULL, "net for no model");
}

/* A medium file with a profile of nb bands; *psize its size, *payload the
 * offset of the PROF payload. */
static uint8_t *with_profile(uint32_t nb, size_t *psize, size_t *payload)
{
	size_t size;
	uint8_t *p = valid(&medium, &size);
	*payload = hsm_profile_payload(size);
	uint8_t *q = hsm_add_profile(p, &size, medium.n_styles, nb);
	free(p);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	*psize = size;
	return q;
}

/* The profile section: read back exactly; a file without one has none. */
static void test_profile_round_trip(void)
{
	size_t size, pay;
	uint8_t *p = with_profile(4, &size, &pay);
	char err[256] = "";
	heist_model *m = heist_model_parse(p, size, err, sizeof err);
	CHECK(m, "profiled file refused: %s", err);
	if (m) {
		CHECK(m->profiles && m->n_ext_bands == 4, "profile missing (%u bands)",
		      m->n_ext_bands);
		CHECK(m->ext_edges[0] == 12000.0f && m->ext_edges[4] == 20000.0f, "edges %g..%g",
		      (double)m->ext_edges[0], (double)m->ext_edges[4]);
		for (uint32_t s = 0; m->profiles && s < medium.n_styles; ++s) {
			const heist_style_profile *pr = &m->profiles[s];
			CHECK(pr->band_db[0] == -60.0f - (float)(s % 5) &&
			          pr->band_db[3] == pr->band_db[0] - 9.0f,
			      "style %u band levels", s);
			CHECK(pr->vibrato_hz == 4.0f + 0.25f * (float)(s % 8) &&
			          pr->attack_depth_db == 20.0f + (float)(s % 30) &&
			          pr->loud_p95 == -15.0f + (float)(s % 7),
			      "style %u expression", s);
		}
		/* The network is the same as without the section. */
		size_t plain_size;
		uint8_t *plain = valid(&medium, &plain_size);
		heist_model *m0 = heist_model_parse(plain, plain_size, err, sizeof err);
		CHECK(m0 && !m0->profiles && m0->n_ext_bands == 0, "plain file has a profile");
		CHECK(m0 && !memcmp(m0->dense2_b, m->dense2_b, sizeof(float) * m->n_outputs),
		      "tensors differ with the section");
		heist_model_free(m0);
		free(plain);
	}
	heist_model_free(m);
	/* An unknown section is skipped, the profile still read. */
	uint8_t *q = malloc(size + 20);
	const size_t sec = pay - 12;
	memcpy(q, p, sec);
	memcpy(q + sec, "ZZZZ", 4);
	hsm_put_u32(q + sec + 4, 7);
	hsm_put_u32(q + sec + 8, 8);
	memset(q + sec + 12, 0xFF, 8);
	memcpy(q + sec + 20, p + sec, size - sec);
	hsm_put_u32(q + 16, (uint32_t)(size + 20));
	hsm_fix_crc(q, size + 20);
	m = heist_model_parse(q, size + 20, err, sizeof err);
	CHECK(m && m->profiles, "unknown section not skipped: %s", m ? "no profile" : err);
	heist_model_free(m);
	free(q);
	free(p);
}

/* A profiled file with the u32/f32 at payload offset off replaced. */
static void expect_profile_fail(size_t off, int is_float, uint32_t u, float f, const char *want,
                                const char *what)
{
	size_t size, pay;
	uint8_t *p = with_profile(4, &size, &pay);
	if (is_float) {
		hsm_put_f32(p + pay + off, f);
	} else {
		hsm_put_u32(p + pay + off, u);
	}
	hsm_fix_crc(p, size);
	expect_fail(p, size, want, what);
	free(p);
}

/* Hostile or corrupt profiles: every count, edge and value refused with
 * its name; section framing errors too. */
static void test_profile_refusals(void)
{
	/* Payload: S, NB, 5 edges (offsets 8..24), then per style 4 + 11 floats. */
	const size_t style0 = 28, expr0 = style0 + 16;
	expect_profile_fail(0, 0, 2, 0, "2 styles, the model has 3", "profile style count");
	expect_profile_fail(4, 0, 0, 0, "n_bands 0", "no bands");
	expect_profile_fail(4, 0, 9, 0, "n_bands 9", "too many bands");
	expect_profile_fail(4, 0, 3, 0, "counts imply", "band count vs size");
	expect_profile_fail(12, 0, 0, 11000.0f, "band edge 1", "edges not increasing");
	expect_profile_fail(8, 1, 0, NAN, "band edge 0", "NaN edge");
	expect_profile_fail(24, 1, 0, 1e6f, "band edge 4", "edge beyond 96 kHz");
	expect_profile_fail(style0, 1, 0, NAN, "band_db", "NaN band level");
	expect_profile_fail(style0 + 4, 1, 0, 1.0f, "band_db 1 out of range",
	                    "band level above 0 dB");
	expect_profile_fail(expr0, 1, 0, INFINITY, "vibrato_hz", "Inf vibrato rate");
	expect_profile_fail(expr0 + 4, 1, 0, 301.0f, "vibrato_cents", "vibrato too deep");
	expect_profile_fail(expr0 + 8, 1, 0, 0.0f, "attack_s 0", "zero attack");
	expect_profile_fail(expr0 + 12, 1, 0, -1.0f, "attack_depth_db", "negative depth");
	expect_profile_fail(expr0 + 16, 1, 0, 0.5f, "release_db_s", "release too slow");
	expect_profile_fail(expr0 + 20, 1, 0, NAN, "release_tail_db_s", "NaN tail");
	expect_profile_fail(expr0 + 24, 1, 0, -20.0f, "percentiles not in order", "p5 > p50");
	expect_profile_fail(expr0 + 32, 1, 0, 25.0f, "loud_p95", "p95 too loud");
	expect_profile_fail(expr0 + 36, 1, 0, -1.0f, "band_pitch -1", "pitch below 0");
	expect_profile_fail(expr0 + 40, 1, 0, NAN, "band_pitch_db_oct", "NaN pitch slope");

	size_t size, pay;
	uint8_t *p = with_profile(4, &size, &pay);
	/* Section framing: version, payload size, flags. */
	hsm_put_u32(p + pay - 8, 2);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "profile: unsupported version 2", "profile version");
	hsm_put_u32(p + pay - 8, 1);
	hsm_put_u32(p + pay - 4, 0xFFFFFFF0u);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "does not fit", "huge payload size");
	hsm_put_u32(p + pay - 4, 6);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "multiple of 4", "unaligned payload size");
	free(p);
	p = with_profile(4, &size, &pay);
	hsm_put_u32(p + 12, 3);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "unsupported flags 0x00000003", "unknown flag bit");
	hsm_put_u32(p + 12, 0);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "size mismatch", "section without the flag");
	free(p);
	/* The flag without any section, and a truncated section header. */
	size_t plain_size;
	p = valid(&medium, &plain_size);
	hsm_put_u32(p + 12, 1);
	hsm_fix_crc(p, plain_size);
	expect_fail(p, plain_size, "flags say sections follow", "flag without sections");
	free(p);
	p = with_profile(4, &size, &pay);
	uint8_t *q = malloc(size + 8);
	memcpy(q, p, size - 4);
	memset(q + size - 4, 0, 8);
	hsm_put_u32(q + 16, (uint32_t)(size + 4));
	hsm_fix_crc(q, size + 4);
	expect_fail(q, size + 4, "truncated section header", "4 stray bytes after the profile");
	/* Two profile sections. */
	uint8_t *r = malloc(2 * size);
	const size_t sec = pay - 12, len = size - 4 - sec;
	memcpy(r, p, size - 4);
	memcpy(r + size - 4, p + sec, len);
	hsm_put_u32(r + 16, (uint32_t)(size + len));
	hsm_fix_crc(r, size + len);
	expect_fail(r, size + len, "two profile sections", "duplicate profile");
	free(r);
	free(q);
	/* Truncated anywhere inside the section: refused, never read past. */
	for (size_t cut = plain_size - 4; cut < size; cut += 3) {
		expect_fail(p, cut, NULL, "truncated profile");
	}
	free(p);
}

/* A medium file with a profile of 4 bands and then a SPEQ section of nb
 * centres, np pitches; *payload the offset of the SPEQ payload. */
static uint8_t *with_speq(uint32_t nb, uint32_t np, size_t *psize, size_t *payload)
{
	size_t size, pay;
	uint8_t *p = with_profile(4, &size, &pay);
	*payload = hsm_profile_payload(size);
	uint8_t *q = hsm_add_speq(p, &size, medium.n_styles, nb, np);
	free(p);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	*psize = size;
	return q;
}

/* The spectral correction section: read back exactly beside the profile;
 * a file without one has none. */
static void test_speq_round_trip(void)
{
	size_t size, pay;
	uint8_t *p = with_speq(5, 3, &size, &pay);
	char err[256] = "";
	heist_model *m = heist_model_parse(p, size, err, sizeof err);
	CHECK(m, "file with SPEQ refused: %s", err);
	if (m) {
		CHECK(m->speq_bands == 5 && m->speq_pitches == 3 && m->speq_db && m->speq_pitch,
		      "SPEQ missing (%u bands, %u pitches)", m->speq_bands, m->speq_pitches);
		CHECK(m->profiles && m->n_ext_bands == 4, "profile lost beside SPEQ");
		CHECK(m->speq_centres[0] == 100.0f && fabsf(m->speq_centres[4] - 10000.0f) < 0.01f,
		      "centres %g..%g", (double)m->speq_centres[0], (double)m->speq_centres[4]);
		for (uint32_t s = 0; m->speq_db && s < medium.n_styles; ++s) {
			CHECK(m->speq_pitch[s * 3 + 2] == 72.0f + (float)(s % 3), "style %u pitch",
			      s);
			for (uint32_t i = 0; i < 15; ++i) {
				CHECK(m->speq_db[s * 15 + i] ==
				          6.0f * sinf(0.7f * (float)i + (float)s),
				      "style %u gain %u", s, i);
			}
		}
	}
	heist_model_free(m);
	size_t plain_size;
	uint8_t *plain = valid(&medium, &plain_size);
	m = heist_model_parse(plain, plain_size, err, sizeof err);
	CHECK(m && !m->speq_db && !m->speq_pitch && m->speq_bands == 0, "plain file has SPEQ");
	heist_model_free(m);
	free(plain);
	free(p);
	/* One pitch and the most bands, without a profile. */
	plain = valid(&medium, &plain_size);
	size = plain_size;
	p = hsm_add_speq(plain, &size, medium.n_styles, HSM_SPEQ_MAX_BANDS, 1);
	m = p ? heist_model_parse(p, size, err, sizeof err) : NULL;
	CHECK(m && m->speq_bands == HSM_SPEQ_MAX_BANDS && m->speq_pitches == 1 && !m->profiles,
	      "64-band SPEQ alone: %s", m ? "wrong counts" : err);
	heist_model_free(m);
	free(p);
	free(plain);
}

/* A file with SPEQ (5 centres, 2 pitches) with the u32/f32 at payload
 * offset off replaced. */
static void expect_speq_fail(size_t off, int is_float, uint32_t u, float f, const char *want,
                             const char *what)
{
	size_t size, pay;
	uint8_t *p = with_speq(5, 2, &size, &pay);
	if (is_float) {
		hsm_put_f32(p + pay + off, f);
	} else {
		hsm_put_u32(p + pay + off, u);
	}
	hsm_fix_crc(p, size);
	expect_fail(p, size, want, what);
	free(p);
}

/* Hostile or corrupt spectral corrections: counts, centres, pitches and
 * gains refused with a message saying which. */
static void test_speq_refusals(void)
{
	/* Payload: S, NB, NP (0..8), 5 centres (12..28), then per style 2
	 * pitches and 10 gains. */
	const size_t style0 = 32, gain0 = style0 + 8, style1 = style0 + 48;
	expect_speq_fail(0, 0, 4, 0, "4 styles, the model has 3", "SPEQ style count");
	expect_speq_fail(4, 0, 1, 0, "1 bands", "one band");
	expect_speq_fail(4, 0, 65, 0, "65 bands", "too many bands");
	expect_speq_fail(4, 0, 0xFFFFFFFFu, 0, "bands", "huge band count");
	expect_speq_fail(8, 0, 0, 0, "0 pitches", "no pitch");
	expect_speq_fail(8, 0, 5, 0, "5 pitches", "too many pitches");
	expect_speq_fail(8, 0, 1, 0, "counts imply", "pitch count vs size");
	expect_speq_fail(12, 1, 0, NAN, "centre 0", "NaN centre");
	expect_speq_fail(12, 1, 0, 5.0f, "centre 0 (5 Hz)", "centre below 10 Hz");
	expect_speq_fail(16, 1, 0, 50.0f, "centre 1", "centres not increasing");
	expect_speq_fail(28, 1, 0, 1e6f, "centre 4", "centre beyond 96 kHz");
	expect_speq_fail(style0, 1, 0, -1.0f, "style 0 pitch 0", "pitch below 0");
	expect_speq_fail(style0 + 4, 1, 0, 40.0f, "style 0 pitch 1", "pitches not increasing");
	expect_speq_fail(style1 + 4, 1, 0, INFINITY, "style 1 pitch 1", "Inf pitch");
	expect_speq_fail(gain0, 1, 0, NAN, "style 0 gain nan", "NaN gain");
	expect_speq_fail(gain0 + 36, 1, 0, 18.5f, "gain 18.5 dB out of range", "gain too high");
	expect_speq_fail(style1 + 8, 1, 0, -INFINITY, "style 1 gain -inf", "gain -Inf");
	expect_speq_fail(style1 + 12, 1, 0, -19.0f, "gain -19 dB", "gain too low");

	size_t size, pay;
	uint8_t *p = with_speq(5, 2, &size, &pay);
	hsm_put_u32(p + pay - 8, 2);
	hsm_fix_crc(p, size);
	expect_fail(p, size, "spectral correction: unsupported version 2", "SPEQ version");
	free(p);
	p = with_speq(5, 2, &size, &pay);
	uint8_t *r = malloc(2 * size);
	const size_t sec = pay - 12, len = size - 4 - sec;
	memcpy(r, p, size - 4);
	memcpy(r + size - 4, p + sec, len);
	hsm_put_u32(r + 16, (uint32_t)(size + len));
	hsm_fix_crc(r, size + len);
	expect_fail(r, size + len, "two spectral correction sections", "duplicate SPEQ");
	free(r);
	/* A payload too short for its counts, and truncated anywhere. */
	r = malloc(size);
	memcpy(r, p, sec + 12);
	hsm_put_u32(r + sec + 8, 8);
	memcpy(r + sec + 12, p + pay, 8);
	hsm_put_u32(r + 16, (uint32_t)(sec + 24));
	hsm_fix_crc(r, sec + 24);
	expect_fail(r, sec + 24, "too short for its counts", "8-byte SPEQ");
	free(r);
	for (size_t cut = pay - 12; cut < size; cut += 5) {
		expect_fail(p, cut, NULL, "truncated SPEQ");
	}
	free(p);
}

int main(void)
{
	test_crc();
	test_round_trip();
	test_truncation();
	test_flipped_bytes();
	test_header_fields();
	test_size_field();
	test_non_finite_tensors();
	test_names();
	test_too_large();
	test_load();
	test_special_files();
	test_control_characters();
	test_random_edits();
	test_free_null();
	test_profile_round_trip();
	test_profile_refusals();
	test_speq_round_trip();
	test_speq_refusals();
	return check_exit("test_model_parse");
}
