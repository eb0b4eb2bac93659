/* Seed corpus for the parser fuzzer, and the refusal messages it relies on.
 *
 * hsm_corpus DIR   writes the seeds into DIR: small valid models of several
 *                  shapes (from tests/model/hsm_writer.c), and truncated,
 *                  corrupted, wrong-version, wrong-flags, bad-magic,
 *                  huge-dimension, NaN-weight and trailing-data variants;
 *                  valid profiled models (section PROF) and hostile profiles;
 *                  valid and hostile spectral corrections (section SPEQ).
 * hsm_corpus       only checks: every seed parses or is refused as expected,
 *                  with a one-line message naming the problem.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_writer.h"
#include "model.h"

static int failures;
static unsigned n_seeds, n_valid;
static const char *out_dir;

/* want: NULL = must parse; else a substring the refusal must contain. */
static void seed(const char *name, const uint8_t *p, size_t size, const char *want)
{
	char err[256] = "";
	heist_model *m = heist_model_parse(p, size, err, sizeof err);
	const int ok =
	    want ? !m && strstr(err, want) && !strchr(err, '\n') && !strncmp(err, "model: ", 7)
	         : m != NULL;
	if (!ok) {
		++failures;
		fprintf(stderr, "FAIL %s: %s (wanted %s)\n", name, m ? "accepted" : err,
		        want ? want : "a valid model");
	} else if (want) {
		printf("%-28s refused: %s\n", name, err);
	}
	n_valid += m != NULL;
	heist_model_free(m);
	++n_seeds;
	if (out_dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.hsm", out_dir, name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(p, 1, size, f) != size || fclose(f) != 0) {
			fprintf(stderr, "cannot write %s\n", path);
			exit(1);
		}
	}
}

static uint8_t *make(const hsm_dims *d, size_t *size)
{
	uint8_t *p = hsm_write_random(d, size);
	if (!p) {
		exit(1);
	}
	return p;
}

/* A copy of base (size bytes, into p) with the u32 or f32 at off replaced
 * and the CRC fixed, so that only the field is wrong. */
static void seed_u32(const char *name, const uint8_t *base, size_t size, uint8_t *p, size_t off,
                     uint32_t v, const char *want)
{
	memcpy(p, base, size);
	hsm_put_u32(p + off, v);
	hsm_fix_crc(p, size);
	seed(name, p, size, want);
}

static void seed_f32(const char *name, const uint8_t *base, size_t size, uint8_t *p, size_t off,
                     float v, const char *want)
{
	uint32_t bits;
	memcpy(&bits, &v, sizeof bits);
	seed_u32(name, base, size, p, off, bits, want);
}

/* Truncated: inside the magic, the header, the styles, the tensors, the
 * CRC. Corrupted: a flipped byte in the tensors, in a style name, in the
 * CRC. */
static void seed_damaged(const uint8_t *base, size_t size, uint8_t *p)
{
	char name[64];
	const size_t cuts[] = {0, 4, 8, 64, 131, 132, 200, size / 2, size - 4, size - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; ++i) {
		memcpy(p, base, size);
		snprintf(name, sizeof name, "truncated-%zu", cuts[i]);
		seed(name, p, cuts[i], cuts[i] == 0 ? "empty" : "truncated");
	}
	const size_t flips[] = {size / 2, 140, size - 2};
	for (size_t i = 0; i < 3; ++i) {
		memcpy(p, base, size);
		p[flips[i]] ^= 0x20;
		snprintf(name, sizeof name, "corrupt-%zu", flips[i]);
		seed(name, p, size, "CRC mismatch");
	}
}

