/* Heist style model parser: the only code that reads .hsm bytes.
 *
 * Every size is checked against the header and the documented bounds before
 * anything is read, so any byte string (the parser is fuzzed) either yields a
 * fully validated model or a one-line reason. Multi-byte values are assembled
 * byte by byte from little-endian, which is correct on any host.
 */
#include "model.h"
#include "net.h"
#include "shared.h"
#include "speq.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HSM_ALIGN 64u
#define HSM_CRC_SIZE 4u
#define HSM_STYLE_FLOATS 10u

/* Header field offsets (model.h). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 8,
	OFF_FLAGS = 12,
	OFF_TOTAL_SIZE = 16,
	OFF_FRAME_RATE = 20,
	OFF_SAMPLE_RATE = 24,
	OFF_N_STYLES = 28,
	OFF_EMBED_DIM = 32,
	OFF_GRU_HIDDEN = 36,
	OFF_DENSE_HIDDEN = 40,
	OFF_N_HARMONICS = 44,
	OFF_N_NOISE = 48,
	OFF_PITCH_CENTER = 52,
	OFF_PITCH_SCALE = 56,
	OFF_LOUD_CENTER = 60,
	OFF_LOUD_SCALE = 64,
	OFF_NAME = 68,
	OFF_STYLES = HSM_HEADER_SIZE,
};

enum {
	T_EMBEDDING,
	T_GRU_W_IH,
	T_GRU_W_HH,
	T_GRU_B_IH,
	T_GRU_B_HH,
	T_DENSE1_W,
	T_DENSE1_B,
	T_DENSE2_W,
	T_DENSE2_B,
	T_COUNT
};

static const char *const tensor_names[T_COUNT] = {
    "embedding", "gru_w_ih", "gru_w_hh", "gru_b_ih", "gru_b_hh",
    "dense1_w",  "dense1_b", "dense2_w", "dense2_b",
};

/* [any] Nibble-table CRC-32 (reflected polynomial 0xEDB88320): a 16-entry
 * constant table keeps it thread-safe without lazy initialisation. */
uint32_t heist_crc32(const void *data, size_t size)
{
	static const uint32_t table[16] = {
	    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
	    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
	    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
	};
	const uint8_t *p = data;
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < size; ++i) {
		crc ^= p[i];
		crc = (crc >> 4) ^ table[crc & 15u];
		crc = (crc >> 4) ^ table[crc & 15u];
	}
	return crc ^ 0xFFFFFFFFu;
}

