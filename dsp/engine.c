/* The Heist engine: analysis -> network -> synthesis -> mix on a fixed frame
 * clock, independent of the host's block sizes.
 *
 * Timeline. Input sample m is stored at absolute index m. Analysis frame k
 * (centre c_k = k * fs / frame_rate) is computed as soon as its last input
 * sample has arrived. Output sample m renders the instrument at input time
 * u = m - latency, interpolating the controls of the frames around u; the
 * latency is chosen so that every frame this needs (up to the noise grain that
 * starts at u) is already analysed:
 *   latency = ceil(hop) + noise_hop + span / 2.
 * Every decision is taken at an absolute sample index, so any block split
 * gives the same samples.
 *
 * The span follows the lowest pitch (analysis.h), a control: the engine holds
 * one analyser per supported floor (LOWEST_PITCHES), all allocated at
 * creation. A change of floor once the stream runs waits until the control
 * has held still (FLOOR_SETTLE_S), fades the output out (FLOOR_FADE_S),
 * restarts the framing and latency in place at that sample and fades in
 * (restart_floor(): the input history, the frame clock and what the engine
 * has learned carry over); before any output it applies at once.
 *
 * Work is done in runs, not per sample: the input of a run up to the next
 * frame trigger is stored, the frame is computed, and the output is rendered
 * between frame and noise-grain boundaries by the vectorised harmonic bank
 * (synth.c), then mixed. Samples never depend on where a run is split.
 */
#include "heist.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "bandext.h"
#include "fit.h"
#include "limiter.h"
#include "mem.h"
#include "model.h"
#include "morph.h"
#include "net.h"
#include "pitch_track.h"
#include "profile.h"
#include "speq.h"
#include "synth.h"
#include "util.h"
#include "voice.h"

#define FRAME_RING HEIST_NET_FRAME_SLOTS /* frames in flight: at most ~4 at any rate */
#define RUN_MAX 256u                     /* samples per internal run (wet scratch) */
#define N_FLOORS ((uint32_t)HEIST_LOWEST_PITCH_CHOICES)
/* Supported lowest pitches (Hz); the control snaps down to one of them. Each
 * keeps the exact 2:1 decimation at 48, 96 and 192 kHz (analysis.h); at
 * 48 kHz the latencies are 26.7, 22.3, 18.7, 16.0, 12.9 and 10.0 ms. */
static const float LOWEST_PITCHES[N_FLOORS] = {50.0f, 65.0f, 85.0f, 110.0f, 165.0f, 300.0f};
static const char *const LOWEST_PITCH_NAMES[N_FLOORS] = {
    "Contrabass, tuba", "Bass voice, cello",           "Baritone", "Tenor",
    "Alto, violin",     "Soprano, flute (low latency)"};
#define MAX_HARMONICS 256u
#define MAX_NOISE 256u
#define MAX_INPUTS (3u + 64u)
#define PARAM_SMOOTH_S 0.03 /* frame-clock parameter smoothing time constant */
#define MIX_SMOOTH_S 0.01   /* per-sample mix/gain/bypass smoothing */
#define GATE_SMOOTH_S 0.01  /* confidence gate gain smoothing */
#define INPUT_LIMIT 64.0f   /* +36 dBFS: beyond this the input is clipped */
/* Input gate (frame clock): open above the threshold, or on a voiced frame
 * up to HEIST_GATE_VOICED_DB below it; closes HEIST_GATE_HYST_DB lower (small,
 * so noise just under the threshold cannot hold it open), holds, then
 * releases at a fixed rate in dB to silence: -80 dB within 100 ms. */
#define HEIST_GATE_VOICED_DB 30.0f
#define HEIST_GATE_VOICED_FRAMES 3u
/* From closed, a pitch opens it only after HEIST_GATE_OPEN_FRAMES frames at
 * confidence >= HEIST_GATE_OPEN_CONF: room noise reads as a pitch for up to
 * 4 frames at 0.50-0.62 (measured on the material's room variants: a
 * -45 dBFS floor opened the gate at the end of bassoon.room), quiet sung and
 * spoken notes hold 0.68 and up (5th percentile of their voiced frames
 * under -40 dBFS). Once open, any voiced run keeps it (soft endings). */
#define HEIST_GATE_OPEN_FRAMES 5u
#define HEIST_GATE_OPEN_CONF 0.65f
/* Frames count toward opening only over the pitch's opening level (the
 * gate shuts under it), and at HEIST_GATE_OPEN_CONF only
 * HEIST_GATE_OPEN_MARGIN_DB over it: a pitch read at -95 dBFS before a
 * consonant (speech-female.quiet) or in a reverb tail at -67..-69 dBFS,
 * confidence 0.68-0.83 (speech-female.reverb, 12.2 s), opened it for a
 * 24-28 ms puff between silences, a broadband burst. A clear pitch
 * (HEIST_GATE_CLEAR_CONF) opens it after HEIST_GATE_CLEAR_FRAMES, down to
 * the opening level: a soft syllable lost its first 16 ms and started as a
 * 30 ms burst (speech-male.quiet, 13.0 s). Nothing in the room and hum
 * variants' silences reads voiced at all, at any confidence. */
#define HEIST_GATE_OPEN_MARGIN_DB 6.0f
#define HEIST_GATE_CLEAR_FRAMES 3u
#define HEIST_GATE_CLEAR_CONF 0.9f
/* A note under the lowest pitch (played octaves up) opens and keeps the
 * gate like a pitch in range when the sub-floor detector's period lies above
 * the mains (60 Hz + 5 %): mains hum reads as a period under the floor and
 * must stay out, a voice under a high floor (harmonica-low-latency's 300 Hz)
 * must get through (gate_low_pitch()). */
#define HEIST_GATE_SUB_MIN_HZ 63.0f
#define HEIST_GATE_HYST_DB 3.0f
#define HEIST_GATE_HOLD_S 0.02
#define HEIST_GATE_RELEASE_DB_PER_S 1000.0
#define HEIST_GATE_OFF_DB (-89.5f) /* the control's bottom: never closes */
#define BELOW_RANGE_HOLD_S 0.5     /* the monitor's flag outlives the frame */
/* The loudness the gate and the network see spans at least the default
 * floor's span (LEVEL_REF_FLOOR: 31 ms, what the model was trained on): a
 * higher floor's span (6.7 ms at 300 Hz) is shorter than a low voice's
 * period, so its level swung up to 18 dB from frame to frame with the
 * glottal pulses (level_window()). At most LEVEL_WINDOW_MAX frames. */
#define LEVEL_REF_FLOOR 1u /* index into LOWEST_PITCHES: 65 Hz */
#define LEVEL_WINDOW_MAX 16u
/* Level match: a running average (in dB, over frames where the gate is open
 * and the input is above LEVEL_MIN_DB) of input power over the power the
 * frame's controls will render, applied as a makeup gain bounded by
 * LEVEL_MAX_DB. Slow next to a note, so the instrument's own dynamics and
 * attacks stay; fast enough to be right within the first phrase. */
#define LEVEL_TIME_S 0.5
#define LEVEL_MIN_DB (-70.0f)
#define LEVEL_SETTLE_FRAMES 12u /* 48 ms at 250 frames/s */
/* as far as the loudness fit moves the network (fit.h), so it can undo it */
#define LEVEL_MAX_DB HEIST_FIT_MAX_LOUDNESS_DB
/* A change of lowest pitch mid-stream (restart_floor()): the output fades
 * out over FLOOR_FADE_S, the framing and latency change at the sample where
 * it reaches zero, and the output fades in over FLOOR_FADE_S: a linear ramp
 * at the sample level, 5 ms each way (long enough that the step of the
 * delayed dry signal and of the wet's phase becomes a dip, not a click;
 * short enough to read as one event). The fade starts once the control has
 * held still for FLOOR_SETTLE_S: a knob dragged or automation ramped across
 * several floors restarts once, where it stops, not once per floor crossed
 * (each restart also moves the reported latency, which hosts re-align on).
 * The cost is responsiveness: a choice plays 55 ms after it is made. For a
 * control that sets a latency and cannot be played in time, that is below
 * what a musician notices of a setting change; a change back to the floor
 * in use before the fade ends cancels it. Decided at absolute sample
 * positions (when the change arrives and after), so renders do not depend
 * on the host's block size. */
#define FLOOR_FADE_S 0.005
#define FLOOR_SETTLE_S 0.05
#define NO_WAIT UINT64_MAX