/* Header fields: version, flags, magic, dimensions, the total size. */
static void seed_header(const uint8_t *base, size_t size, uint8_t *p)
{
	seed_u32("wrong-version-2", base, size, p, 8, 2, "unsupported version 2");
	memcpy(p, base, size);
	hsm_put_u32(p + 8, 0); /* CRC left stale: the version is checked first */
	seed("wrong-version-0", p, size, "unsupported version 0");
	seed_u32("wrong-flags", base, size, p, 12, 2, "unsupported flags");
	seed_u32("flags-no-sections", base, size, p, 12, 1, "flags say sections follow");
	memcpy(p, base, size);
	memcpy(p, "RIFFWAVE", 8);
	seed("bad-magic", p, size, "bad magic");
	/* Huge dimensions: out of the format's range, and in range but far
	 * larger than the file (the size check must refuse before any
	 * allocation). */
	const struct {
		size_t off;
		uint32_t v;
		const char *name, *want;
	} dims[] = {
	    {28, 0x7FFFFFFFu, "huge-styles", "n_styles"},
	    {32, 65u, "huge-embed", "embed_dim"},
	    {36, 0xFFFFFFFFu, "huge-gru", "gru_hidden"},
	    {40, 1u << 20, "huge-dense", "dense_hidden"},
	    {44, 100000u, "huge-harmonics", "n_harmonics"},
	    {48, 1u, "too-few-noise", "n_noise"},
	    {36, 1024u, "max-gru-small-file", "size mismatch"},
	    {28, 256u, "max-styles-small-file", "size mismatch"},
	};
	for (size_t i = 0; i < sizeof dims / sizeof dims[0]; ++i) {
		seed_u32(dims[i].name, base, size, p, dims[i].off, dims[i].v, dims[i].want);
	}
	/* The header's total size disagreeing with the file. */
	seed_u32("total-size-larger", base, size, p, 16, (uint32_t)size + 8, "truncated");
	memcpy(p, base, size);
	memset(p + size, 0, 16);
	seed("trailing-data", p, size + 16, "trailing data");
}

/* Non-finite scalars, statistics and weights of a file made for d. */
static void seed_nonfinite(const hsm_dims *d, const uint8_t *base, size_t size, uint8_t *p)
{
	seed_f32("nan-frame-rate", base, size, p, 20, NAN, "frame_rate");
	seed_f32("zero-pitch-scale", base, size, p, 56, 0.0f, "pitch_scale");
	/* Found by the fuzzer: a style name with a newline, printed in the
	 * message about its non-finite statistic, broke the one-line message. */
	memcpy(p, base, size);
	memcpy(p + 132, "bad\nname\r\x1b", 10);
	hsm_put_f32(p + 132 + 48, NAN);
	hsm_fix_crc(p, size);
	seed("style-name-newline", p, size, "non-finite range statistic");
	const hsm_layout l = hsm_layout_of(d);
	seed_f32("inf-weight", base, size, p, l.offset[2], INFINITY, "non-finite");
}

/* The profile section (model.h): valid ones of 1 and 8 bands, then one bad
 * field each and framing errors, all with correct CRCs. */
static void seed_profiles(const hsm_dims *d, const uint8_t *base, size_t size)
{
	size_t n1 = size, n8 = size;
	uint8_t *one = hsm_add_profile(base, &n1, d->n_styles, 1);
	uint8_t *eight = hsm_add_profile(base, &n8, d->n_styles, 8);
	uint8_t *p = malloc(n8 + 16);
	if (!one || !eight || !p) {
		exit(1);
	}
	seed("valid-profile-1", one, n1, NULL);
	seed("valid-profile-8", eight, n8, NULL);
	const size_t pay = hsm_profile_payload(size);
	const size_t expr = pay + 8 + 4 * 9 + 4 * 8; /* style 0's expression, 8 bands */
	seed_f32("profile-pitch-slope", eight, n8, p, expr + 40, 100.0f, "band_pitch_db_oct");
	seed_u32("profile-version", eight, n8, p, pay - 8, 9, "profile: unsupported version 9");
	seed_u32("profile-huge-size", eight, n8, p, pay - 4, 0x7FFFFFF0u, "does not fit");
	seed_u32("profile-styles", eight, n8, p, pay, d->n_styles + 1, "styles, the model has");
	seed_u32("profile-bands-0", eight, n8, p, pay + 4, 0, "n_bands 0");
	seed_u32("profile-bands-huge", eight, n8, p, pay + 4, 0xFFFFFFFFu, "n_bands");
	seed_u32("profile-bands-fewer", eight, n8, p, pay + 4, 7, "counts imply");
	seed_f32("profile-edge-nan", eight, n8, p, pay + 12, NAN, "band edge 1");
	seed_f32("profile-edge-order", eight, n8, p, pay + 16, 1000.0f, "band edge 2");
	seed_f32("profile-band-inf", eight, n8, p, pay + 8 + 36, INFINITY, "band_db");
	seed_f32("profile-attack-nan", eight, n8, p, expr + 8, NAN, "attack_s");
	seed_f32("profile-release-neg", eight, n8, p, expr + 16, -5.0f, "release_db_s");
	seed_f32("profile-loud-order", eight, n8, p, expr + 28, 19.0f, "not in order");
	memcpy(p, one, n1 - 4);
	memset(p + n1 - 4, 0, 8);
	hsm_put_u32(p + 16, (uint32_t)(n1 + 4));
	hsm_fix_crc(p, n1 + 4);
	seed("profile-stray-bytes", p, n1 + 4, "truncated section header");
	seed("profile-truncated", one, n1 - 6, "truncated");
	free(p);
	free(one);
	free(eight);
}