static uint32_t rd_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rd_f32(const uint8_t *p)
{
	uint32_t u = rd_u32(p);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
	if (!err || err_size == 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* Overflow-checked size arithmetic: the result saturates to SIZE_MAX, which
 * can never equal a real file size, so one comparison at the end suffices. */
static size_t mul_sz(size_t a, size_t b)
{
	return (a != 0 && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

static size_t add_sz(size_t a, size_t b)
{
	return (b > SIZE_MAX - a) ? SIZE_MAX : a + b;
}

static size_t align_up(size_t n)
{
	return (n + (HSM_ALIGN - 1u)) & ~(size_t)(HSM_ALIGN - 1u);
}

static bool check_dim(uint32_t v, uint32_t lo, uint32_t hi, const char *what, char *err,
                      size_t err_size)
{
	if (v < lo || v > hi) {
		set_err(err, err_size, "model: %s %u out of range [%u, %u]", what, v, lo, hi);
		return false;
	}
	return true;
}

/* A style name fit for a one-line message: control bytes (a newline in a
 * corrupt file's name included) are shown as '?'. */
static void printable_name(char out[HSM_STYLE_NAME_SIZE], const uint8_t *name)
{
	size_t i = 0;
	for (; i + 1 < HSM_STYLE_NAME_SIZE && name[i]; ++i) {
		out[i] = name[i] < 0x20u || name[i] == 0x7Fu ? '?' : (char)name[i];
	}
	out[i] = '\0';
}

/* What a checked header says: dimensions, feature scaling, and the element
 * count of each tensor. */
typedef struct {
	uint32_t S, E, H, D, NH, NN;
	uint32_t flags;
	float frame_rate, sample_rate;
	float pitch_center, pitch_scale, loud_center, loud_scale;
	size_t count[T_COUNT];
	size_t sections; /* offset of the first section (= of the CRC without any) */
	size_t profile;  /* offset of the PROF payload; 0 = none */
	size_t speq;     /* offset of the SPEQ payload; 0 = none */
	uint32_t speq_nb, speq_np;
} hsm_header;

/* Written so that NaN fails every test. */
static bool check_rate(float v, float lo, float hi, const char *what, char *err, size_t err_size)
{
	if (!(v >= lo && v <= hi)) {
		set_err(err, err_size, "model: %s %g out of range [%g, %g]", what, (double)v,
		        (double)lo, (double)hi);
		return false;
	}
	return true;
}

static bool check_scale(float v, const char *what, char *err, size_t err_size)
{
	if (!(v > 0.0f) || !isfinite(v)) {
		set_err(err, err_size, "model: %s %g must be finite and > 0", what, (double)v);
		return false;
	}
	return true;
}

/* The envelope: size limits, magic, version, flags, and the size the header
 * claims against the bytes given. */
static bool check_envelope(const uint8_t *p, size_t size, char *err, size_t err_size)
{
	if (!p && size != 0) {
		set_err(err, err_size, "model: no data");
		return false;
	}
	if (size == 0) {
		set_err(err, err_size, "model: empty file (0 bytes)");
		return false;
	}
	if (size > HSM_MAX_FILE_SIZE) {
		set_err(err, err_size, "model: file too large: %zu bytes (limit %u)", size,
		        HSM_MAX_FILE_SIZE);
		return false;
	}
	if (size < HSM_HEADER_SIZE) {
		if (size >= sizeof HSM_MAGIC - 1 && memcmp(p, HSM_MAGIC, sizeof HSM_MAGIC - 1)) {
			set_err(err, err_size, "model: not a Heist model (bad magic)");
		} else {
			set_err(err, err_size,
			        "model: truncated: file has %zu bytes, the header alone needs %u",
			        size, HSM_HEADER_SIZE);
		}
		return false;
	}
	if (memcmp(p + OFF_MAGIC, HSM_MAGIC, sizeof HSM_MAGIC - 1)) {
		set_err(err, err_size, "model: not a Heist model (bad magic)");
		return false;
	}
	const uint32_t version = rd_u32(p + OFF_VERSION);
	if (version != HSM_VERSION) {
		set_err(err, err_size, "model: unsupported version %u (this build reads %u)",
		        version, HSM_VERSION);
		return false;
	}
	const uint32_t flags = rd_u32(p + OFF_FLAGS);
	if (flags & ~HSM_FLAG_SECTIONS) {
		set_err(err, err_size, "model: unsupported flags 0x%08x (this build knows 0x%08x)",
		        flags, HSM_FLAG_SECTIONS);
		return false;
	}
	const uint32_t total = rd_u32(p + OFF_TOTAL_SIZE);
	if (total > size) {
		set_err(err, err_size, "model: truncated: header says %u bytes, file has %zu",
		        total, size);
		return false;
	}
	if (total < size) {
		set_err(err, err_size, "model: trailing data: header says %u bytes, file has %zu",
		        total, size);
		return false;
	}
	return true;
}

/* The header's dimensions, scaling and name, each against its bounds. */
static bool read_header(const uint8_t *p, hsm_header *h, char *err, size_t err_size)
{
	h->flags = rd_u32(p + OFF_FLAGS);
	h->profile = 0;
	h->speq = 0;
	h->speq_nb = h->speq_np = 0;
	h->S = rd_u32(p + OFF_N_STYLES);
	h->E = rd_u32(p + OFF_EMBED_DIM);
	h->H = rd_u32(p + OFF_GRU_HIDDEN);
	h->D = rd_u32(p + OFF_DENSE_HIDDEN);
	h->NH = rd_u32(p + OFF_N_HARMONICS);
	h->NN = rd_u32(p + OFF_N_NOISE);
	if (!check_dim(h->S, 1, 256, "n_styles", err, err_size) ||
	    !check_dim(h->E, 1, 64, "embed_dim", err, err_size) ||
	    !check_dim(h->H, 1, 1024, "gru_hidden", err, err_size) ||
	    !check_dim(h->D, 1, 1024, "dense_hidden", err, err_size) ||
	    !check_dim(h->NH, 1, 256, "n_harmonics", err, err_size) ||
	    !check_dim(h->NN, 2, 256, "n_noise", err, err_size)) {
		return false;
	}

	h->frame_rate = rd_f32(p + OFF_FRAME_RATE);
	h->sample_rate = rd_f32(p + OFF_SAMPLE_RATE);
	h->pitch_center = rd_f32(p + OFF_PITCH_CENTER);
	h->pitch_scale = rd_f32(p + OFF_PITCH_SCALE);
	h->loud_center = rd_f32(p + OFF_LOUD_CENTER);
	h->loud_scale = rd_f32(p + OFF_LOUD_SCALE);
	if (!check_rate(h->frame_rate, 50.0f, 1000.0f, "frame_rate", err, err_size) ||
	    !check_rate(h->sample_rate, 8000.0f, 192000.0f, "sample_rate", err, err_size)) {
		return false;
	}
	if (!isfinite(h->pitch_center) || !isfinite(h->loud_center)) {
		set_err(err, err_size, "model: pitch_center or loud_center is not finite");
		return false;
	}
	if (!check_scale(h->pitch_scale, "pitch_scale", err, err_size) ||
	    !check_scale(h->loud_scale, "loud_scale", err, err_size)) {
		return false;
	}
	if (!memchr(p + OFF_NAME, 0, HSM_NAME_SIZE)) {
		set_err(err, err_size, "model: model name is not NUL-terminated within %u bytes",
		        HSM_NAME_SIZE);
		return false;
	}
	return true;
}

/* Tensor element counts, then the size the header implies against the file's. */
static bool check_layout(hsm_header *h, size_t size, char *err, size_t err_size)
{
	const size_t S = h->S, E = h->E, H = h->H, D = h->D;
	const size_t I = 3u + E;
	const size_t O = 1u + (size_t)h->NH + (size_t)h->NN;
	size_t *count = h->count;
	count[T_EMBEDDING] = mul_sz(S, E);
	count[T_GRU_W_IH] = mul_sz(mul_sz(3, H), I);
	count[T_GRU_W_HH] = mul_sz(mul_sz(3, H), H);
	count[T_GRU_B_IH] = mul_sz(3, H);
	count[T_GRU_B_HH] = mul_sz(3, H);
	count[T_DENSE1_W] = mul_sz(D, add_sz(H, I));
	count[T_DENSE1_B] = D;
	count[T_DENSE2_W] = mul_sz(O, D);
	count[T_DENSE2_B] = O;
	size_t n_floats = 0;
	for (int t = 0; t < T_COUNT; ++t) {
		n_floats = add_sz(n_floats, count[t]);
	}
	const size_t tensor_off = add_sz(OFF_STYLES, mul_sz(S, HSM_STYLE_SIZE));
	h->sections = add_sz(tensor_off, mul_sz(n_floats, 4));
	const size_t expected = add_sz(h->sections, HSM_CRC_SIZE);
	if ((h->flags & HSM_FLAG_SECTIONS) && expected != SIZE_MAX && expected < size) {
		return true; /* the sections' walk checks the rest */
	}
	if ((h->flags & HSM_FLAG_SECTIONS) && expected == size) {
		set_err(err, err_size, "model: flags say sections follow the tensors, but none do");
		return false;
	}
	if (expected != size) {
		if (expected == SIZE_MAX) {
			set_err(err, err_size, "model: dimensions overflow the size arithmetic");
		} else {
			set_err(err, err_size,
			        "model: size mismatch: dimensions imply %zu bytes, file has %zu",
			        expected, size);
		}
		return false;
	}
	return true;
}

static bool check_crc(const uint8_t *p, size_t size, char *err, size_t err_size)
{
	const uint32_t stored_crc = rd_u32(p + size - HSM_CRC_SIZE);
	const uint32_t crc = heist_crc32(p, size - HSM_CRC_SIZE);
	if (crc != stored_crc) {
		set_err(
		    err, err_size,
		    "model: CRC mismatch: file says 0x%08x, contents give 0x%08x (corrupt file)",
		    stored_crc, crc);
		return false;
	}
	return true;
}

/* Style names and playing-range statistics (reserved[4] is ignored). */
static bool check_styles(const uint8_t *p, uint32_t S, char *err, size_t err_size)
{
	for (uint32_t s = 0; s < S; ++s) {
		const uint8_t *sp = p + OFF_STYLES + (size_t)s * HSM_STYLE_SIZE;
		if (!memchr(sp, 0, HSM_STYLE_NAME_SIZE)) {
			set_err(err, err_size,
			        "model: style %u name is not NUL-terminated within %u bytes", s,
			        HSM_STYLE_NAME_SIZE);
			return false;
		}
		for (unsigned k = 0; k < 6; ++k) {
			if (!isfinite(rd_f32(sp + HSM_STYLE_NAME_SIZE + 4u * k))) {
				char shown[HSM_STYLE_NAME_SIZE];
				printable_name(shown, sp);
				set_err(err, err_size,
				        "model: style %u (\"%s\") has a non-finite range statistic",
				        s, shown);
				return false;
			}
		}
	}
	return true;
}

/* A profile value against its bounds (NaN fails). */
static bool check_value(float v, float lo, float hi, uint32_t s, const char *what, char *err,
                        size_t err_size)
{
	if (!(v >= lo && v <= hi)) {
		set_err(err, err_size, "model: profile: style %u %s %g out of range [%g, %g]", s,
		        what, (double)v, (double)lo, (double)hi);
		return false;
	}
	return true;
}

static const char *const expr_names[HSM_PROFILE_EXPR_FLOATS] = {
    "vibrato_hz",   "vibrato_cents",     "attack_s",          "attack_depth_db",
    "release_db_s", "release_tail_db_s", "loud_p5",           "loud_p50",
    "loud_p95",     "band_pitch",        "band_pitch_db_oct",
};
static const float expr_lo[HSM_PROFILE_EXPR_FLOATS] = {0,    0,    0.001f, 0, 1,  1,
                                                       -120, -120, -120,   0, -48};
static const float expr_hi[HSM_PROFILE_EXPR_FLOATS] = {20, 300, 2,  80,  10000, 10000,
                                                       20, 20,  20, 127, 48};

/* Section PROF version 1 (model.h): every count, edge and value against its
 * bounds before the model is allocated. */
static bool check_profile(const uint8_t *q, uint32_t version, size_t n, const hsm_header *h,
                          char *err, size_t err_size)
{
	if (version != HSM_PROFILE_VERSION) {
		set_err(err, err_size,
		        "model: profile: unsupported version %u (this build reads %u)", version,
		        HSM_PROFILE_VERSION);
		return false;
	}
	if (n < 8) {
		set_err(err, err_size, "model: profile: %zu bytes, too short for its counts", n);
		return false;
	}
	const uint32_t S = rd_u32(q), NB = rd_u32(q + 4);
	if (S != h->S) {
		set_err(err, err_size, "model: profile: %u styles, the model has %u", S, h->S);
		return false;
	}
	if (NB < 1 || NB > HSM_PROFILE_MAX_BANDS) {
		set_err(err, err_size, "model: profile: n_bands %u out of range [1, %u]", NB,
		        HSM_PROFILE_MAX_BANDS);
		return false;
	}
	const size_t want = 8u + 4u * (NB + 1u) + (size_t)S * 4u * (NB + HSM_PROFILE_EXPR_FLOATS);
	if (n != want) {
		set_err(err, err_size, "model: profile: %zu bytes, its counts imply %zu", n, want);
		return false;
	}
	float prev = 999.0f;
	for (uint32_t b = 0; b <= NB; ++b) {
		const float e = rd_f32(q + 8u + 4u * b);
		if (!(e >= 1000.0f && e <= 96000.0f) || (b > 0 && !(e > prev))) {
			set_err(err, err_size,
			        "model: profile: band edge %u (%g Hz) not increasing within [1000, "
			        "96000]",
			        b, (double)e);
			return false;
		}
		prev = e;
	}
	const uint8_t *sp = q + 8u + 4u * (NB + 1u);
	for (uint32_t s = 0; s < S; ++s) {
		for (uint32_t b = 0; b < NB; ++b, sp += 4) {
			if (!check_value(rd_f32(sp), -160.0f, 0.0f, s, "band_db", err, err_size)) {
				return false;
			}
		}
		for (unsigned k = 0; k < HSM_PROFILE_EXPR_FLOATS; ++k) {
			if (!check_value(rd_f32(sp + 4u * k), expr_lo[k], expr_hi[k], s,
			                 expr_names[k], err, err_size)) {
				return false;
			}
		}
		if (!(rd_f32(sp + 24) <= rd_f32(sp + 28) && rd_f32(sp + 28) <= rd_f32(sp + 32))) {
			set_err(err, err_size,
			        "model: profile: style %u loudness percentiles not in order", s);
			return false;
		}
		sp += 4u * HSM_PROFILE_EXPR_FLOATS;
	}
	return true;
}

/* Section SPEQ version 1 (model.h): counts, centres, pitches and gains
 * against their bounds before the model is allocated. */
static bool check_speq(const uint8_t *q, uint32_t version, size_t n, hsm_header *h, char *err,
                       size_t err_size)
{
	if (version != HSM_SPEQ_VERSION) {
		set_err(err, err_size,
		        "model: spectral correction: unsupported version %u (this build reads %u)",
		        version, HSM_SPEQ_VERSION);
		return false;
	}
	if (n < 12) {
		set_err(err, err_size,
		        "model: spectral correction: %zu bytes, too short for its counts", n);
		return false;
	}
	const uint32_t S = rd_u32(q), NB = rd_u32(q + 4), NP = rd_u32(q + 8);
	if (S != h->S) {
		set_err(err, err_size, "model: spectral correction: %u styles, the model has %u", S,
		        h->S);
		return false;
	}
	if (NB < 2 || NB > HSM_SPEQ_MAX_BANDS || NP < 1 || NP > HSM_SPEQ_MAX_PITCHES) {
		set_err(err, err_size,
		        "model: spectral correction: %u bands, %u pitches out of range [2, %u], "
		        "[1, %u]",
		        NB, NP, HSM_SPEQ_MAX_BANDS, HSM_SPEQ_MAX_PITCHES);
		return false;
	}
	const size_t want = 12u + 4u * NB + (size_t)S * 4u * (NP + (size_t)NP * NB);
	if (n != want) {
		set_err(err, err_size,
		        "model: spectral correction: %zu bytes, its counts imply %zu", n, want);
		return false;
	}
	float prev = 0.0f;
	for (uint32_t b = 0; b < NB; ++b) {
		const float c = rd_f32(q + 12u + 4u * b);
		if (!(c >= 10.0f && c <= 96000.0f) || (b > 0 && !(c > prev))) {
			set_err(
			    err, err_size,
			    "model: spectral correction: centre %u (%g Hz) not increasing within "
			    "[10, 96000]",
			    b, (double)c);
			return false;
		}
		prev = c;
	}
	const uint8_t *sp = q + 12u + 4u * NB;
	for (uint32_t s = 0; s < S; ++s) {
		for (uint32_t i = 0; i < NP; ++i, sp += 4) {
			const float p = rd_f32(sp);
			if (!(p >= 0.0f && p <= 127.0f) || (i > 0 && !(p > rd_f32(sp - 4)))) {
				set_err(err, err_size,
				        "model: spectral correction: style %u pitch %u (%g) not "
				        "increasing within [0, 127]",
				        s, i, (double)p);
				return false;
			}
		}
		for (uint32_t i = 0; i < NP * NB; ++i, sp += 4) {
			const float g = rd_f32(sp);
			if (!(g >= -HSM_SPEQ_MAX_DB && g <= HSM_SPEQ_MAX_DB)) {
				set_err(
				    err, err_size,
				    "model: spectral correction: style %u gain %g dB out of range "
				    "[%g, %g]",
				    s, (double)g, -(double)HSM_SPEQ_MAX_DB,
				    (double)HSM_SPEQ_MAX_DB);
				return false;
			}
		}
	}
	h->speq_nb = NB;
	h->speq_np = NP;
	return true;
}

/* The sections between the tensors and the CRC: each header and payload
 * inside the area, known ones checked, unknown ones skipped. */
static bool check_sections(const uint8_t *p, size_t size, hsm_header *h, char *err, size_t err_size)
{
	const size_t end = size - HSM_CRC_SIZE;
	size_t at = h->sections;
	while (at < end) {
		if (end - at < HSM_SECTION_HEADER_SIZE) {
			set_err(err, err_size,
			        "model: truncated section header at byte %zu (%zu bytes left)", at,
			        end - at);
			return false;
		}
		const uint8_t *tag = p + at;
		const uint32_t version = rd_u32(p + at + 4), n = rd_u32(p + at + 8);
		at += HSM_SECTION_HEADER_SIZE;
		if (n % 4u || n > end - at) {
			set_err(err, err_size,
			        "model: section at byte %zu: payload of %u bytes does not fit (%zu "
			        "left, multiple of 4)",
			        at - HSM_SECTION_HEADER_SIZE, n, end - at);
			return false;
		}
		if (!memcmp(tag, HSM_PROFILE_TAG, 4)) {
			if (h->profile) {
				set_err(err, err_size, "model: two profile sections");
				return false;
			}
			if (!check_profile(p + at, version, n, h, err, err_size)) {
				return false;
			}
			h->profile = at;
		} else if (!memcmp(tag, HSM_SPEQ_TAG, 4)) {
			if (h->speq) {
				set_err(err, err_size, "model: two spectral correction sections");
				return false;
			}
			if (!check_speq(p + at, version, n, h, err, err_size)) {
				return false;
			}
			h->speq = at;
		}
		at += n;
	}
	return true;
}

/* The checked PROF payload into the model. */
static void read_profile(heist_model *m, const uint8_t *q)
{
	const uint32_t S = rd_u32(q), NB = rd_u32(q + 4);
	m->n_ext_bands = NB;
	for (uint32_t b = 0; b <= NB; ++b) {
		m->ext_edges[b] = rd_f32(q + 8u + 4u * b);
	}
	const uint8_t *sp = q + 8u + 4u * (NB + 1u);
	for (uint32_t s = 0; s < S; ++s) {
		heist_style_profile *pr = &m->profiles[s];
		memset(pr, 0, sizeof *pr);
		for (uint32_t b = 0; b < NB; ++b, sp += 4) {
			pr->band_db[b] = rd_f32(sp);
		}
		float v[HSM_PROFILE_EXPR_FLOATS];
		for (unsigned k = 0; k < HSM_PROFILE_EXPR_FLOATS; ++k, sp += 4) {
			v[k] = rd_f32(sp);
		}
		pr->vibrato_hz = v[0];
		pr->vibrato_cents = v[1];
		pr->attack_s = v[2];
		pr->attack_depth_db = v[3];
		pr->release_db_s = v[4];
		pr->release_tail_db_s = v[5];
		pr->loud_p5 = v[6];
		pr->loud_p50 = v[7];
		pr->loud_p95 = v[8];
		pr->band_pitch = v[9];
		pr->band_pitch_db_oct = v[10];
	}
}

/* The checked SPEQ payload into the model (its arrays allocated). */
static void read_speq(heist_model *m, const uint8_t *q)
{
	const uint32_t S = rd_u32(q), NB = rd_u32(q + 4), NP = rd_u32(q + 8);
	m->speq_bands = NB;
	m->speq_pitches = NP;
	for (uint32_t b = 0; b < NB; ++b) {
		m->speq_centres[b] = rd_f32(q + 12u + 4u * b);
	}
	const uint8_t *sp = q + 12u + 4u * NB;
	for (uint32_t s = 0; s < S; ++s) {
		for (uint32_t i = 0; i < NP; ++i, sp += 4) {
			m->speq_pitch[(size_t)s * NP + i] = rd_f32(sp);
		}
		for (uint32_t i = 0; i < NP * NB; ++i, sp += 4) {
			m->speq_db[(size_t)s * NP * NB + i] = rd_f32(sp);
		}
	}
}

/* One aligned block: styles, then each tensor on a 64-byte boundary. */
static heist_model *alloc_model(const hsm_header *h, float *tensor[T_COUNT], char *err,
                                size_t err_size)
{
	size_t off[T_COUNT];
	const size_t prof_off = align_up(sizeof(heist_style) * h->S);
	const size_t speq_off =
	    prof_off + (h->profile ? align_up(sizeof(heist_style_profile) * h->S) : 0u);
	const size_t speq_pitch = (size_t)h->S * h->speq_np;
	size_t block_size =
	    speq_off + (h->speq ? align_up(sizeof(float) * speq_pitch * (1u + h->speq_nb)) : 0u);
	for (int t = 0; t < T_COUNT; ++t) {
		off[t] = block_size;
		block_size += align_up(h->count[t] * sizeof(float));
	}
	heist_model *m = calloc(1, sizeof *m);
	void *block = aligned_alloc(HSM_ALIGN, block_size);
	if (!m || !block) {
		free(m);
		free(block);
		set_err(err, err_size, "model: out of memory (%zu bytes)", block_size);
		return NULL;
	}
	m->block = block;
	m->styles = block;
	m->profiles = h->profile ? (heist_style_profile *)((char *)block + prof_off) : NULL;
	m->speq_pitch = h->speq ? (float *)((char *)block + speq_off) : NULL;
	m->speq_db = h->speq ? m->speq_pitch + speq_pitch : NULL;
	for (int t = 0; t < T_COUNT; ++t) {
		tensor[t] = (float *)((char *)block + off[t]);
	}
	return m;
}

/* The tensors, in file order; refuses any NaN or Inf. */
static bool read_tensors(const uint8_t *p, const hsm_header *h, float *const tensor[T_COUNT],
                         char *err, size_t err_size)
{
	const uint8_t *tp = p + OFF_STYLES + (size_t)h->S * HSM_STYLE_SIZE;
	for (int t = 0; t < T_COUNT; ++t) {
		float *dst = tensor[t];
		for (size_t i = 0; i < h->count[t]; ++i, tp += 4) {
			const float v = rd_f32(tp);
			if (!isfinite(v)) {
				set_err(err, err_size,
				        "model: tensor %s has a non-finite value (%s) at index %zu",
				        tensor_names[t], isnan(v) ? "NaN" : "Inf", i);
				return false;
			}
			dst[i] = v;
		}
	}
	return true;
}

/* The style table (already checked by check_styles). */
static void read_styles(heist_model *m, const uint8_t *p, uint32_t S)
{
	for (uint32_t s = 0; s < S; ++s) {
		const uint8_t *sp = p + OFF_STYLES + (size_t)s * HSM_STYLE_SIZE;
		heist_style *st = &m->styles[s];
		memcpy(st->name, sp, HSM_STYLE_NAME_SIZE);
		/* Names are only ever shown: no control byte may reach a terminal,
		 * a log line or a UI label. */
		heist_text_sanitize(st->name, sizeof st->name, st->name);
		const uint8_t *fp = sp + HSM_STYLE_NAME_SIZE;
		st->pitch_lo = rd_f32(fp + 0);
		st->pitch_hi = rd_f32(fp + 4);
		st->pitch_median = rd_f32(fp + 8);
		st->loud_lo = rd_f32(fp + 12);
		st->loud_hi = rd_f32(fp + 16);
		st->loud_median = rd_f32(fp + 20);
	}
}

/* The header's fields and the tensor pointers into the model. */
static void fill_model(heist_model *m, const uint8_t *p, const hsm_header *h,
                       float *const tensor[T_COUNT])
{
	memcpy(m->name, p + OFF_NAME, HSM_NAME_SIZE);
	heist_text_sanitize(m->name, sizeof m->name, m->name);
	m->frame_rate = h->frame_rate;
	m->sample_rate = h->sample_rate;
	m->n_styles = h->S;
	m->embed_dim = h->E;
	m->gru_hidden = h->H;
	m->dense_hidden = h->D;
	m->n_harmonics = h->NH;
	m->n_noise = h->NN;
	m->n_inputs = 3u + h->E;
	m->n_outputs = 1u + h->NH + h->NN;
	m->pitch_center = h->pitch_center;
	m->pitch_scale = h->pitch_scale;
	m->loud_center = h->loud_center;
	m->loud_scale = h->loud_scale;
	m->embedding = tensor[T_EMBEDDING];
	m->gru_w_ih = tensor[T_GRU_W_IH];
	m->gru_w_hh = tensor[T_GRU_W_HH];
	m->gru_b_ih = tensor[T_GRU_B_IH];
	m->gru_b_hh = tensor[T_GRU_B_HH];
	m->dense1_w = tensor[T_DENSE1_W];
	m->dense1_b = tensor[T_DENSE1_B];
	m->dense2_w = tensor[T_DENSE2_W];
	m->dense2_b = tensor[T_DENSE2_B];
}

/* [main] See model.h. Every check runs before anything is allocated, except
 * the tensors' finiteness, which is checked while they are copied. */
heist_model *heist_model_parse(const void *data, size_t size, char *err, size_t err_size)
{
	const uint8_t *p = data;
	hsm_header h;
	if (!check_envelope(p, size, err, err_size) || !read_header(p, &h, err, err_size) ||
	    !check_layout(&h, size, err, err_size) || !check_crc(p, size, err, err_size) ||
	    !check_styles(p, h.S, err, err_size) || !check_sections(p, size, &h, err, err_size)) {
		return NULL;
	}
	float *tensor[T_COUNT];
	heist_model *m = alloc_model(&h, tensor, err, err_size);
	if (!m) {
		return NULL;
	}
	if (!read_tensors(p, &h, tensor, err, err_size)) {
		heist_model_free(m);
		return NULL;
	}
	read_styles(m, p, h.S);
	if (h.profile) {
		read_profile(m, p + h.profile);
	}
	if (h.speq) {
		read_speq(m, p + h.speq);
	}
	fill_model(m, p, &h, tensor);
	if (h.speq) { /* the engine's noise bands among the centres, once */
		m->speq_noise_hz = 0.5f * m->sample_rate / (float)(m->n_noise - 1u);
		heist_speq_walk(m->speq_centres, m->speq_bands, m->n_noise, m->speq_noise_hz,
		                m->speq_noise_at, m->speq_noise_u);
		m->speq_walked = m->n_noise;
	}
	m->packed = heist_net_pack(m);
	if (!m->packed) {
		set_err(err, err_size, "model: out of memory (packed weights)");
		heist_model_free(m);
		return NULL;
	}
	return m;
}

/* Read a whole stream, refusing to hold more than HSM_MAX_FILE_SIZE bytes.
 * Returns a malloc'ed buffer (possibly of size 0) or NULL with err set. */
static uint8_t *read_stream(FILE *f, size_t *size, char *err, size_t err_size)
{
	size_t cap = 64u * 1024u;
	size_t len = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		set_err(err, err_size, "out of memory");
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap > HSM_MAX_FILE_SIZE) {
				free(buf);
				set_err(err, err_size, "file too large: more than %u bytes",
				        HSM_MAX_FILE_SIZE);
				return NULL;
			}
			/* Grow up to one byte past the limit, enough to detect it. */
			size_t ncap =
			    cap * 2u > HSM_MAX_FILE_SIZE ? HSM_MAX_FILE_SIZE + 1u : cap * 2u;
			uint8_t *nbuf = realloc(buf, ncap);
			if (!nbuf) {
				free(buf);
				set_err(err, err_size, "out of memory");
				return NULL;
			}
			buf = nbuf;
			cap = ncap;
		}
		const size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		const int e = errno;
		free(buf);
		set_err(err, err_size, "read error: %s", e ? strerror(e) : "unknown");
		return NULL;
	}
	*size = len;
	return buf;
}

/* [main] Open path for reading without ever blocking: a FIFO, a device or a
 * directory is refused before a read could wait forever (a FIFO with no
 * writer) or report nonsense (a directory's "size"). NULL with err set. */
static FILE *open_regular(const char *path, const char *shown, char *err, size_t err_size)
{
	errno = 0;
	const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(err, err_size, "%s: cannot open: %s", shown,
		        errno ? strerror(errno) : "unknown error");
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		const char *kind = S_ISDIR(st.st_mode)                          ? "a directory"
		                   : S_ISFIFO(st.st_mode)                       ? "a FIFO"
		                   : S_ISSOCK(st.st_mode)                       ? "a socket"
		                   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
		                                                                : "not a file";
		set_err(err, err_size, "%s: not a regular file (%s)", shown, kind);
		close(fd);
		return NULL;
	}
	if ((uintmax_t)st.st_size > HSM_MAX_FILE_SIZE) {
		set_err(err, err_size, "%s: file too large: %jd bytes (limit %u)", shown,
		        (intmax_t)st.st_size, HSM_MAX_FILE_SIZE);
		close(fd);
		return NULL;
	}
	/* A regular file never blocks; back to blocking reads all the same. */
	const int fl = fcntl(fd, F_GETFL);
	if (fl >= 0) {
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		set_err(err, err_size, "%s: cannot open: out of memory", shown);
		close(fd);
	}
	return f;
}

