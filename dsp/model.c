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

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* [main] See model.h. */
heist_model *heist_model_parse(const void *data, size_t size, char *err, size_t err_size)
{
	const uint8_t *p = data;

	if (!p && size != 0) {
		set_err(err, err_size, "model: no data");
		return NULL;
	}
	if (size == 0) {
		set_err(err, err_size, "model: empty file (0 bytes)");
		return NULL;
	}
	if (size > HSM_MAX_FILE_SIZE) {
		set_err(err, err_size, "model: file too large: %zu bytes (limit %u)", size,
		        HSM_MAX_FILE_SIZE);
		return NULL;
	}
	if (size < HSM_HEADER_SIZE) {
		if (size >= sizeof HSM_MAGIC - 1 && memcmp(p, HSM_MAGIC, sizeof HSM_MAGIC - 1)) {
			set_err(err, err_size, "model: not a Heist model (bad magic)");
		} else {
			set_err(err, err_size,
			        "model: truncated: file has %zu bytes, the header alone needs %u",
			        size, HSM_HEADER_SIZE);
		}
		return NULL;
	}
	if (memcmp(p + OFF_MAGIC, HSM_MAGIC, sizeof HSM_MAGIC - 1)) {
		set_err(err, err_size, "model: not a Heist model (bad magic)");
		return NULL;
	}
	const uint32_t version = rd_u32(p + OFF_VERSION);
	if (version != HSM_VERSION) {
		set_err(err, err_size, "model: unsupported version %u (this build reads %u)",
		        version, HSM_VERSION);
		return NULL;
	}
	const uint32_t flags = rd_u32(p + OFF_FLAGS);
	if (flags != 0) {
		set_err(err, err_size, "model: unsupported flags 0x%08x (must be 0)", flags);
		return NULL;
	}
	const uint32_t total = rd_u32(p + OFF_TOTAL_SIZE);
	if (total > size) {
		set_err(err, err_size, "model: truncated: header says %u bytes, file has %zu",
		        total, size);
		return NULL;
	}
	if (total < size) {
		set_err(err, err_size, "model: trailing data: header says %u bytes, file has %zu",
		        total, size);
		return NULL;
	}

	const uint32_t S = rd_u32(p + OFF_N_STYLES);
	const uint32_t E = rd_u32(p + OFF_EMBED_DIM);
	const uint32_t H = rd_u32(p + OFF_GRU_HIDDEN);
	const uint32_t D = rd_u32(p + OFF_DENSE_HIDDEN);
	const uint32_t NH = rd_u32(p + OFF_N_HARMONICS);
	const uint32_t NN = rd_u32(p + OFF_N_NOISE);
	if (!check_dim(S, 1, 256, "n_styles", err, err_size) ||
	    !check_dim(E, 1, 64, "embed_dim", err, err_size) ||
	    !check_dim(H, 1, 1024, "gru_hidden", err, err_size) ||
	    !check_dim(D, 1, 1024, "dense_hidden", err, err_size) ||
	    !check_dim(NH, 1, 256, "n_harmonics", err, err_size) ||
	    !check_dim(NN, 2, 256, "n_noise", err, err_size)) {
		return NULL;
	}

	const float frame_rate = rd_f32(p + OFF_FRAME_RATE);
	const float sample_rate = rd_f32(p + OFF_SAMPLE_RATE);
	const float pitch_center = rd_f32(p + OFF_PITCH_CENTER);
	const float pitch_scale = rd_f32(p + OFF_PITCH_SCALE);
	const float loud_center = rd_f32(p + OFF_LOUD_CENTER);
	const float loud_scale = rd_f32(p + OFF_LOUD_SCALE);
	/* Written so that NaN fails every test. */
	if (!(frame_rate >= 50.0f && frame_rate <= 1000.0f)) {
		set_err(err, err_size, "model: frame_rate %g out of range [50, 1000]",
		        (double)frame_rate);
		return NULL;
	}
	if (!(sample_rate >= 8000.0f && sample_rate <= 192000.0f)) {
		set_err(err, err_size, "model: sample_rate %g out of range [8000, 192000]",
		        (double)sample_rate);
		return NULL;
	}
	if (!isfinite(pitch_center) || !isfinite(loud_center)) {
		set_err(err, err_size, "model: pitch_center or loud_center is not finite");
		return NULL;
	}
	if (!(pitch_scale > 0.0f) || !isfinite(pitch_scale)) {
		set_err(err, err_size, "model: pitch_scale %g must be finite and > 0",
		        (double)pitch_scale);
		return NULL;
	}
	if (!(loud_scale > 0.0f) || !isfinite(loud_scale)) {
		set_err(err, err_size, "model: loud_scale %g must be finite and > 0",
		        (double)loud_scale);
		return NULL;
	}
	if (!memchr(p + OFF_NAME, 0, HSM_NAME_SIZE)) {
		set_err(err, err_size, "model: model name is not NUL-terminated within %u bytes",
		        HSM_NAME_SIZE);
		return NULL;
	}

	/* Tensor element counts, then the size the header implies. */
	const size_t I = 3u + (size_t)E;
	const size_t O = 1u + (size_t)NH + (size_t)NN;
	const size_t count[T_COUNT] = {
	    [T_EMBEDDING] = mul_sz(S, E),
	    [T_GRU_W_IH] = mul_sz(mul_sz(3, H), I),
	    [T_GRU_W_HH] = mul_sz(mul_sz(3, H), H),
	    [T_GRU_B_IH] = mul_sz(3, H),
	    [T_GRU_B_HH] = mul_sz(3, H),
	    [T_DENSE1_W] = mul_sz(D, add_sz(H, I)),
	    [T_DENSE1_B] = D,
	    [T_DENSE2_W] = mul_sz(O, D),
	    [T_DENSE2_B] = O,
	};
	size_t n_floats = 0;
	for (int t = 0; t < T_COUNT; ++t) {
		n_floats = add_sz(n_floats, count[t]);
	}
	const size_t styles_bytes = mul_sz(S, HSM_STYLE_SIZE);
	const size_t tensor_off = add_sz(OFF_STYLES, styles_bytes);
	const size_t expected = add_sz(add_sz(tensor_off, mul_sz(n_floats, 4)), HSM_CRC_SIZE);
	if (expected != size) {
		if (expected == SIZE_MAX) {
			set_err(err, err_size, "model: dimensions overflow the size arithmetic");
		} else {
			set_err(err, err_size,
			        "model: size mismatch: dimensions imply %zu bytes, file has %zu",
			        expected, size);
		}
		return NULL;
	}

	const uint32_t stored_crc = rd_u32(p + size - HSM_CRC_SIZE);
	const uint32_t crc = heist_crc32(p, size - HSM_CRC_SIZE);
	if (crc != stored_crc) {
		set_err(
		    err, err_size,
		    "model: CRC mismatch: file says 0x%08x, contents give 0x%08x (corrupt file)",
		    stored_crc, crc);
		return NULL;
	}

	/* Styles: names and playing-range statistics (reserved[4] is ignored). */
	for (uint32_t s = 0; s < S; ++s) {
		const uint8_t *sp = p + OFF_STYLES + (size_t)s * HSM_STYLE_SIZE;
		if (!memchr(sp, 0, HSM_STYLE_NAME_SIZE)) {
			set_err(err, err_size,
			        "model: style %u name is not NUL-terminated within %u bytes", s,
			        HSM_STYLE_NAME_SIZE);
			return NULL;
		}
		for (unsigned k = 0; k < 6; ++k) {
			if (!isfinite(rd_f32(sp + HSM_STYLE_NAME_SIZE + 4u * k))) {
				char shown[HSM_STYLE_NAME_SIZE];
				printable_name(shown, sp);
				set_err(err, err_size,
				        "model: style %u (\"%s\") has a non-finite range statistic",
				        s, shown);
				return NULL;
			}
		}
	}

	/* One aligned block: styles, then each tensor on a 64-byte boundary. */
	size_t off[T_COUNT];
	size_t block_size = align_up(sizeof(heist_style) * S);
	for (int t = 0; t < T_COUNT; ++t) {
		off[t] = block_size;
		block_size += align_up(count[t] * sizeof(float));
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
	float *tensor[T_COUNT];
	for (int t = 0; t < T_COUNT; ++t) {
		tensor[t] = (float *)((char *)block + off[t]);
	}

	const uint8_t *tp = p + tensor_off;
	for (int t = 0; t < T_COUNT; ++t) {
		float *dst = tensor[t];
		for (size_t i = 0; i < count[t]; ++i, tp += 4) {
			const float v = rd_f32(tp);
			if (!isfinite(v)) {
				set_err(err, err_size,
				        "model: tensor %s has a non-finite value (%s) at index %zu",
				        tensor_names[t], isnan(v) ? "NaN" : "Inf", i);
				free(block);
				free(m);
				return NULL;
			}
			dst[i] = v;
		}
	}

	m->styles = block;
	for (uint32_t s = 0; s < S; ++s) {
		const uint8_t *sp = p + OFF_STYLES + (size_t)s * HSM_STYLE_SIZE;
		heist_style *st = &m->styles[s];
		memcpy(st->name, sp, HSM_STYLE_NAME_SIZE);
		const uint8_t *fp = sp + HSM_STYLE_NAME_SIZE;
		st->pitch_lo = rd_f32(fp + 0);
		st->pitch_hi = rd_f32(fp + 4);
		st->pitch_median = rd_f32(fp + 8);
		st->loud_lo = rd_f32(fp + 12);
		st->loud_hi = rd_f32(fp + 16);
		st->loud_median = rd_f32(fp + 20);
		const float stats[] = {st->pitch_lo, st->pitch_hi, st->pitch_median,
		                       st->loud_lo,  st->loud_hi,  st->loud_median};
		for (size_t i = 0; i < sizeof stats / sizeof stats[0]; ++i) {
			if (!isfinite(stats[i])) {
				set_err(err, err_size, "model: style %u has a non-finite statistic",
				        (unsigned)s);
				free(block);
				free(m);
				return NULL;
			}
		}
	}

	memcpy(m->name, p + OFF_NAME, HSM_NAME_SIZE);
	m->frame_rate = frame_rate;
	m->sample_rate = sample_rate;
	m->n_styles = S;
	m->embed_dim = E;
	m->gru_hidden = H;
	m->dense_hidden = D;
	m->n_harmonics = NH;
	m->n_noise = NN;
	m->n_inputs = (uint32_t)I;
	m->n_outputs = (uint32_t)O;
	m->pitch_center = pitch_center;
	m->pitch_scale = pitch_scale;
	m->loud_center = loud_center;
	m->loud_scale = loud_scale;
	m->embedding = tensor[T_EMBEDDING];
	m->gru_w_ih = tensor[T_GRU_W_IH];
	m->gru_w_hh = tensor[T_GRU_W_HH];
	m->gru_b_ih = tensor[T_GRU_B_IH];
	m->gru_b_hh = tensor[T_GRU_B_HH];
	m->dense1_w = tensor[T_DENSE1_W];
	m->dense1_b = tensor[T_DENSE1_B];
	m->dense2_w = tensor[T_DENSE2_W];
	m->dense2_b = tensor[T_DENSE2_B];
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

/* [main] See model.h. Parser messages lose their "model: " prefix and gain
 * the path instead. */
typedef heist_model *(*parse_fn)(const void *data, size_t size, char *err, size_t err_size);

static heist_model *load_file(const char *path, parse_fn parse, char *err, size_t err_size)
{
	char msg[256];
	const char *shown = path ? path : "(null)";
	if (!path) {
		set_err(err, err_size, "%s: no path given", shown);
		return NULL;
	}
	errno = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, err_size, "%s: cannot open: %s", shown,
		        errno ? strerror(errno) : "unknown error");
		return NULL;
	}
	/* Cheap early refusal of huge regular files before reading anything. */
	if (fseek(f, 0, SEEK_END) == 0) {
		const long end = ftell(f);
		if (end > 0 && (unsigned long)end > HSM_MAX_FILE_SIZE) {
			fclose(f);
			set_err(err, err_size, "%s: file too large: %ld bytes (limit %u)", shown,
			        end, HSM_MAX_FILE_SIZE);
			return NULL;
		}
	}
	rewind(f);
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