/* A frame's synthesis controls live in the bound network's frame slots
 * (net.h), n_outputs floats each, sized to the model: the f0 in Hz after
 * pitch shift (0 = silent) where the network's amplitude was, then the
 * final harmonic amplitudes and noise band magnitudes where the network
 * wrote its distribution and noise; beside them, the styles' band shape
 * at that frame (a noise grain uses its own frame's, whatever frames the
 * block has computed since). */
typedef struct {
	float *f0, *harm, *noise;
	heist_bandext_shape *shape;
} frame_ctl;

struct heist_engine {
	heist_config cfg;
	double fs, frame_rate, hop;
	uint32_t span, half, noise_hop, latency;
	double model_limit; /* min(host, model) Nyquist: the network's band */
	double band_limit;  /* rendered band (bandext.h): up to 20 kHz */
	uint32_t n_noise;   /* noise bands, the model's and the extension's */
	heist_bandext bandext;
	heist_bandext_shape ext_shape[FRAME_RING]; /* frame_ctl.shape, per slot */

	const heist_model *model;
	heist_net *net;
	/* Style b's network for morph (morph.h), built for the creation model;
	 * in use only while that model plays and none other played since (a
	 * model swapped out may be freed, so its address proves nothing). */
	heist_net *morph_own, *morph_net;
	int morph_lost;
	heist_morph_state morph_state; /* which of the two ran, how long (morph.h) */
	heist_analysis *analysis;      /* the current floor's, one of floors[] */
	heist_analysis *floors[N_FLOORS];
	uint32_t floor; /* index into LOWEST_PITCHES: the stream's (its latency) */
	/* A change of floor under way (FLOOR_*): the floor asked for, the
	 * control's last value (a new one restarts the settle time), the sample
	 * the fade-out starts at (NO_WAIT: none waits), the fade's direction
	 * (-1 out, +1 in or steady) and its place (xf_len = full level). */
	uint32_t floor_next;
	float floor_raw;
	uint64_t xf_wait;
	int xf_dir;
	uint32_t xf_pos, xf_len, xf_settle;
	heist_noise *noise;
	heist_profile *prof; /* bench only; NULL in use */

	float *ring; /* input history, ring_len samples */
	uint32_t ring_len;
	float *seg; /* [span] analysis scratch */

	uint64_t pos;        /* absolute index of the next input sample */
	uint64_t next_frame; /* next analysis frame */
	int64_t next_trigger;
	uint64_t synth_frame; /* frame a of the harmonic interpolation */
	double phase;

	float target[HEIST_PARAM_COUNT];
	float smooth[HEIST_PARAM_COUNT]; /* frame-clock smoothed values */
	heist_fit fit;                   /* auto octave and loudness fitting */
	float param_alpha, gate_alpha, gate_gain;
	/* input gate: gain on the frame's controls, hold countdown (frames) */
	float in_gate, in_gate_release;
	uint32_t in_gate_hold, in_gate_hold_frames, in_gate_open;
	uint32_t voiced_run, pitched_run; /* consecutive voiced frames: in range, any */
	uint32_t below_run;               /* frames below range playing the held pitch */
	uint32_t sure_run;                /* ... in range at HEIST_GATE_OPEN_CONF */
	uint32_t clear_run;               /* ... in range at HEIST_GATE_CLEAR_CONF */
	uint32_t unvoiced_run;            /* frames since the last voiced one (saturating) */
	uint32_t below_range_left, below_range_frames; /* monitor flag countdown */
	uint32_t history;                              /* samples before a span to gather */
	float level_pow[LEVEL_WINDOW_MAX];             /* level_window(): recent frame powers */
	uint32_t level_frames, level_at;               /* ... how many it averages, next slot */
	uint32_t level_filled;       /* ... slots written since a change of floor (saturating) */
	float gate_level_db;         /* ... the loudest of them: the gate's level */
	float level_alpha, level_db; /* level match: averaging, offset in dB */
	float mix_alpha, mix_wet, mix_gain, mix_enabled;
	int snap; /* next process() starts smoothers at their targets */

	float wet[RUN_MAX];
	float net_in[MAX_INPUTS];
	float morph_out[1u + MAX_HARMONICS + MAX_NOISE];
	heist_monitor monitor;

	heist_voice_source *vsrc; /* synth: the MIDI features source; NULL in the effect */
	heist_frame_hook hook;    /* MIDI out: told of each frame (NULL: none) */
	void *hook_user;
};

heist_config heist_config_default(double sample_rate)
{
	heist_config c = {sample_rate, HEIST_DEFAULT_LOWEST_PITCH};
	return c;
}

/* The largest supported floor at or below hz (the lowest one below all). */
static uint32_t floor_index(float hz)
{
	uint32_t f = 0;
	for (uint32_t i = 1; i < N_FLOORS; ++i) {
		if (hz >= LOWEST_PITCHES[i]) {
			f = i;
		}
	}
	return f;
}

const char *heist_lowest_pitch_choice(int i, float *hz)
{
	if (i < 0 || i >= (int)N_FLOORS) {
		return NULL;
	}
	if (hz) {
		*hz = LOWEST_PITCHES[i];
	}
	return LOWEST_PITCH_NAMES[i];
}

float heist_lowest_pitch_step(float hz, int dir)
{
	int f = (int)floor_index(hz);
	f += dir > 0 ? 1 : dir < 0 ? -1 : 0;
	f = f < 0 ? 0 : f >= (int)N_FLOORS ? (int)N_FLOORS - 1 : f;
	return LOWEST_PITCHES[f];
}

static uint64_t prof_now(const heist_engine *e)
{
	return e->prof ? e->prof->now() : 0;
}

static void prof_add(heist_engine *e, heist_stage s, uint64_t since)
{
	if (e->prof) {
		e->prof->ns[s] += e->prof->now() - since;
		e->prof->visits[s]++;
	}
}

void heist_engine_set_profile(heist_engine *e, heist_profile *prof)
{
	e->prof = prof;
}

/* [audio] Frame geometry and latency of floor f. */
static void apply_floor(heist_engine *e, uint32_t f)
{
	e->floor = f;
	e->analysis = e->floors[f];
	e->span = heist_analysis_span(e->analysis);
	e->half = e->span / 2;
	/* synth: no analysis span to wait for. */
	e->latency = (uint32_t)ceil(e->hop) + e->noise_hop + (e->vsrc ? 0 : e->half);
	/* frames whose spans together reach the reference span (level_window) */
	const double ref = heist_analysis_span(e->floors[LEVEL_REF_FLOOR]);
	const double k = ref > e->span ? ceil((ref - e->span) / e->hop) + 1.0 : 1.0;
	e->level_frames = k < LEVEL_WINDOW_MAX ? (uint32_t)k : LEVEL_WINDOW_MAX;
}

static int64_t frame_trigger(const heist_engine *e, uint64_t k)
{
	if (e->vsrc) { /* synth: once the events up to the frame's centre are in */
		return (int64_t)floor(heist_frame_centre(k, e->fs, e->frame_rate));
	}
	return heist_frame_start(k, e->fs, e->frame_rate, e->span) + (int64_t)e->span - 1;
}

static double frame_centre(const heist_engine *e, uint64_t k)
{
	return heist_frame_centre(k, e->fs, e->frame_rate);
}

/* Frame k's controls in the bound network's slots. */
static frame_ctl frame_at(heist_engine *e, uint64_t k)
{
	const uint32_t nh = e->model->n_harmonics;
	float *p = e->net->frames + (size_t)(k % FRAME_RING) * e->model->n_outputs;
	const frame_ctl c = {p, p + 1, p + 1 + nh, &e->ext_shape[k % FRAME_RING]};
	return c;
}

/* [audio] Bind a network; (re)derive everything that depends on the model.
 * The frames in flight move over from the previous network (old, may be
 * NULL): harmonics and bands the new model lacks are dropped, those it adds
 * start at zero. */