/* [main] See model.h. Parser messages lose their "model: " prefix and gain
 * the path instead, with its control characters shown as '?'. */
typedef heist_model *(*parse_fn)(const void *data, size_t size, char *err, size_t err_size);

static heist_model *load_file(const char *path, parse_fn parse, char *err, size_t err_size)
{
	char msg[256];
	char shown[256];
	heist_text_sanitize(shown, sizeof shown, path ? path : "(null)");
	if (!path) {
		set_err(err, err_size, "%s: no path given", shown);
		return NULL;
	}
	FILE *f = open_regular(path, shown, err, err_size);
	if (!f) {
		return NULL;
	}
	errno = 0;
	size_t size = 0;
	uint8_t *buf = read_stream(f, &size, msg, sizeof msg);
	fclose(f);
	if (!buf) {
		set_err(err, err_size, "%s: %s", shown, msg);
		return NULL;
	}
	heist_model *m = parse(buf, size, msg, sizeof msg);
	free(buf);
	if (!m) {
		const char *reason = strncmp(msg, "model: ", 7) ? msg : msg + 7;
		set_err(err, err_size, "%s: %s", shown, reason);
	}
	return m;
}

/* [main] A parsed model whose kernel has been chosen by timing (net.h). */
static heist_model *parse_tuned(const void *data, size_t size, char *err, size_t err_size)
{
	heist_model *m = heist_model_parse(data, size, err, err_size);
	if (m) {
		heist_net_tune(m);
	}
	return m;
}

