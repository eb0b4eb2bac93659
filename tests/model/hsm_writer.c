/* Test-only .hsm writer (see hsm_writer.h). */
#include "hsm_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hsm_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void hsm_put_f32(uint8_t *p, float v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof u);
	hsm_put_u32(p, u);
}

uint32_t hsm_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

float hsm_get_f32(const uint8_t *p)
{
	uint32_t u = hsm_get_u32(p);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* Bitwise CRC-32, deliberately a different implementation from the parser's. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; ++i) {
		crc ^= p[i];
		for (int k = 0; k < 8; ++k) {
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
		}
	}
	return ~crc;
}

void hsm_fix_crc(uint8_t *data, size_t size)
{
	hsm_put_u32(data + size - 4, crc32_bitwise(data, size - 4));
}

hsm_layout hsm_layout_of(const hsm_dims *d)
{
	const size_t S = d->n_styles, E = d->embed_dim, H = d->gru_hidden, D = d->dense_hidden;
	const size_t I = 3 + E, O = 1 + (size_t)d->n_harmonics + d->n_noise;
	const size_t count[HSM_N_TENSORS] = {
	    S * E, 3 * H * I, 3 * H * H, 3 * H, 3 * H, D * (H + I), D, O * D, O,
	};
	hsm_layout l;
	l.tensor_area = 132 + 88 * S;
	size_t off = l.tensor_area;
	for (int t = 0; t < HSM_N_TENSORS; ++t) {
		l.offset[t] = off;
		l.count[t] = count[t];
		off += 4 * count[t];
	}
	l.size = off + 4;
	return l;
}

/* xorshift32: small, seedable, good enough for test weights. */
static float uniform(uint32_t *state, float bound)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return ((float)(x >> 8) / 16777216.0f * 2.0f - 1.0f) * bound;
}

uint8_t *hsm_write_random(const hsm_dims *d, size_t *size)
{
	const hsm_layout l = hsm_layout_of(d);
	uint8_t *p = calloc(1, l.size);
	if (!p) {
		return NULL;
	}
	uint32_t rng = d->seed * 2654435761u + 12345u;
	if (rng == 0) {
		rng = 1;
	}
	memcpy(p, "HEISTHSM", 8);
	hsm_put_u32(p + 8, 1);
	hsm_put_u32(p + 12, 0);
	hsm_put_u32(p + 16, (uint32_t)l.size);
	hsm_put_f32(p + 20, 250.0f);
	hsm_put_f32(p + 24, 16000.0f);
	hsm_put_u32(p + 28, d->n_styles);
	hsm_put_u32(p + 32, d->embed_dim);
	hsm_put_u32(p + 36, d->gru_hidden);
	hsm_put_u32(p + 40, d->dense_hidden);
	hsm_put_u32(p + 44, d->n_harmonics);
	hsm_put_u32(p + 48, d->n_noise);
	hsm_put_f32(p + 52, 60.0f);
	hsm_put_f32(p + 56, 24.0f);
	hsm_put_f32(p + 60, -40.0f);
	hsm_put_f32(p + 64, 20.0f);
	memcpy(p + 68, "test-model", 10);
	for (uint32_t s = 0; s < d->n_styles; ++s) {
		uint8_t *sp = p + 132 + 88 * (size_t)s;
		snprintf((char *)sp, 48, "style%u", s);
		const float stats[6] = {
		    40.0f + (float)s, 80.0f + (float)s, 60.0f + (float)s, -60.0f, -6.0f, -20.0f,
		};
		for (int k = 0; k < 6; ++k) {
			hsm_put_f32(sp + 48 + 4 * k, stats[k]);
		}
	}
	const size_t H = d->gru_hidden, I = 3 + (size_t)d->embed_dim, D = d->dense_hidden;
	const float bound[HSM_N_TENSORS] = {
	    1.0f,
	    1.0f / sqrtf((float)H),
	    1.0f / sqrtf((float)H),
	    1.0f / sqrtf((float)H),
	    1.0f / sqrtf((float)H),
	    1.0f / sqrtf((float)(H + I)),
	    1.0f / sqrtf((float)(H + I)),
	    1.0f / sqrtf((float)D),
	    1.0f / sqrtf((float)D),
	};
	for (int t = 0; t < HSM_N_TENSORS; ++t) {
		for (size_t i = 0; i < l.count[t]; ++i) {
			hsm_put_f32(p + l.offset[t] + 4 * i, uniform(&rng, bound[t]));
		}
	}
	hsm_fix_crc(p, l.size);
	*size = l.size;
	return p;
}

/* v rounded to 11 significant bits (binary16 normals, |v| >= 2^-14) or to a
 * multiple of 2^-24 (binary16 subnormals); |v| stays far below 65504. */
static float round_half(float v)
{
	if (fabsf(v) < 0x1p-14f) {
		return rintf(v * 0x1p24f) * 0x1p-24f;
	}
	int e;
	const float m = frexpf(v, &e); /* v = m 2^e, 0.5 <= |m| < 1 */
	return ldexpf(rintf(ldexpf(m, 11)), e - 11);
}

