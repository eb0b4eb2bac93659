/* Heist voice: MIDI state -> per-frame features (voice.h). */
#include "voice.h"

#include <math.h>
#include <string.h>

#include "analysis.h"
#include "model.h"
#include "util.h"

static const heist_voice_param_info voice_info[HEIST_VOICE_PARAM_COUNT] = {
    [HEIST_VOICE_BEND_RANGE] = {"bend_range", 0.0f, 24.0f, 2.0f},
    [HEIST_VOICE_PORTAMENTO] = {"portamento", 0.0f, 2.0f, 0.0f},
    [HEIST_VOICE_TUNING] = {"tuning", 400.0f, 480.0f, 440.0f},
    [HEIST_VOICE_VIBRATO] = {"vibrato", 0.0f, 4.0f, 1.0f},
};

const heist_voice_param_info *heist_voice_param_get_info(heist_voice_param p)
{
	return (unsigned)p < HEIST_VOICE_PARAM_COUNT ? &voice_info[p] : NULL;
}

void heist_voice_init(heist_voice *v, double sample_rate)
{
	memset(v, 0, sizeof(*v));
	v->fs = sample_rate;
	for (int p = 0; p < HEIST_VOICE_PARAM_COUNT; ++p) {
		v->set[p] = voice_info[p].def;
	}
	heist_voice_reset(v);
}

void heist_voice_reset(heist_voice *v)
{
	v->time = 0.0;
	memset(v->held, 0, sizeof(v->held));
	memset(v->sustained, 0, sizeof(v->sustained));
	v->n_order = 0;
	v->sustain = 0;
	v->bend = 0.0f;
	v->mod = 0.0f;
	v->expression = 1.0f;
	v->pressure = 0.0f;
	v->rpn_msb = v->rpn_lsb = 127;
	v->rpn_bend_range = -1.0f;
	v->note = -1;
	v->velocity = 0.0f;
	v->pitch = 69.0f;
	v->gate = 0;
	v->active = 0;
	v->env_db = HEIST_LOUDNESS_FLOOR_DB;
	v->release_from = HEIST_LOUDNESS_FLOOR_DB;
	v->onset = -1.0;
	v->vib_phase = 0.0;
	/* Until the first frame names the style: a plausible range. */
	v->style = (heist_voice_style){
	    -50.0f, -15.0f, 0.03f, 240.0f, 5.5f, 25.0f, HEIST_VOICE_ATTACK_DEPTH_DB,
	    240.0f, -32.5f, 0};
}

void heist_voice_set(heist_voice *v, heist_voice_param p, float value)
{
	const heist_voice_param_info *info = heist_voice_param_get_info(p);
	if (info && isfinite(value)) {
		v->set[p] = heist_clampf(value, info->min, info->max);
	}
}

/* The loudness the envelope aims at: the style's range by the louder of
 * velocity and pressure, scaled by expression (CC11). */
static float loud_target(const heist_voice *v)
{
	const float level = (v->velocity > v->pressure ? v->velocity : v->pressure) * v->expression;
	if (v->style.loud_mid_on) { /* the data's 5/50/95 % at levels 0, 0.5, 1 */
		const heist_voice_style *st = &v->style;
		return level < 0.5f
		           ? st->loud_lo + (st->loud_mid - st->loud_lo) * 2.0f * level
		           : st->loud_mid + (st->loud_hi - st->loud_mid) * (2.0f * level - 1.0f);
	}
	return v->style.loud_lo + (v->style.loud_hi - v->style.loud_lo) * level;
}

#define RELEASE_HEAD_DB 20.0f

/* Move the state to time t (>= v->time): envelope, glide, vibrato phase. */
static void advance(heist_voice *v, double t)
{
	if (!(t > v->time)) {
		return;
	}
	const float dt = (float)((t - v->time) / v->fs);
	v->time = t;
	if (v->gate) {
		const float a = 1.0f - expf(-dt / v->style.attack_s);
		v->env_db += (loud_target(v) - v->env_db) * a;
	} else if (v->active) {
		/* Two slopes: the data's first 20 dB of a release, then its tail. */
		const int head = v->env_db > v->release_from - RELEASE_HEAD_DB;
		v->env_db -= (head ? v->style.release_db_s : v->style.release_tail_db_s) * dt;
		if (v->env_db <= v->release_from - HEIST_VOICE_SILENT_DB) {
			v->active = 0;
			v->env_db = HEIST_LOUDNESS_FLOOR_DB;
		}
	}
	const float port = v->set[HEIST_VOICE_PORTAMENTO];
	if (v->note >= 0) {
		if (port > 0.0f) {
			v->pitch += ((float)v->note - v->pitch) * (1.0f - expf(-dt / port));
		} else {
			v->pitch = (float)v->note;
		}
	}
	v->vib_phase += (double)v->style.vibrato_hz * (double)dt;
	v->vib_phase -= floor(v->vib_phase);
}