/* [main] See model.h. */
heist_model *heist_model_load(const char *path, char *err, size_t err_size)
{
	return load_file(path, parse_tuned, err, err_size);
}

/* Where the shared registry's make() leaves the parser's message. */
typedef struct {
	char *err;
	size_t err_size;
} parse_msg;

static void *make_model(const void *key, size_t size, void *ctx)
{
	parse_msg *pm = ctx;
	return parse_tuned(key, size, pm->err, pm->err_size);
}

static void destroy_model(void *obj)
{
	heist_model *m = obj;
	heist_net_unpack(m->packed);
	free(m->block);
	free(m);
}

/* The file's bytes are the key: the first instance to load a file parses it,
 * the others (and any instance loading a copy of it) get the same model. */
static heist_model *parse_shared(const void *data, size_t size, char *err, size_t err_size)
{
	parse_msg pm = {err, err_size};
	if (err && err_size) {
		err[0] = '\0';
	}
	heist_model *m = heist_shared_object(HEIST_MODEL_SHARED_KIND, data, size, make_model,
	                                     destroy_model, &pm);
	if (!m && err && err_size && !err[0]) {
		set_err(err, err_size, "model: out of memory");
	}
	return m;
}

/* [main] See model.h. */
heist_model *heist_model_acquire(const char *path, char *err, size_t err_size)
{
	return load_file(path, parse_shared, err, err_size);
}

/* [main] See model.h: a shared model loses one reference, any other is freed. */
void heist_model_free(heist_model *m)
{
	if (m && !heist_shared_release(m)) {
		destroy_model(m);
	}
}
