/* libFuzzer harness for the .hsm parser (dsp/model.c), built with clang
 * -fsanitize=fuzzer,address,undefined by tests/fuzz/meson.build. Every input
 * must either parse into a model that the network runtime accepts and runs
 * to finite outputs, and that the whole engine renders to finite output
 * within the safety stage's bound (limiter.h), or be refused with a one-line
 * "model: ..." message. Any other outcome, and any ASan/UBSan report, is a
 * crash. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heist.h"
#include "limiter.h"
#include "model.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() with the failed condition's line on stderr (inlining hides it
 * from the crash report's stack). */
static void require_at(int cond, int line)
{
	if (!cond) {
		fprintf(stderr, "fuzz_model.c:%d: requirement failed\n", line);
		abort();
	}
}
#define require(cond) require_at((cond) != 0, __LINE__)

static void exercise(const heist_model *m, const uint8_t *data, size_t size)
{
	require(m->n_styles >= 1 && m->n_styles <= 256 && m->embed_dim >= 1 && m->embed_dim <= 64 &&
	        m->gru_hidden >= 1 && m->gru_hidden <= 1024 && m->dense_hidden >= 1 &&
	        m->dense_hidden <= 1024 && m->n_harmonics >= 1 && m->n_harmonics <= 256 &&
	        m->n_noise >= 2 && m->n_noise <= 256);
	require(m->n_inputs == 3 + m->embed_dim && m->n_outputs == 1 + m->n_harmonics + m->n_noise);
	require(memchr(m->name, 0, sizeof m->name) != NULL);
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		require(memchr(m->styles[s].name, 0, sizeof m->styles[s].name) != NULL);
	}
	heist_net *net = heist_net_new(m);
	require(net != NULL);
	float in[3 + 64], out[1 + 256 + 256];
	/* A few frames on inputs taken from the data itself (any bit pattern,
	 * NaN and Inf included: the network must cope). */
	for (int frame = 0; frame < 3; ++frame) {
		for (uint32_t i = 0; i < m->n_inputs; ++i) {
			uint32_t u = 0;
			const size_t at = (size_t)frame * 97u + i * 4u;
			if (size >= 4 && at + 4 <= size) {
				memcpy(&u, data + at, 4);
			}
			float f;
			memcpy(&f, &u, 4);
			in[i] = f;
		}
		heist_net_embed(m, (uint32_t)frame, (uint32_t)frame * 7u, 0.5f, in + 3);
		heist_net_step(net, in, out);
		for (uint32_t k = 0; k < m->n_outputs; ++k) {
			require(isfinite(out[k]) && out[k] > 0.0f);
		}
	}
	heist_net_free(net);
}

/* The whole engine on a parsed model: 60 ms of a loud, gliding tone at
 * 48 kHz in uneven blocks, with the level controls taken from the data (any
 * setting must stay within the bound). dry_wet 1: the output is the wet
 * part alone, at most HEIST_WET_CEILING. */
static void render(const heist_model *m, const uint8_t *data, size_t size)
{
	const heist_config cfg = heist_config_default(48000.0);
	heist_engine *e = heist_engine_new(&cfg, m);
	if (!e) {
		return; /* a model the engine cannot run is refused by the plugin */
	}
	const uint8_t knob = size > 0 ? data[size / 2] : 0;
	heist_engine_set_param(e, HEIST_PARAM_HARMONIC_LEVEL, knob & 1 ? 12.0f : 0.0f);
	heist_engine_set_param(e, HEIST_PARAM_NOISE_LEVEL, knob & 2 ? 12.0f : 0.0f);
	heist_engine_set_param(e, HEIST_PARAM_OUTPUT_GAIN, knob & 4 ? 24.0f : 0.0f);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, (float)(knob >> 3));
	heist_engine_set_param(e, HEIST_PARAM_MORPH, 0.5f);
	heist_engine_set_param(e, HEIST_PARAM_DRY_WET, 1.0f);
	float buf[700];
	double phase = 0.0;
	for (uint32_t pos = 0, n = 0; pos < 2880; pos += n) {
		n = 64u + (pos * 7u) % 600u;
		for (uint32_t i = 0; i < n; ++i) {
			const double f = 110.0 + 0.1 * (double)(pos + i);
			phase += f / 48000.0;
			buf[i] = (float)(0.9 * sin(6.283185307179586 * phase));
		}
		heist_engine_process(e, buf, buf, n);
		for (uint32_t i = 0; i < n; ++i) {
			require(isfinite(buf[i]) && fabsf(buf[i]) <= HEIST_WET_CEILING);
		}
	}
	heist_engine_free(e);
}

static void parse_one(const uint8_t *data, size_t size)
{
	char err[256];
	memset(err, 'x', sizeof err);
	heist_model *m = heist_model_parse(data, size, err, sizeof err);
	if (m) {
		exercise(m, data, size);
		render(m, data, size);
		heist_model_free(m);
		return;
	}
	/* Refused: a clear one-line message. */
	require(memchr(err, 0, sizeof err) != NULL);
	require(strncmp(err, "model: ", 7) == 0 && strlen(err) > 7);
	require(strchr(err, '\n') == NULL);
	/* A too-small message buffer is fine too (checked on some inputs only:
	 * it halves the speed). */
	if (size % 8 == 0) {
		char tiny[8];
		require(heist_model_parse(data, size, tiny, sizeof tiny) == NULL);
		require(strlen(tiny) < sizeof tiny);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_one(data, size);
	/* The CRC and the total-size field stop almost every mutation early; a
	 * copy with both made right takes the same bytes past them, into the
	 * dimension, style and tensor checks. */
	if (size >= 24 && size <= 262144) {
		uint8_t *copy = malloc(size);
		require(copy != NULL);
		memcpy(copy, data, size);
		const uint32_t total = (uint32_t)size;
		for (int i = 0; i < 4; ++i) {
			copy[16 + i] = (uint8_t)(total >> (8 * i));
		}
		const uint32_t crc = heist_crc32(copy, size - 4);
		for (int i = 0; i < 4; ++i) {
			copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
		}
		parse_one(copy, size);
		free(copy);
	}
	return 0;
}