static void bind_net(heist_engine *e, heist_net *net, const heist_net *old)
{
	if (old) {
		const heist_model *mo = old->model, *mn = net->model;
		for (uint32_t k = 0; k < FRAME_RING; ++k) {
			const float *src = old->frames + (size_t)k * mo->n_outputs;
			float *dst = net->frames + (size_t)k * mn->n_outputs;
			const uint32_t nh =
			    mo->n_harmonics < mn->n_harmonics ? mo->n_harmonics : mn->n_harmonics;
			const uint32_t nn = mo->n_noise < mn->n_noise ? mo->n_noise : mn->n_noise;
			memset(dst, 0, mn->n_outputs * sizeof(float));
			dst[0] = src[0];
			memcpy(dst + 1, src + 1, nh * sizeof(float));
			memcpy(dst + 1 + mn->n_harmonics, src + 1 + mo->n_harmonics,
			       nn * sizeof(float));
		}
	}
	e->net = net;
	e->model = net->model;
	e->morph_lost = e->morph_lost || !e->morph_own || e->morph_own->model != net->model;
	e->morph_net = e->morph_lost ? NULL : e->morph_own;
	if (e->morph_net && old) {
		heist_net_reset(e->morph_net); /* a swap starts both networks fresh */
	}
	memset(&e->morph_state, 0, sizeof e->morph_state);
	const double model_nyq = 0.5 * e->model->sample_rate;
	e->model_limit = 0.5 * e->fs < model_nyq ? 0.5 * e->fs : model_nyq;
	e->band_limit = heist_bandext_limit(e->fs, model_nyq);
	e->n_noise = heist_noise_set_bands_ext(e->noise, e->model->n_noise, e->model->sample_rate,
	                                       e->band_limit);
	heist_bandext_init(&e->bandext, e->fs, model_nyq, e->model->n_noise, e->n_noise);
	heist_bandext_set_profile(&e->bandext, e->model);
	for (uint32_t i = 0; i < FRAME_RING; ++i) {
		e->ext_shape[i].n = 0; /* the next frames set the new model's */
	}
}

heist_engine *heist_engine_new(const heist_config *cfg, const heist_model *model)
{
	if (!cfg || !model || model->n_harmonics > MAX_HARMONICS || model->n_noise > MAX_NOISE ||
	    model->n_inputs > MAX_INPUTS) {
		return NULL;
	}
	heist_engine *e = heist_mem_calloc(1, sizeof(*e));
	if (!e) {
		return NULL;
	}
	e->cfg = *cfg;
	e->fs = cfg->sample_rate;
	/* The frame clock is the model's and fixed for the engine's lifetime:
	 * models swapped in later must share it (the worker checks). */
	e->frame_rate = model->frame_rate;
	e->hop = e->fs / e->frame_rate;
	/* One floor analyses at a time: one scratch block for all (memory per
	 * instance, heist-lv2-bench). */
	int ok = heist_analysis_new_set(e->fs, LOWEST_PITCHES, N_FLOORS, e->floors);
	e->noise = heist_noise_new(e->fs, MAX_NOISE);
	heist_net *net = heist_net_new(model);
	e->morph_own = heist_net_new(model);
	if (!ok || !e->noise || !net || !e->morph_own || !(cfg->lowest_pitch > 0.0f)) {
		heist_net_free(net);
		heist_engine_free(e);
		return NULL;
	}
	e->noise_hop = heist_synth_noise_hop(e->fs);
	/* Floor 0 has the longest span and latency: size the buffers for it,
	 * with the history the sub-floor detector reads before a span. */
	apply_floor(e, 0);
	uint32_t history = 0;
	for (uint32_t f = 0; f < N_FLOORS; ++f) {
		const uint32_t h = heist_analysis_history(e->floors[f]);
		history = h > history ? h : history;
	}
	e->history = history;
	const uint32_t max_span = e->span;
	/* What the ring must hold, to a whole cache line: no power of two
	 * (one was up to 1.6x this: 22 KiB more per instance at 96 kHz). */
	const uint32_t ring = (history + e->span + e->latency + RUN_MAX + 1u + 15u) / 16u * 16u;
	apply_floor(e, floor_index(cfg->lowest_pitch));
	e->floor_next = e->floor;
	e->ring = heist_mem_calloc(ring, sizeof(float));
	e->seg = heist_mem_calloc(history + max_span, sizeof(float));
	if (!e->ring || !e->seg) {
		heist_net_free(net);
		heist_engine_free(e);
		return NULL;
	}
	e->ring_len = ring;
	bind_net(e, net, NULL);

	e->param_alpha = (float)(1.0 - exp(-1.0 / (e->frame_rate * PARAM_SMOOTH_S)));
	e->gate_alpha = (float)(1.0 - exp(-1.0 / (e->frame_rate * GATE_SMOOTH_S)));
	e->mix_alpha = (float)(1.0 - exp(-1.0 / (e->fs * MIX_SMOOTH_S)));
	e->in_gate_hold_frames = (uint32_t)ceil(HEIST_GATE_HOLD_S * e->frame_rate);
	e->in_gate_release = (float)pow(10.0, -HEIST_GATE_RELEASE_DB_PER_S / e->frame_rate / 20.0);
	e->below_range_frames = (uint32_t)ceil(BELOW_RANGE_HOLD_S * e->frame_rate);
	e->level_alpha = (float)(1.0 - exp(-1.0 / (e->frame_rate * LEVEL_TIME_S)));
	const double fade = ceil(FLOOR_FADE_S * e->fs);
	e->xf_len = fade > 1.0 ? (uint32_t)fade : 1u;
	e->xf_settle = (uint32_t)ceil(FLOOR_SETTLE_S * e->fs);
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		e->target[p] = heist_param_get_info((heist_param)p)->def;
	}
	e->target[HEIST_PARAM_LOWEST_PITCH] = LOWEST_PITCHES[e->floor];
	e->floor_raw = e->target[HEIST_PARAM_LOWEST_PITCH];
	heist_fit_init(&e->fit, e->frame_rate);
	heist_engine_reset(e);
	return e;
}

void heist_engine_free(heist_engine *e)
{
	if (!e) {
		return;
	}
	heist_net_free(e->net);
	heist_net_free(e->morph_own);
	for (uint32_t f = 0; f < N_FLOORS; ++f) {
		heist_analysis_free(e->floors[f]);
	}
	heist_noise_free(e->noise);
	heist_mem_free(e->ring);
	heist_mem_free(e->seg);
	heist_mem_free(e->vsrc);
	heist_mem_free(e);
}

heist_net *heist_engine_swap_net(heist_engine *e, heist_net *net)
{
	heist_net *old = e->net;
	if (net) {
		heist_net_reset(net);
		bind_net(e, net, old);
	}
	return old;
}

/* [audio] A new value of the lowest-pitch control (clamped, finite): snap it
 * to a floor and schedule the change (FLOOR_*). Before any output there is
 * nothing to fade: the floor applies at once, as it always did. */
static void floor_request(heist_engine *e, float hz)
{
	const uint32_t f = floor_index(hz);
	const int moved = hz != e->floor_raw;
	e->floor_raw = hz;
	e->target[HEIST_PARAM_LOWEST_PITCH] = LOWEST_PITCHES[f];
	e->floor_next = f;
	if (e->pos == 0) {
		if (f != e->floor) {
			heist_engine_reset(e); /* applies floor_next */
		}
		return;
	}
	if (e->xf_dir < 0) {
		/* Fading out: the restart takes whatever floor is asked for when
		 * the fade ends (one restart); back to the one playing, it turns
		 * into a fade-in without any. */
		e->xf_dir = f == e->floor ? 1 : -1;
		return;
	}
	if (f == e->floor) {
		e->xf_wait = NO_WAIT;
	} else if (moved || e->xf_wait == NO_WAIT) {
		e->xf_wait = e->pos + e->xf_settle;
	}
}

void heist_engine_set_param(heist_engine *e, heist_param p, float value)
{
	const heist_param_info *info = heist_param_get_info(p);
	if (!info || !isfinite(value)) {
		return;
	}
	e->target[p] = heist_clampf(value, info->min, info->max);
	if (p == HEIST_PARAM_LOWEST_PITCH && !e->vsrc) {
		floor_request(e, e->target[p]);
	}
}

float heist_engine_get_param(const heist_engine *e, heist_param p)
{
	return (unsigned)p < HEIST_PARAM_COUNT ? e->target[p] : 0.0f;
}