void hsm_round_half(uint8_t *data, const hsm_dims *d)
{
	static const int weights[] = {1, 2, 5, 7}; /* gru_w_ih, gru_w_hh, dense1_w, dense2_w */
	const hsm_layout l = hsm_layout_of(d);
	for (size_t k = 0; k < sizeof weights / sizeof weights[0]; ++k) {
		const int t = weights[k];
		for (size_t i = 0; i < l.count[t]; ++i) {
			uint8_t *at = data + l.offset[t] + 4 * i;
			hsm_put_f32(at, round_half(hsm_get_f32(at)));
		}
	}
	hsm_fix_crc(data, l.size);
}

/* A copy of the file (its CRC left off) with one version-1 section header
 * (tag, payload size) appended, the payload zeroed; the flag "sections
 * follow" and the total size set. NULL when out of memory. */
static uint8_t *append_section(const uint8_t *data, size_t old, const char tag[4], size_t payload)
{
	const size_t total = old + 12u + payload;
	uint8_t *p = calloc(1, total);
	if (!p) {
		return NULL;
	}
	memcpy(p, data, old - 4);
	hsm_put_u32(p + 12, 1); /* flags: sections follow */
	hsm_put_u32(p + 16, (uint32_t)total);
	uint8_t *q = p + old - 4;
	memcpy(q, tag, 4);
	hsm_put_u32(q + 4, 1);
	hsm_put_u32(q + 8, (uint32_t)payload);
	return p;
}

uint8_t *hsm_add_profile(const uint8_t *data, size_t *size, uint32_t n_styles, uint32_t n_bands)
{
	const size_t old = *size;
	const size_t payload = 8u + 4u * (n_bands + 1u) + (size_t)n_styles * 4u * (n_bands + 11u);
	const size_t total = old + 12u + payload;
	uint8_t *p = append_section(data, old, "PROF", payload);
	if (!p) {
		return NULL;
	}
	uint8_t *q = p + old - 4 + 12;
	hsm_put_u32(q, n_styles);
	hsm_put_u32(q + 4, n_bands);
	q += 8;
	for (uint32_t b = 0; b <= n_bands; ++b, q += 4) {
		hsm_put_f32(q, 12000.0f + 8000.0f * (float)b / (float)n_bands);
	}
	for (uint32_t s = 0; s < n_styles; ++s) {
		for (uint32_t b = 0; b < n_bands; ++b, q += 4) {
			hsm_put_f32(q, -60.0f - 3.0f * (float)b - (float)(s % 5));
		}
		const float v[11] = {
		    4.0f + 0.25f * (float)(s % 8),
		    10.0f + (float)(s % 40),
		    0.01f + 0.005f * (float)(s % 10),
		    20.0f + (float)(s % 30),
		    100.0f + 10.0f * (float)(s % 20),
		    60.0f + 5.0f * (float)(s % 20),
		    -50.0f + (float)(s % 7),
		    -30.0f + (float)(s % 7),
		    -15.0f + (float)(s % 7),
		    60.0f + (float)(s % 20),
		    6.0f - (float)(s % 9),
		};
		for (int k = 0; k < 11; ++k, q += 4) {
			hsm_put_f32(q, v[k]);
		}
	}
	hsm_fix_crc(p, total);
	*size = total;
	return p;
}

uint8_t *hsm_add_speq(const uint8_t *data, size_t *size, uint32_t n_styles, uint32_t n_bands,
                      uint32_t n_pitches)
{
	const size_t old = *size;
	const size_t payload =
	    12u + 4u * n_bands + (size_t)n_styles * 4u * (n_pitches + n_pitches * n_bands);
	const size_t total = old + 12u + payload;
	uint8_t *p = append_section(data, old, "SPEQ", payload);
	if (!p) {
		return NULL;
	}
	uint8_t *q = p + old - 4 + 12;
	hsm_put_u32(q, n_styles);
	hsm_put_u32(q + 4, n_bands);
	hsm_put_u32(q + 8, n_pitches);
	q += 12;
	for (uint32_t b = 0; b < n_bands; ++b, q += 4) { /* 100 Hz .. 10 kHz */
		hsm_put_f32(q, 100.0f * powf(100.0f, (float)b / (float)(n_bands - 1u)));
	}
	for (uint32_t s = 0; s < n_styles; ++s) {
		for (uint32_t i = 0; i < n_pitches; ++i, q += 4) {
			hsm_put_f32(q, 48.0f + 12.0f * (float)i + (float)(s % 3));
		}
		for (uint32_t i = 0; i < n_pitches * n_bands; ++i, q += 4) {
			hsm_put_f32(q, 6.0f * sinf(0.7f * (float)i + (float)s));
		}
	}
	hsm_fix_crc(p, total);
	*size = total;
	return p;
}