static void release(heist_voice *v)
{
	if (v->gate) {
		v->gate = 0;
		v->release_from = v->env_db;
	}
}

static void remove_order(heist_voice *v, uint8_t n)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < v->n_order; ++i) {
		if (v->order[i] != n) {
			v->order[j++] = v->order[i];
		}
	}
	v->n_order = j;
}

static void note_on(heist_voice *v, double t, uint8_t n, uint8_t vel)
{
	if (v->held[n]) {
		remove_order(v, n);
	}
	v->held[n] = 1;
	v->sustained[n] = 0;
	v->order[v->n_order++] = n;
	v->velocity = (float)vel / 127.0f;
	const int from_silence = !v->active;
	const int legato = v->gate;
	v->note = n;
	if (from_silence || v->set[HEIST_VOICE_PORTAMENTO] <= 0.0f) {
		v->pitch = (float)n;
	}
	if (from_silence) {
		v->env_db = loud_target(v) - v->style.attack_depth_db;
		v->onset = t;
		v->active = 1;
	} else if (!legato) {
		/* Re-attack out of a release: never louder than the attack start. */
		const float start = loud_target(v) - v->style.attack_depth_db;
		v->env_db = v->env_db > start ? v->env_db : start;
	}
	v->gate = 1;
}

static void note_off(heist_voice *v, uint8_t n)
{
	if (!v->held[n]) {
		return;
	}
	v->held[n] = 0;
	remove_order(v, n);
	if (v->sustain) {
		v->sustained[n] = 1;
	}
	if (n != v->note) {
		return;
	}
	if (v->n_order > 0) {
		v->note = v->order[v->n_order - 1]; /* back to the last held note, legato */
		if (v->set[HEIST_VOICE_PORTAMENTO] <= 0.0f) {
			v->pitch = (float)v->note;
		}
	} else if (!v->sustain) {
		release(v);
	}
}

static void all_notes_off(heist_voice *v)
{
	memset(v->held, 0, sizeof(v->held));
	memset(v->sustained, 0, sizeof(v->sustained));
	v->n_order = 0;
	release(v);
}

static void control_change(heist_voice *v, uint8_t cc, uint8_t val)
{
	switch (cc) {
	case 1:
		v->mod = (float)val / 127.0f;
		break;
	case 11:
		v->expression = (float)val / 127.0f;
		break;
	case 64:
		v->sustain = val >= 64;
		if (!v->sustain) {
			memset(v->sustained, 0, sizeof(v->sustained));
			if (v->n_order == 0) {
				release(v);
			}
		}
		break;
	case 101:
		v->rpn_msb = val;
		break;
	case 100:
		v->rpn_lsb = val;
		break;
	case 6:
		if (v->rpn_msb == 0 && v->rpn_lsb == 0) {
			v->rpn_bend_range = (float)(val > 24 ? 24 : val);
		}
		break;
	case 38:
		if (v->rpn_msb == 0 && v->rpn_lsb == 0 && v->rpn_bend_range >= 0.0f) {
			v->rpn_bend_range =
			    floorf(v->rpn_bend_range) + (float)(val > 99 ? 99 : val) / 100.0f;
		}
		break;
	case 120: /* all sound off: silent now */
		all_notes_off(v);
		v->active = 0;
		v->env_db = HEIST_LOUDNESS_FLOOR_DB;
		v->onset = -1.0;
		break;
	case 121: /* reset all controllers */
		v->bend = 0.0f;
		v->mod = 0.0f;
		v->expression = 1.0f;
		v->pressure = 0.0f;
		v->rpn_msb = v->rpn_lsb = 127;
		control_change(v, 64, 0);
		break;
	case 123: /* all notes off */
	case 124:
	case 125:
	case 126:
	case 127:
		all_notes_off(v);
		break;
	default:
		break;
	}
}

void heist_voice_midi(heist_voice *v, double t, const uint8_t *msg, uint32_t size)
{
	if (!msg || size < 2 || size > 3 || msg[0] < 0x80 || msg[0] >= 0xF0) {
		return; /* no status (running status), system or sysex, or bad size */
	}
	const uint8_t type = msg[0] & 0xF0;
	const uint32_t need = type == 0xC0 || type == 0xD0 ? 2u : 3u;
	if (size != need || msg[1] >= 0x80 || (need == 3 && msg[2] >= 0x80)) {
		return;
	}
	advance(v, t);
	const uint8_t d1 = msg[1], d2 = need == 3 ? msg[2] : 0;
	switch (type) {
	case 0x90:
		if (d2 > 0) {
			note_on(v, v->time, d1, d2);
		} else {
			note_off(v, d1); /* velocity 0 is a note-off */
		}
		break;
	case 0x80:
		note_off(v, d1);
		break;
	case 0xA0:
		if ((int)d1 == v->note) {
			v->pressure = (float)d2 / 127.0f;
		}
		break;
	case 0xB0:
		control_change(v, d1, d2);
		break;
	case 0xD0:
		v->pressure = (float)d1 / 127.0f;
		break;
	case 0xE0: {
		const float b = (float)(((int)d2 << 7 | d1) - 8192) / 8192.0f;
		v->bend = b < -1.0f ? -1.0f : b;
		break;
	}
	default: /* program change: nothing to do */
		break;
	}
}