void heist_engine_reset(heist_engine *e)
{
	/* A new stream: a floor change waiting for its fade applies now. */
	if (e->floor_next != e->floor) {
		apply_floor(e, e->floor_next);
	}
	e->xf_wait = NO_WAIT;
	e->xf_dir = 1;
	e->xf_pos = e->xf_len;
	e->level_filled = LEVEL_WINDOW_MAX; /* the window counts its empty slots */
	memset(e->ring, 0, e->ring_len * sizeof(float));
	memset(e->net->frames, 0, FRAME_RING * e->model->n_outputs * sizeof(float));
	heist_analysis_reset(e->analysis);
	heist_noise_reset(e->noise);
	heist_net_reset(e->net);
	if (e->morph_net) {
		heist_net_reset(e->morph_net);
	}
	memset(&e->morph_state, 0, sizeof e->morph_state);
	heist_fit_reset(&e->fit);
	e->pos = 0;
	e->next_frame = 0;
	e->next_trigger = frame_trigger(e, 0);
	e->synth_frame = 0;
	e->phase = 0.0;
	e->gate_gain = 0.0f;
	e->in_gate = 0.0f;
	e->in_gate_hold = 0;
	e->in_gate_open = 0;
	e->voiced_run = 0;
	e->pitched_run = 0;
	e->below_run = 0;
	e->sure_run = 0;
	e->clear_run = 0;
	e->unvoiced_run = HEIST_VOICED_GAP_FRAMES + 1u;
	e->below_range_left = 0;
	e->level_db = 0.0f;
	memset(e->level_pow, 0, sizeof e->level_pow);
	e->level_at = 0;
	e->monitor = (heist_monitor){0.0f, 0.0f, HEIST_LOUDNESS_FLOOR_DB, 0.0f, 0, 0, 0.0f, 0.0f};
	e->snap = 1;
	if (e->vsrc) { /* synth */
		heist_voice_reset(&e->vsrc->voice);
		e->vsrc->n_queued = e->vsrc->next = 0;
		for (uint32_t k = 0; k < HEIST_VOICE_ONSET_SLOTS; ++k) {
			e->vsrc->onset[k] = -1.0;
		}
	}
}

uint32_t heist_engine_latency(const heist_engine *e)
{
	return e->latency;
}

heist_monitor heist_engine_monitor(const heist_engine *e)
{
	return e->monitor;
}

static void snap_smoothers(heist_engine *e)
{
	memcpy(e->smooth, e->target, sizeof(e->smooth));
	e->mix_wet = e->target[HEIST_PARAM_DRY_WET];
	e->mix_gain = heist_db_to_gain(e->target[HEIST_PARAM_OUTPUT_GAIN]);
	e->mix_enabled = e->target[HEIST_PARAM_ENABLED] >= 0.5f ? 1.0f : 0.0f;
	e->snap = 0;
}

/* Smooth gain for the confidence gate: 0 below gate - 0.05, 1 above
 * gate + 0.05; a gate of 0 never closes. */
static float gate_target(float confidence, float gate)
{
	if (gate <= 0.0f) {
		return 1.0f;
	}
	const float x = heist_clampf((confidence - gate) * 10.0f + 0.5f, 0.0f, 1.0f);
	return x * x * (3.0f - 2.0f * x);
}

/* [any] A run of frames: one longer while on (saturating at 255), else 0. */
static inline uint32_t run_count(uint32_t run, int on)
{
	return on ? run + (run < 255u) : 0u;
}

/* [audio] Whether the f0 a frame plays is a stale hold: the tracker holds
 * the last accepted pitch while a note after a rest waits for confirmation
 * (pitch_track.h), and confidence rises on those frames, so the harmonic
 * bank would start the new note at the previous note's pitch for 1-3
 * frames (a 4-12 ms blip a musician hears as a click at the onset). Holds
 * inside a voiced stretch (a slip of a few frames) are the design and play,
 * and so do holds while the input is below range (the monitor's flag, held
 * 0.5 s): there the held pitch is the steady octave-up the sub-floor
 * detector found, which frames under the floor rarely confirm (on a 115 Hz
 * voice at the 300 Hz floor 80 % of audible frames are such holds). */
static int stale_pitch(heist_engine *e, const heist_features *f)
{
	e->unvoiced_run = run_count(e->unvoiced_run, !f->voiced);
	return e->unvoiced_run > HEIST_VOICED_GAP_FRAMES && !e->monitor.below_range;
}

/* [audio] The statistics the fitter aims at: styles a and b (clamped to the
 * model's) interpolated by morph, as their embeddings are. */
static void style_target(const heist_model *m, uint32_t a, uint32_t b, float morph,
                         heist_style *out)
{
	const uint32_t last = m->n_styles - 1u;
	const heist_style *sa = &m->styles[a > last ? last : a];
	const heist_style *sb = &m->styles[b > last ? last : b];
	const float t = heist_clampf(morph, 0.0f, 1.0f);
	out->pitch_median = sa->pitch_median + (sb->pitch_median - sa->pitch_median) * t;
	out->loud_median = sa->loud_median + (sb->loud_median - sa->loud_median) * t;
	/* Statistics outside any instrument's (a model written without them)
	 * turn fitting off rather than fold toward nonsense. */
	if (!(out->pitch_median >= 12.0f && out->pitch_median <= 120.0f)) {
		out->pitch_median = NAN;
	}
	if (!(out->loud_median >= HEIST_LOUDNESS_FLOOR_DB && out->loud_median <= 6.0f)) {
		out->loud_median = NAN;
	}
}

/* [audio] Where absolute input sample m lies in the ring. */
static inline uint32_t ring_at(const heist_engine *e, uint64_t m)
{
	return (uint32_t)(m % e->ring_len);
}

/* [audio] Gather: frame k's span, with the history the sub-floor detector
 * reads before it, straight from the ring when it lies there in one piece;
 * otherwise copied (zeros before the stream, then at most two contiguous
 * pieces). Returns the span's first sample; the history precedes it. */
static const float *gather_span(heist_engine *e, uint64_t k)
{
	const uint32_t len = e->history + e->span;
	const int64_t start = heist_frame_start(k, e->fs, e->frame_rate, e->span) - e->history;
	if (start >= 0) {
		const uint32_t first = ring_at(e, (uint64_t)start);
		if (first + len <= e->ring_len) {
			return e->ring + first + e->history;
		}
	}
	uint32_t i = 0;
	if (start < 0) {
		i = (uint64_t)-start < len ? (uint32_t)-start : len;
		memset(e->seg, 0, i * sizeof(float));
	}
	while (i < len) {
		const uint32_t at = ring_at(e, (uint64_t)(start + i));
		uint32_t n = e->ring_len - at;
		n = n < len - i ? n : len - i;
		memcpy(e->seg + i, e->ring + at, n * sizeof(float));
		i += n;
	}
	return e->seg + e->history;
}

/* [audio] Whether the input holds a note under the lowest pitch that the
 * input gate may open on: the sub-floor detector's confirmed period (three
 * runs, 12 frames, must agree within a semitone) above the mains
 * (HEIST_GATE_SUB_MIN_HZ). Without it a quiet voice under the 300 Hz floor
 * opened the gate only where its level crossed the threshold. */
static int gate_low_pitch(const heist_engine *e)
{
	return heist_analysis_subfloor_hz(e->analysis) >= HEIST_GATE_SUB_MIN_HZ;
}

/* [audio] Input gate on the frame clock (see HEIST_GATE_*): returns the gain
 * for this frame's controls. A pitch opens it lower only once it has lasted
 * HEIST_GATE_VOICED_FRAMES (room noise gives a stray voiced frame or two)
 * and when it is in range (mains hum reads as a pitch under the floor). */