/* The spectral correction section (model.h): valid ones (beside a profile,
 * and alone at the most bands), then one bad field each. */
static void seed_speq(const hsm_dims *d, const uint8_t *base, size_t size)
{
	size_t n1 = size, n2;
	uint8_t *prof = hsm_add_profile(base, &n1, d->n_styles, 4);
	n2 = n1;
	uint8_t *both = prof ? hsm_add_speq(prof, &n2, d->n_styles, 8, 2) : NULL;
	size_t nm = size;
	uint8_t *most =
	    hsm_add_speq(base, &nm, d->n_styles, HSM_SPEQ_MAX_BANDS, HSM_SPEQ_MAX_PITCHES);
	uint8_t *p = malloc(n2);
	if (!both || !most || !p) {
		exit(1);
	}
	seed("valid-speq-profile", both, n2, NULL);
	seed("valid-speq-64x4", most, nm, NULL);
	const size_t pay = hsm_profile_payload(n1);
	const size_t style0 = pay + 12 + 4 * 8; /* 8 centres, then 2 pitches, 16 gains */
	seed_u32("speq-version", both, n2, p, pay - 8, 3, "correction: unsupported version 3");
	seed_u32("speq-styles", both, n2, p, pay, d->n_styles + 1, "styles, the model has");
	seed_u32("speq-bands-huge", both, n2, p, pay + 4, 0xFFFFFFFFu, "bands");
	seed_u32("speq-pitches-0", both, n2, p, pay + 8, 0, "0 pitches");
	seed_f32("speq-centre-nan", both, n2, p, pay + 16, NAN, "centre 1");
	seed_f32("speq-pitch-order", both, n2, p, style0 + 4, 0.0f, "pitch 1");
	seed_f32("speq-gain-inf", both, n2, p, style0 + 8, INFINITY, "gain inf");
	seed_f32("speq-gain-big", both, n2, p, style0 + 20, 40.0f, "gain 40 dB");
	seed("speq-truncated", both, n2 - 10, "truncated");
	free(p);
	free(prof);
	free(both);
	free(most);
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: hsm_corpus [DIR]\n");
		return 2;
	}
	out_dir = argc == 2 ? argv[1] : NULL;
	/* Valid shapes, mostly small (fast to mutate); the last two are larger
	 * than 8 KiB (~19 KiB, ~80 KiB), the shapes real models have, with many
	 * harmonics and noise bands for the engine to render. */
	const hsm_dims shapes[] = {
	    {1, 1, 1, 1, 1, 2, 1},  {2, 2, 3, 2, 4, 3, 2},     {3, 4, 5, 6, 7, 8, 3},
	    {1, 8, 4, 4, 10, 5, 4}, {2, 8, 24, 24, 60, 65, 5}, {4, 16, 64, 64, 100, 65, 6},
	};
	char name[64];
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
		size_t size;
		uint8_t *p = make(&shapes[i], &size);
		snprintf(name, sizeof name, "valid-%zu", i);
		seed(name, p, size, NULL);
		free(p);
	}

	/* Every damaged seed is a variant of one valid file. */
	size_t size;
	uint8_t *base = make(&shapes[2], &size);
	uint8_t *p = malloc(size + 16);
	if (!p) {
		return 1;
	}
	seed_damaged(base, size, p);
	seed_header(base, size, p);
	seed_nonfinite(&shapes[2], base, size, p);
	seed_profiles(&shapes[2], base, size);
	seed_speq(&shapes[2], base, size);
	free(p);
	free(base);
	printf("%u seeds (%u valid): %s\n", n_seeds, n_valid, failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