heist_voice_features heist_voice_frame(heist_voice *v, double t, const heist_voice_style *st)
{
	v->style = *st;
	advance(v, t);
	heist_voice_features f;
	const float range =
	    v->rpn_bend_range >= 0.0f ? v->rpn_bend_range : v->set[HEIST_VOICE_BEND_RANGE];
	const float vib = v->mod * v->set[HEIST_VOICE_VIBRATO] * v->style.vibrato_cents * 0.01f *
	                  sinf((float)(HEIST_TWO_PI * v->vib_phase));
	const float midi = v->pitch + v->bend * range + vib;
	f.f0 = v->note >= 0 ? v->set[HEIST_VOICE_TUNING] * exp2f((midi - 69.0f) / 12.0f) : 0.0f;
	f.loudness = v->active ? v->env_db : HEIST_LOUDNESS_FLOOR_DB;
	f.confidence = v->active ? 1.0f : 0.0f;
	f.active = v->active;
	f.onset = v->active ? v->onset : -1.0;
	v->onset = -1.0;
	return f;
}

/* Expression of a model without a profile: the same for every style. */
#define VOICE_ATTACK_S 0.03f      /* attack time constant */
#define VOICE_RELEASE_DB_S 240.0f /* 60 dB in 0.25 s */
#define VOICE_VIBRATO_HZ 5.5f     /* a typical orchestral vibrato rate */
#define VOICE_VIBRATO_CENTS 25.0f /* and depth (peak) */

/* The velocity range of one style from its training statistics: forte is
 * its loud_hi, piano as far below the median as forte is above it. */
static void style_range(const heist_style *s, float *lo, float *hi)
{
	const int sane = s->loud_median > HEIST_LOUDNESS_FLOOR_DB && s->loud_hi <= 6.0f &&
	                 s->loud_hi > s->loud_median;
	/* A model written without statistics: a plausible range. */
	*hi = sane ? s->loud_hi : -20.0f;
	*lo = sane ? 2.0f * s->loud_median - s->loud_hi : -50.0f;
}

static float mixf(float a, float b, float t)
{
	return a + (b - a) * t;
}

/* Two profiles blended: time constants and slopes in the log domain (half
 * way between 10 ms and 40 ms is 20 ms), levels and rates linearly. */
static heist_voice_style profile_style(const heist_style_profile *a, const heist_style_profile *b,
                                       float t)
{
	heist_voice_style st;
	st.loud_lo = mixf(a->loud_p5, b->loud_p5, t);
	st.loud_hi = mixf(a->loud_p95, b->loud_p95, t);
	st.loud_mid = mixf(a->loud_p50, b->loud_p50, t);
	st.loud_mid_on = 1;
	st.attack_s = expf(mixf(logf(a->attack_s), logf(b->attack_s), t));
	st.attack_depth_db = mixf(a->attack_depth_db, b->attack_depth_db, t);
	st.release_db_s = expf(mixf(logf(a->release_db_s), logf(b->release_db_s), t));
	st.release_tail_db_s =
	    expf(mixf(logf(a->release_tail_db_s), logf(b->release_tail_db_s), t));
	st.vibrato_hz = mixf(a->vibrato_hz, b->vibrato_hz, t);
	st.vibrato_cents = mixf(a->vibrato_cents, b->vibrato_cents, t);
	return st;
}

heist_voice_style heist_voice_style_of(const heist_model *m, uint32_t a, uint32_t b, float morph)
{
	const uint32_t last = m->n_styles - 1u;
	if (m->profiles) {
		return profile_style(&m->profiles[a > last ? last : a],
		                     &m->profiles[b > last ? last : b],
		                     heist_clampf(morph, 0.0f, 1.0f));
	}
	float alo, ahi, blo, bhi;
	style_range(&m->styles[a > last ? last : a], &alo, &ahi);
	style_range(&m->styles[b > last ? last : b], &blo, &bhi);
	const float t = heist_clampf(morph, 0.0f, 1.0f);
	const heist_voice_style st = {alo + (blo - alo) * t,
	                              ahi + (bhi - ahi) * t,
	                              VOICE_ATTACK_S,
	                              VOICE_RELEASE_DB_S,
	                              VOICE_VIBRATO_HZ,
	                              VOICE_VIBRATO_CENTS,
	                              HEIST_VOICE_ATTACK_DEPTH_DB,
	                              VOICE_RELEASE_DB_S,
	                              0.0f,
	                              0};
	return st;
}