static float input_gate(heist_engine *e, const heist_features *f, float threshold_db,
                        int stream_start)
{
	const int low = gate_low_pitch(e);
	e->voiced_run = run_count(e->voiced_run, (f->voiced && !f->below_range) || low);
	e->pitched_run = run_count(e->pitched_run, f->voiced);
	const float opening_db = threshold_db - HEIST_GATE_VOICED_DB;
	const float loud = e->gate_level_db; /* level_window() */
	const int pitch = f->voiced && !f->below_range && loud > opening_db;
	e->sure_run =
	    run_count(e->sure_run, (low || (pitch && f->confidence >= HEIST_GATE_OPEN_CONF)) &&
	                               loud > opening_db + HEIST_GATE_OPEN_MARGIN_DB);
	e->clear_run = run_count(e->clear_run, pitch && f->confidence >= HEIST_GATE_CLEAR_CONF);
	if (threshold_db <= HEIST_GATE_OFF_DB) {
		e->in_gate_open = 1;
		return e->in_gate = 1.0f;
	}
	const float below = e->in_gate_open ? HEIST_GATE_HYST_DB : 0.0f;
	const float level = loud + below;
	/* A span that reaches before the stream holds the step from its zeros
	 * to the input (a DC offset reads as a click there): only a pitch opens. */
	const int open = (level > threshold_db && !stream_start) ||
	                 ((e->in_gate_open ? e->voiced_run >= HEIST_GATE_VOICED_FRAMES
	                                   : e->sure_run >= HEIST_GATE_OPEN_FRAMES ||
	                                         e->clear_run >= HEIST_GATE_CLEAR_FRAMES) &&
	                  level > threshold_db - HEIST_GATE_VOICED_DB);
	if (open) {
		e->in_gate_hold = e->in_gate_hold_frames;
		e->in_gate_open = 1;
		return e->in_gate = 1.0f;
	}
	e->in_gate_open = 0;
	/* Input fallen to silence (under even a pitch's opening level): the
	 * note has ended and nothing soft is left to keep, so the gate shuts at
	 * once; a release tail would let the start of the next sound through
	 * for a frame or two, at a falling gain (a new burst in speech-male's
	 * pause at 3.0 s: its input reached digital silence, then a fricative
	 * at -40 dB came out as a 16 ms puff inside the release). */
	if (level < threshold_db - HEIST_GATE_VOICED_DB) {
		e->in_gate_hold = 0;
		return e->in_gate = 0.0f;
	}
	if (e->in_gate_hold > 0) {
		e->in_gate_hold--;
		return e->in_gate;
	}
	e->in_gate *= e->in_gate_release;
	e->in_gate = e->in_gate < 1e-4f ? 0.0f : e->in_gate; /* -80 dB: silence */
	return e->in_gate;
}

/* [audio] Variance of the span (the input's power about the frame; a DC
 * offset is no sound to match). */
static float span_power(const float *span, uint32_t n)
{
	float s = 0.0f, q = 0.0f;
#pragma omp simd reduction(+ : s, q)
	for (uint32_t i = 0; i < n; ++i) {
		s += span[i];
		q += span[i] * span[i];
	}
	const float mean = s / (float)n, v = q / (float)n - mean * mean;
	return v > 0.0f ? v : 0.0f;
}

/* [audio] The mean square the controls of a frame render: sinusoids of
 * amplitude a give a^2 / 2; the filtered noise (synth.h: uniform noise of
 * variance 1/3 shaped by the bands, interpolated over the model's band)
 * about a third of the bands' mean square. */
static float controls_power(const frame_ctl *fc, uint32_t nh, uint32_t nn)
{
	/* Both sums side by side, each in its own order: two chains at once. */
	float h = 0.0f, b = 0.0f;
	const uint32_t both = nh < nn ? nh : nn;
	for (uint32_t i = 0; i < both; ++i) {
		h += fc->harm[i] * fc->harm[i];
		b += fc->noise[i] * fc->noise[i];
	}
	for (uint32_t i = both; i < nh; ++i) {
		h += fc->harm[i] * fc->harm[i];
	}
	for (uint32_t i = both; i < nn; ++i) {
		b += fc->noise[i] * fc->noise[i];
	}
	return 0.5f * h + (nn ? b / (3.0f * (float)nn) : 0.0f);
}

/* [audio] Level match (LEVEL_*): the makeup gain for this frame, from the
 * input's power and the power its controls render before it. */
static float level_match(heist_engine *e, float in_power, float wet_power, int active)
{
	if (e->vsrc || e->target[HEIST_PARAM_LEVEL_MATCH] < 0.5f) { /* synth: no input */
		return 1.0f;
	}
	const float in_db = 10.0f * log10f(in_power + 1e-20f);
	const float wet_db = 10.0f * log10f(wet_power + 1e-20f);
	if (active && in_db > LEVEL_MIN_DB && wet_db > in_db - 2.0f * LEVEL_MAX_DB) {
		const float d = heist_clampf(in_db - wet_db, -LEVEL_MAX_DB, LEVEL_MAX_DB);
		e->level_db += (d - e->level_db) * e->level_alpha;
	}
	return heist_db_to_gain(e->level_db);
}

/* [audio] The frame's loudness as the power mean over the spans of the last
 * level_frames frames (LEVEL_REF_FLOOR): at the 300 Hz floor a quiet voice's
 * level crossed the input gate's threshold on single frames, each opening a
 * 20-30 ms puff (harmonica-low-latency on speech-male.quiet: 46 bursts/min),
 * and the network's loudness input flickered as much. At the default floor
 * and below (one frame) the frame's own loudness, unchanged. */
static void level_window(heist_engine *e, heist_features *f)
{
	e->gate_level_db = f->loudness_db;
	if (e->level_frames <= 1u) {
		return;
	}
	e->level_pow[e->level_at] = powf(10.0f, 0.1f * f->loudness_db);
	e->level_at = e->level_at + 1u < e->level_frames ? e->level_at + 1u : 0u;
	e->level_filled += e->level_filled < LEVEL_WINDOW_MAX;
	float sum = 0.0f, peak = 0.0f;
	for (uint32_t i = 0; i < e->level_frames; ++i) {
		sum += e->level_pow[i];
		peak = e->level_pow[i] > peak ? e->level_pow[i] : peak;
	}
	/* A stream's start averages its empty slots (silence before it); after
	 * a change of floor mid-stream, only the new floor's spans (a 300 Hz
	 * window averaging 7 empty slots read the note 9 dB low). */
	const uint32_t n = e->level_filled < e->level_frames ? e->level_filled : e->level_frames;
	const float db = 10.0f * log10f(sum / (float)n + 1e-30f);
	f->loudness_db = db > HEIST_LOUDNESS_FLOOR_DB ? db : HEIST_LOUDNESS_FLOOR_DB;
	/* The gate follows the window's loudest span (an envelope's peak hold):
	 * it opens on a syllable's first pulse as at the default floor and
	 * stays open between its pulses (the mean lost a quiet low voice's
	 * soft syllables: speech-low.quiet -6.4 dB against -4.9). */
	const float pk = 10.0f * log10f(peak + 1e-30f);
	e->gate_level_db = pk > HEIST_LOUDNESS_FLOOR_DB ? pk : HEIST_LOUDNESS_FLOOR_DB;
}

/* [audio] The monitors of a frame's features; the MIDI-out hook sees them. */
static void frame_monitor(heist_engine *e, uint64_t k, const heist_features *f)
{
	e->monitor.pitch_hz = f->voiced ? f->f0 : 0.0f;
	e->monitor.raw_pitch_hz = f->f0_raw;
	e->monitor.read_pitch_hz = f->f0_read;
	e->monitor.confidence = f->confidence;
	e->monitor.loudness_db = f->loudness_db;
	e->below_range_left = f->below_range        ? e->below_range_frames
	                      : e->below_range_left ? e->below_range_left - 1u
	                                            : 0u;
	e->monitor.below_range = e->below_range_left > 0;
	if (e->hook) { /* MIDI out */
		e->hook(e->hook_user, frame_centre(e, k), &e->monitor);
	}
}

/* [audio] synth: the voice's features at frame k's centre, played with the
 * expression of styles A/B at the current morph; the onset is kept for
 * render_run(). */
static heist_features synth_features(heist_engine *e, uint64_t k)
{
	const heist_voice_style st = heist_voice_style_of(
	    e->model, (uint32_t)lrintf(e->target[HEIST_PARAM_STYLE_A]),
	    (uint32_t)lrintf(e->target[HEIST_PARAM_STYLE_B]), e->smooth[HEIST_PARAM_MORPH]);
	const heist_voice_features v = heist_voice_frame(&e->vsrc->voice, frame_centre(e, k), &st);
	e->vsrc->onset[k % HEIST_VOICE_ONSET_SLOTS] = v.onset;
	const heist_features f = {v.f0, v.f0, v.confidence, v.loudness, v.confidence > 0.0f,
	                          0,    v.f0};
	return f;
}

/* [audio] Fit: follow the performance's range and loudness (fit.h); the
 * octave fold (semitones) and the loudness offset (dB) for this frame. */
static void frame_fit(heist_engine *e, const heist_features *f, const heist_style *target,
                      float *octave, float *loud_fit)
{
	const float *s = e->smooth;
	const float shift = s[HEIST_PARAM_PITCH_SHIFT];
	const int voiced = f->voiced && f->f0 > 0.0f;
	heist_fit_frame(&e->fit, voiced ? 69.0f + 12.0f * log2f(f->f0 / 440.0f) + shift : 0.0f,
	                f->loudness_db, voiced, target->pitch_median);
	*octave = e->target[HEIST_PARAM_AUTO_OCTAVE] >= 0.5f ? heist_fit_octave(&e->fit) : 0.0f;
	*loud_fit =
	    s[HEIST_PARAM_LOUDNESS_FIT] * heist_fit_loudness_offset(&e->fit, target->loud_median);
}

/* [audio] Network input: scaled pitch, loudness and confidence (the style
 * embedding follows in heist_morph_step). Returns the f0 to play (Hz, 0
 * before any pitch). Where the input gate has shut on an unvoiced frame
 * (room noise, hum between phrases) the network sees silence, as in its
 * training data: fed the noise, its state carried a breathy balance into
 * the next words (speech-low.room: 6.8 % of frames unpitched in the output,
 * 2.9 % so). Voiced frames still reach it while the gate waits to open, so
 * a soft note's attack is not delayed; so do a stream's first frames, where
 * the gate is shut by the span's leading zeros, not by noise (test_morph's
 * automation: a reference network's start state, 1.085 against 1.056). */
static float network_input(heist_engine *e, const heist_features *f, float octave, float loud_fit,
                           int silent)
{
	const heist_model *m = e->model;
	const float *s = e->smooth;
	const float f0 = f->f0 * exp2f((s[HEIST_PARAM_PITCH_SHIFT] + octave) / 12.0f);
	const float midi = f0 > 0.0f ? 69.0f + 12.0f * log2f(f0 / 440.0f) : m->pitch_center;
	e->net_in[0] = (midi - m->pitch_center) / m->pitch_scale;
	const float loud = silent ? HEIST_LOUDNESS_FLOOR_DB
	                          : f->loudness_db + s[HEIST_PARAM_LOUDNESS_SHIFT] + loud_fit;
	e->net_in[1] = (loud - m->loud_center) / m->loud_scale;
	e->net_in[2] = silent ? 0.0f : f->confidence;
	return f0;
}

/* [audio] Controls: the network's output in the frame slot becomes the
 * synthesis controls in place. Harmonics at or above the band limit are
 * silenced, the distribution normalised to sum 1 and scaled by the amplitude
 * (train/heist_synth.py), then the user's levels and both gates apply. */
static void frame_controls(heist_engine *e, const frame_ctl *fc, const heist_speq_curve *eq,
                           float f0, float confidence, int stale, float in_gate, float in_power)
{
	const float *s = e->smooth;
	const uint32_t nh = e->model->n_harmonics, nn = e->model->n_noise;
	const float amplitude = fc->f0[0];
	float sum = 0.0f;
	for (uint32_t h = 0; h < nh; ++h) {
		const int audible = f0 > 0.0f && (double)(h + 1) * f0 < e->model_limit;
		fc->harm[h] = audible ? fc->harm[h] : 0.0f;
		sum += fc->harm[h];
	}
	/* A stale pitch never sounds, whatever the gate's setting. */
	const float gate = stale ? 0.0f : gate_target(confidence, s[HEIST_PARAM_CONFIDENCE_GATE]);
	e->gate_gain += (gate - e->gate_gain) * e->gate_alpha;
	if (e->vsrc) { /* synth: sounding or silent, at the frame (the voice shapes it) */
		e->gate_gain = confidence;
	}
	/* The user's levels and the confidence gate first: what level match
	 * measures; then the makeup gain and the input gate. */
	const float harm_scale =
	    sum > 0.0f
	        ? amplitude / sum * heist_db_to_gain(s[HEIST_PARAM_HARMONIC_LEVEL]) * e->gate_gain
	        : 0.0f;
	for (uint32_t h = 0; h < nh; ++h) {
		fc->harm[h] *= harm_scale;
	}
	const float noise_gain =
	    heist_db_to_gain(s[HEIST_PARAM_NOISE_LEVEL]) * (e->vsrc ? confidence : 1.0f);
	for (uint32_t b = 0; b < nn; ++b) {
		fc->noise[b] *= noise_gain;
	}
	/* The style's spectral correction (speq.h) keeps the frame's power; the
	 * band extension then continues the corrected spectrum. */
	heist_speq_apply_model(e->model, eq, fc->harm, f0, fc->noise);
	heist_bandext_harmonics_shaped(&e->bandext, fc->shape, fc->harm, nh, f0);
	/* Measured inside notes, past their attack (LEVEL_SETTLE_FRAMES), where
	 * the network's level is the instrument's own. Below the range the held
	 * octave-up plays on frames the tracker rarely confirms (a 75 Hz voice at
	 * the 300 Hz floor: 1 in 10), at the confidence gate's level: the match
	 * learns on all of them, so it converges there too (-8.5 dB otherwise). */
	e->below_run = run_count(e->below_run, e->monitor.below_range && !stale);
	const int settled = e->in_gate_open && (e->pitched_run >= LEVEL_SETTLE_FRAMES ||
	                                        e->below_run >= LEVEL_SETTLE_FRAMES);
	const float gain = level_match(e, in_power, controls_power(fc, nh, nn), settled) * in_gate;
	for (uint32_t h = 0; h < nh; ++h) {
		fc->harm[h] *= gain;
	}
	for (uint32_t b = 0; b < nn; ++b) {
		fc->noise[b] *= gain;
	}
	heist_bandext_harmonic_rest(&e->bandext, fc->shape, fc->harm, nh, f0);
	fc->f0[0] = f0;
}

/* [audio] Frame k: gather -> features (or the MIDI voice's) -> fit -> input
 * gate -> network input -> network -> controls, stored in the frame's slot
 * for synthesis. */
static void compute_frame(heist_engine *e)
{
	const uint64_t t0 = prof_now(e);
	const uint64_t k = e->next_frame;
	/* synth: features from the MIDI voice instead of the analyser */
	float in_power = 0.0f;
	heist_features f;
	if (e->vsrc) {
		f = synth_features(e, k);
	} else {
		const float *span = gather_span(e, k);
		f = heist_analysis_frame_at(e->analysis, span, 1,
		                            heist_frame_start(k, e->fs, e->frame_rate, e->span));
		in_power = span_power(span, e->span);
		level_window(e, &f);
	}
	frame_monitor(e, k, &f);
	prof_add(e, HEIST_STAGE_ANALYSIS, t0);
	const uint64_t t1 = prof_now(e);

	float *s = e->smooth;
	const float morph_prev = s[HEIST_PARAM_MORPH];
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		s[p] += (e->target[p] - s[p]) * e->param_alpha;
	}
	const uint32_t style_a = (uint32_t)lrintf(e->target[HEIST_PARAM_STYLE_A]);
	const uint32_t style_b = (uint32_t)lrintf(e->target[HEIST_PARAM_STYLE_B]);
	if (e->morph_net && style_a != style_b) {
		/* A network skipped at an end warms up before it plays (morph.h). */
		s[HEIST_PARAM_MORPH] =
		    heist_morph_advance(&e->morph_state, morph_prev, s[HEIST_PARAM_MORPH],
		                        e->target[HEIST_PARAM_MORPH]);
	}
	heist_style target;
	style_target(e->model, style_a, style_b, s[HEIST_PARAM_MORPH], &target);
	float octave = 0.0f, loud_fit = 0.0f;
	frame_fit(e, &f, &target, &octave, &loud_fit);
	const int stream_start =
	    heist_frame_start(k, e->fs, e->frame_rate, e->span) < (int64_t)e->history;
	const float in_gate =
	    e->vsrc ? 1.0f : input_gate(e, &f, e->target[HEIST_PARAM_INPUT_GATE], stream_start);
	const float f0 =
	    network_input(e, &f, octave, loud_fit, in_gate <= 0.0f && !f.voiced && !stream_start);
	/* The network writes straight into the frame's slot. */
	const frame_ctl fc = frame_at(e, k);
	heist_bandext_shape_of(&e->bandext, e->model, style_a, style_b, s[HEIST_PARAM_MORPH], f0,
	                       fc.shape);
	heist_morph_step(e->net, e->morph_net, style_a, style_b, s[HEIST_PARAM_MORPH],
	                 e->target[HEIST_PARAM_MORPH], &e->morph_state, e->net_in, fc.f0,
	                 e->morph_out);
	heist_speq_curve eq;
	heist_speq_curve_of(e->model, style_a, style_b, s[HEIST_PARAM_MORPH], f0, &eq);
	const int stale = !e->vsrc && stale_pitch(e, &f);
	frame_controls(e, &fc, &eq, f0, f.confidence, stale, in_gate, in_power);
	e->monitor.out_pitch_hz = in_gate > 0.0f && f.voiced ? f0 : 0.0f;
	e->monitor.gate_open = e->in_gate_open;

	e->next_frame = k + 1;
	e->next_trigger = frame_trigger(e, k + 1);
	prof_add(e, HEIST_STAGE_NETWORK, t1);
}

/* [audio] Noise grain starting at output time u (a multiple of the hop). */
static void noise_grain(heist_engine *e, uint64_t u)
{
	const double centre = (double)(u + e->noise_hop);
	uint64_t k = e->synth_frame;
	while (frame_centre(e, k + 1) <= centre) {
		++k;
	}
	const double ca = frame_centre(e, k), cb = frame_centre(e, k + 1);
	const float t = (float)((centre - ca) / (cb - ca));
	const frame_ctl a = frame_at(e, k), b = frame_at(e, k + 1);
	/* synth: a grain starting before a note's onset stays silent (nothing
	 * may sound before it); the next grain carries the noise. */
	const double *on = e->vsrc ? e->vsrc->onset : NULL;
	const float mute = on && (on[k % HEIST_VOICE_ONSET_SLOTS] > (double)u ||
	                          on[(k + 1) % HEIST_VOICE_ONSET_SLOTS] > (double)u)
	                       ? 0.0f
	                       : 1.0f;
	float mags[MAX_NOISE];
	for (uint32_t i = 0; i < e->model->n_noise; ++i) {
		mags[i] = (a.noise[i] + (b.noise[i] - a.noise[i]) * t) * mute;
	}
	heist_bandext_noise_shaped(&e->bandext, a.shape, mags);
	heist_noise_grain(e->noise, u, mags);
}

/* [audio] The instrument at input times [u, u + n) into wet[n]: harmonic
 * runs between frame centres and noise-grain starts, each grain added when
 * its first sample is reached and its samples taken run by run. */
static void render_run(heist_engine *e, uint64_t u, float *wet, uint32_t n)
{
	const uint64_t t0 = prof_now(e);
	uint32_t i = 0;
	while (i < n) {
		const uint64_t v = u + i;
		while (frame_centre(e, e->synth_frame + 1) <= (double)v) {
			++e->synth_frame;
		}
		if (v % e->noise_hop == 0) {
			noise_grain(e, v);
		}
		const uint64_t k = e->synth_frame;
		const double ca = frame_centre(e, k), cb = frame_centre(e, k + 1);
		/* Up to the next frame centre, grain start or the end. */
		uint64_t end = (uint64_t)ceil(cb);
		const uint64_t grain = (v / e->noise_hop + 1) * e->noise_hop;
		end = grain < end ? grain : end;
		/* synth: a note from silence sounds from its onset exactly, its
		 * controls rising from there (not from the silent frame before). */
		const double onset =
		    e->vsrc ? e->vsrc->onset[(k + 1) % HEIST_VOICE_ONSET_SLOTS] : -1.0;
		const int before_onset = onset > ca && (double)v < onset;
		if (before_onset) {
			end = (uint64_t)onset < end ? (uint64_t)onset : end;
		}
		const uint32_t len = end - v < n - i ? (uint32_t)(end - v) : n - i;
		const frame_ctl a = frame_at(e, k), b = frame_at(e, k + 1);
		if (before_onset) {
			heist_noise_take_add(e->noise, v, wet + i, len); /* consumed, not heard */
			memset(wet + i, 0, len * sizeof(float));
			i += len;
			continue;
		}
		const double ca_h = onset > ca ? onset : ca;
		heist_synth_harmonic_run(&e->phase, onset > ca ? b.f0[0] : a.f0[0], b.f0[0], a.harm,
		                         b.harm, e->model->n_harmonics, (double)v, ca_h,
		                         1.0 / (cb - ca_h), e->fs, e->band_limit, wet + i, len);
		heist_noise_take_add(e->noise, v, wet + i, len);
		i += len;
	}
	prof_add(e, HEIST_STAGE_SYNTHESIS, t0);
}

/* [audio] Store n input samples from absolute index m, non-finite ones as
 * 0, the rest clipped to +-INPUT_LIMIT; in pieces contiguous in the ring. */
static void store_input(heist_engine *e, uint64_t m, const float *in, uint32_t n)
{
	uint32_t i = 0;
	while (i < n) {
		const uint32_t at = ring_at(e, m + i);
		uint32_t len = e->ring_len - at;
		len = len < n - i ? len : n - i;
		float *dst = e->ring + at;
		if (!in) { /* synth without input: silence */
			memset(dst, 0, len * sizeof(float));
			i += len;
			continue;
		}
		const float *src = in + i;
#pragma omp simd
		for (uint32_t j = 0; j < len; ++j) {
			const float x = src[j];
			/* |x| <= FLT_MAX is false for NaN and Inf */
			const float c = x < -INPUT_LIMIT  ? -INPUT_LIMIT
			                : x > INPUT_LIMIT ? INPUT_LIMIT
			                                  : x;
			dst[j] = fabsf(x) <= FLT_MAX ? c : 0.0f;
		}
		i += len;
	}
}

/* [audio] Mix n samples: wet[i] against the delayed dry input of output
 * sample m + i. The three one-pole smoothers run per sample while moving and
 * snap to their targets once within 1e-6, after which a plain loop runs. */
static void mix_run(heist_engine *e, uint64_t m, const float *wet, float *out, uint32_t n)
{
	const float wet_t = e->target[HEIST_PARAM_DRY_WET];
	const float gain_t = heist_db_to_gain(e->target[HEIST_PARAM_OUTPUT_GAIN]);
	const float enabled_t = e->target[HEIST_PARAM_ENABLED] >= 0.5f ? 1.0f : 0.0f;
	const float a = e->mix_alpha;
	const float *ring = e->ring;
	/* The dry sample's place, stepped (no division a sample while smoothing). */
	uint32_t at = m >= e->latency ? ring_at(e, m - e->latency) : 0;
	uint32_t i = 0;
	for (; i < n; ++i) {
		if (e->mix_wet == wet_t && e->mix_gain == gain_t && e->mix_enabled == enabled_t) {
			break;
		}
		float dry = 0.0f;
		if (m + i >= e->latency) {
			dry = ring[at];
			at = at + 1 == e->ring_len ? 0 : at + 1;
		}
		e->mix_wet += (wet_t - e->mix_wet) * a;
		e->mix_gain += (gain_t - e->mix_gain) * a;
		e->mix_enabled += (enabled_t - e->mix_enabled) * a;
		e->mix_wet = fabsf(wet_t - e->mix_wet) < 1e-6f ? wet_t : e->mix_wet;
		e->mix_gain = fabsf(gain_t - e->mix_gain) < 1e-6f * gain_t ? gain_t : e->mix_gain;
		e->mix_enabled =
		    fabsf(enabled_t - e->mix_enabled) < 1e-6f ? enabled_t : e->mix_enabled;
		const float mixed = e->mix_gain * (dry + (wet[i] - dry) * e->mix_wet);
		out[i] = dry + (mixed - dry) * e->mix_enabled;
	}
	const float w = e->mix_wet, g = e->mix_gain, en = e->mix_enabled;
	for (; i < n && m + i < e->latency; ++i) {
		out[i] = en * g * wet[i] * w; /* dry is 0 before the stream */
	}
	/* The rest in pieces contiguous in the ring: plain vector loops. */
	while (i < n) {
		const uint32_t at = ring_at(e, m + i - e->latency);
		uint32_t len = e->ring_len - at;
		len = len < n - i ? len : n - i;
		const float *dry = ring + at;
		const float *wi = wet + i;
		float *oi = out + i;
#pragma omp simd
		for (uint32_t j = 0; j < len; ++j) {
			const float mixed = g * (dry[j] + (wi[j] - dry[j]) * w);
			oi[j] = dry[j] + (mixed - dry[j]) * en;
		}
		i += len;
	}
}

/* [audio] synth: apply the queued events due at block sample i (all of them
 * when last), and return how many samples the run from i may take before
 * the next one is due. */
static uint64_t synth_events(heist_engine *e, uint32_t i, uint32_t n, int last, uint64_t len)
{
	heist_voice_source *vs = e->vsrc;
	while (vs->next < vs->n_queued) {
		const heist_midi_event *ev = &vs->queue[vs->next];
		const uint32_t at = ev->frame < n ? ev->frame : (n > 0 ? n - 1 : 0);
		if (at > i && !last) {
			return at - i < len ? at - i : len;
		}
		heist_voice_midi(&vs->voice, (double)e->pos, ev->msg, ev->size);
		++vs->next;
	}
	vs->n_queued = vs->next = 0;
	return len;
}

int heist_engine_midi(heist_engine *e, uint32_t frame, const uint8_t *msg, uint32_t size)
{
	heist_voice_source *vs = e->vsrc;
	if (!vs || !msg || size == 0 || size > 3 || vs->n_queued >= HEIST_MIDI_QUEUE) {
		return -1;
	}
	if (vs->n_queued > 0 && frame < vs->queue[vs->n_queued - 1].frame) {
		frame = vs->queue[vs->n_queued - 1].frame; /* out of order: at the previous one */
	}
	heist_midi_event *ev = &vs->queue[vs->n_queued++];
	ev->frame = frame;
	ev->size = (uint8_t)size;
	memcpy(ev->msg, msg, size);
	return 0;
}

void heist_engine_set_frame_hook(heist_engine *e, heist_frame_hook hook, void *user)
{
	e->hook = hook;
	e->hook_user = user;
}

void heist_engine_set_voice_param(heist_engine *e, heist_voice_param p, float value)
{
	if (e->vsrc) {
		heist_voice_set(&e->vsrc->voice, p, value);
	}
}

heist_engine *heist_engine_new_synth(const heist_config *cfg, const heist_model *model)
{
	heist_engine *e = heist_engine_new(cfg, model);
	heist_voice_source *vs = e ? heist_mem_calloc(1, sizeof(*vs)) : NULL;
	if (!vs) {
		heist_engine_free(e);
		return NULL;
	}
	heist_voice_init(&vs->voice, e->fs);
	e->vsrc = vs;
	apply_floor(e, e->floor);
	heist_engine_reset(e);
	return e;
}

/* [audio] The change of floor at the end of its fade-out (FLOOR_*), at the
 * sample pos, before its input is stored: the stream goes on with the new
 * framing and latency instead of starting again from silence. Kept: the
 * input history (the dry path resumes at the new latency at once), the
 * frame clock and the frames in flight (frame k's centre does not depend
 * on the floor, only when its span is complete), the networks' state, the
 * fitter, both gates, the level match's gain, the smoothers, the monitors,
 * and the pitch tracker's performance (analysis.h). Dropped: the old
 * floor's analysis and sub-floor verdict, its level window (no span of the
 * old length is averaged after it), and the noise grains in flight. Frames
 * the shorter span makes due now are computed here, at most
 * (longest span - shortest) / (2 hop) of them: 5 at any rate. */
static void restart_floor(heist_engine *e)
{
	const heist_analysis *old = e->analysis;
	apply_floor(e, e->floor_next);
	heist_analysis_reset(e->analysis);
	heist_analysis_carry(e->analysis, old);
	memset(e->level_pow, 0, sizeof e->level_pow);
	e->level_at = 0;
	e->level_filled = 0;
	e->next_trigger = frame_trigger(e, e->next_frame);
	while (e->next_trigger < (int64_t)e->pos) {
		compute_frame(e);
	}
	/* Output sample pos now renders input time pos - latency: the frame at
	 * or before it. Frames already computed: up to 7 back from next_frame
	 * (300 -> 50 Hz at 22.05-192 kHz, 250 frames/s), all still in the
	 * FRAME_RING slots; never one further back, whose slot may be reused
	 * (a model's faster frame clock: the fade-in then starts a frame on). */
	const int64_t u = (int64_t)e->pos - (int64_t)e->latency;
	uint64_t k = 0;
	if (u > 0) {
		k = (uint64_t)floor((double)u * e->frame_rate / e->fs);
		while (k > 0 && frame_centre(e, k) > (double)u) {
			--k;
		}
		while (frame_centre(e, k + 1) <= (double)u) {
			++k;
		}
	}
	k = k + (FRAME_RING - 1u) < e->next_frame ? e->next_frame - (FRAME_RING - 1u) : k;
	e->synth_frame = k;
	heist_noise_reset(e->noise);
	e->xf_dir = 1; /* fades in from xf_pos = 0 */
}

/* [any] The sample at which the fade-out under way or waiting ends and the
 * floor changes (UINT64_MAX: none). From a fade-in still rising, the fade
 * out starts at the level it has reached. */
static uint64_t floor_restart_at(const heist_engine *e)
{
	if (e->xf_dir < 0) {
		return e->pos + e->xf_pos;
	}
	if (e->xf_wait == NO_WAIT) {
		return UINT64_MAX;
	}
	const uint64_t g = e->xf_pos + (e->xf_wait - e->pos);
	return e->xf_wait + (g < e->xf_len ? g : e->xf_len);
}

/* [audio] The fades of a change of floor on output samples [m, m + n): a
 * linear ramp of xf_len steps, out then in; nothing to do when steady. */
static void floor_fade(heist_engine *e, uint64_t m, float *out, uint32_t n)
{
	if (e->xf_dir > 0 && e->xf_pos == e->xf_len && (e->xf_wait >= m + n)) {
		return;
	}
	const float step = 1.0f / (float)e->xf_len;
	for (uint32_t i = 0; i < n; ++i) {
		if (m + i == e->xf_wait) {
			e->xf_wait = NO_WAIT;
			e->xf_dir = -1;
		}
		float g;
		if (e->xf_dir < 0) {
			g = (float)e->xf_pos * step;
			e->xf_pos -= e->xf_pos > 0;
		} else {
			e->xf_pos += e->xf_pos < e->xf_len;
			g = (float)e->xf_pos * step;
		}
		out[i] *= g;
	}
}

void heist_engine_process(heist_engine *e, const float *in, float *out, uint32_t n)
{
	if (e->snap) {
		snap_smoothers(e);
	}
	uint32_t i = 0;
	while (i < n) {
		if (e->xf_dir < 0 && e->xf_pos == 0) {
			/* faded out: the new floor, or back in if it is the old one */
			if (e->floor_next != e->floor) {
				restart_floor(e);
			}
			e->xf_dir = 1;
		}
		/* A run ends at the block end, RUN_MAX, just after the next frame
		 * trigger (that frame is computed before the run's output), or
		 * where the floor changes. */
		const uint64_t m = e->pos;
		uint64_t len = (uint64_t)(e->next_trigger - (int64_t)m) + 1u;
		len = len < n - i ? len : n - i;
		len = len < RUN_MAX ? len : RUN_MAX;
		const uint64_t restart = floor_restart_at(e);
		len = restart > m && restart - m < len ? restart - m : len;
		if (e->vsrc) { /* synth: the events due now; the run stops at the next */
			len = synth_events(e, i, n, 0, len);
		}
		const uint32_t nr = (uint32_t)len;
		/* in and out may alias: read the whole run before writing. */
		store_input(e, m, in ? in + i : NULL, nr);
		e->pos = m + nr;
		while (e->next_trigger == (int64_t)(m + nr - 1)) {
			compute_frame(e);
		}
		/* Output sample m renders input time m - latency; before the
		 * stream has filled the latency the wet part is silent. */
		uint32_t j = 0;
		while (j < nr && m + j < e->latency) {
			e->wet[j++] = 0.0f;
		}
		if (j < nr) {
			render_run(e, m + j - e->latency, e->wet + j, nr - j);
		}
		/* The safety stage (limiter.h): bounded after the output gain,
		 * which only moves towards its target within the run. The 1e-5
		 * margin absorbs the rounding of this division and of the mix
		 * (a few ulps of the gain and of the dry signal). */
		const float g_max =
		    fmaxf(e->mix_gain, heist_db_to_gain(e->target[HEIST_PARAM_OUTPUT_GAIN]));
		heist_soft_ceiling(e->wet, nr, HEIST_WET_CEILING * 0.99999f / g_max);
		mix_run(e, m, e->wet, out + i, nr);
		floor_fade(e, m, out + i, nr);
		i += nr;
	}
	if (e->vsrc) { /* synth: events left (n = 0) */
		synth_events(e, n, n, 1, 0);
	}
}
