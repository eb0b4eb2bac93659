/* Heist LV2 plugin: glue between an LV2 host and the dsp/ engine.
 *
 * Thread classes (see dsp/heist.h): instantiate, activate, deactivate,
 * cleanup and the state restore() run in the host's [main] (instantiation)
 * class; connect_port, run and work_response run in the [audio] class and
 * never allocate, lock, log or do I/O; work() runs on the host's [worker]
 * thread (non-real-time, may allocate and do I/O); the state save() has its
 * own class: non-real-time, possibly concurrent with run() and work().
 *
 * Custom models. A patch:Set of the property heist:model (an atom:Path) on
 * the control port is copied by run() into a fixed-size worker request. The
 * worker loads, validates and pre-warms the model (heist_net_new) into a
 * "slot" (model + net + path); work_response() swaps the slot in by pointer
 * and puts the old one on a garbage list, which run() hands back to the worker
 * to free. Nothing is ever freed on the audio thread. A request the host's
 * ring refuses is kept and retried on the next run(); so is the garbage list.
 * Without the worker:schedule feature (e.g. lv2file) run-time loading is off,
 * but a model named in restored state still loads, in restore().
 *
 * MIDI lookahead ring. The audio delay of midi_lookahead needs a ring of up
 * to 200 ms, which most instances never use (the lookahead defaults to 0):
 * it is made, with every page written, by the worker the first time run()
 * sees a nonzero lookahead, and handed over through an atomic pointer that
 * run() polls. Until it is there the lookahead stays at its previous value
 * (0), and so does the latency reported. Without the worker it is made in
 * instantiate().
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "heist.h"
#include "heist_synth_lv2.h"
#include "inline_display.h"
#include "level_meter.h"
#include "model.h"
#include "notes.h"
#include "ports.h"
#include "text.h"

#define HEIST_MODEL_FILE "heist-default.hsm"

/* The longest model path (bytes, with the terminating NUL) a worker request
 * carries. Requests are fixed-size POD; 1 KiB keeps several of them within
 * the smallest host rings seen (jalv: 4 KiB). */
#define HEIST_PATH_MAX 1024u

/* MXCSR bits: flush denormal results to zero (FTZ), treat denormal inputs as
 * zero (DAZ). DAZ exists on every x86-64 CPU. */
#define HEIST_MXCSR_FTZ 0x8000u
#define HEIST_MXCSR_DAZ 0x0040u

/* A model ready to play: the parsed model, the network runtime bound to it
 * and the file it came from. Built and freed on the worker (or in restore());
 * the audio thread only moves pointers to it. */
typedef struct heist_slot {
	struct heist_slot *next; /* link in the garbage list ([audio]) */
	/* Link in the instance's list of every live slot (slots_lock), so that
	 * cleanup() frees the ones in transit in messages the host dropped. */
	struct heist_slot *live_prev, *live_next;
	heist_model *model; /* owned; NULL for the shipped model, owned by Heist */
	heist_net *net;     /* owned; while current, the engine holds it */
	char path[];        /* absolute path, NUL-terminated */
} heist_slot;

/* Worker requests (run() -> work()) and responses (work() -> work_response()),
 * fixed-size POD. The type comes first in each so work() can tell them apart. */
typedef enum {
	HEIST_WORK_LOAD = 1, /* heist_work_load: load, validate, pre-warm a model */
	HEIST_WORK_FREE,     /* heist_work_free: free a garbage list of slots */
	HEIST_WORK_TOO_LONG, /* heist_work_free with no list: report a too long path */
	HEIST_WORK_READY,    /* heist_work_response: a slot to install */
	HEIST_WORK_FAILED,   /* heist_work_response: the load failed (logged) */
	HEIST_WORK_RING,     /* heist_work_free with no list: make the lookahead's ring */
} heist_work_type;

typedef struct {
	uint32_t type;       /* HEIST_WORK_LOAD */
	uint32_t generation; /* of the state the request was made in */
	char path[HEIST_PATH_MAX];
} heist_work_load;

typedef struct {
	uint32_t type;       /* HEIST_WORK_FREE or HEIST_WORK_TOO_LONG */
	uint32_t generation; /* unused */
	heist_slot *list;    /* HEIST_WORK_FREE: the slots, linked by next */
} heist_work_free;

/* The longest status line (bytes, with the NUL) the notify port carries. */
#define HEIST_STATUS_MAX 240u

typedef struct {
	uint32_t type; /* HEIST_WORK_READY or HEIST_WORK_FAILED */
	uint32_t generation;
	heist_slot *slot;              /* HEIST_WORK_READY */
	char status[HEIST_STATUS_MAX]; /* why it failed ("" when loaded), sanitised */
} heist_work_response;

typedef struct {
	LV2_URID atom_Path;
	LV2_URID atom_URID;
	LV2_URID atom_Sequence;
	LV2_URID patch_Get;
	LV2_URID patch_Set;
	LV2_URID patch_property;
	LV2_URID patch_value;
	LV2_URID heist_model;
	LV2_URID heist_status;
	LV2_URID atom_String;
	LV2_URID midi_MidiEvent;
} heist_uris;

typedef struct {
	/* Port buffers, set by connect_port(). */
	const float *in;
	float *out;
	const float *pitch_shift;
	const float *loudness_shift;
	const float *harmonic_level;
	const float *noise_level;
	const float *confidence_gate;
	const float *dry_wet;
	const float *output_gain;
	const float *enabled;
	float *pitch_out;
	float *confidence_out;
	float *loudness_out;
	float *latency;
	const float *style_a;
	const float *style_b;
	const float *morph;
	float *input_level;
	float *output_level;
	const LV2_Atom_Sequence *control;
	LV2_Atom_Sequence *notify;
	const float *lowest_pitch;
	const float *auto_octave;
	const float *loudness_fit;
	const float *input_gate;
	float *below_range;
	float *out_pitch;
	float *gate_open;
	const float *level_match;
	LV2_Atom_Sequence *midi_out;
	const float *midi_bend_range;
	const float *midi_min_note;
	const float *midi_hysteresis;
	const float *midi_lookahead;

	/* MIDI out: the note tracker fed by the engine's frames, and the
	 * engine's input position at the start of the block ([audio]). */
	heist_notes notes;
	uint64_t midi_pos;
	LV2_Atom_Forge midi_forge;
	LV2_Atom_Forge_Frame midi_frame;
	bool midi_open;    /* the output sequence is being written */
	int64_t midi_last; /* frame of the last event written */
	/* midi_lookahead: the audio out delayed by delay_len samples, added to
	 * the latency, so the note tracker may decide that much later and its
	 * events stay on time. The ring (delay_cap samples, for the largest
	 * lookahead) is made by the worker on first use, or in instantiate()
	 * without one: delay_made is written once, by whichever made it, and
	 * owns it; delay is the audio thread's copy, NULL until it has seen it. */
	float *delay;
	_Atomic(float *) delay_made;
	bool delay_requested; /* [audio] the worker was asked to make it */
	uint32_t delay_cap, delay_len, delay_at;

	/* Peak meters of the input and output (level_meter.h). */
	heist_level_meter in_meter, out_meter;

	/* Ardour's inline display; NULL when the host has none. */
	heist_idisp *idisp;

	/* Host features. */
	LV2_URID_Map *map;
	LV2_Worker_Schedule *schedule; /* NULL: no run-time model loading */
	LV2_Log_Logger logger;
	heist_uris uris;
	LV2_Atom_Forge forge; /* [audio] writes the notify port */

	/* The shipped model, loaded in instantiate() and kept for the instance's
	 * lifetime so that falling back to it never needs the disk. */
	heist_model *shipped;
	char *shipped_path;
	heist_config cfg;

	/* The engine plays current's net. current is written by the audio thread
	 * (work_response) and restore(), read by save() under free_lock. */
	heist_engine *engine;
	_Atomic(heist_slot *) current;

	/* [audio] state. */
	heist_slot *garbage;           /* old slots not yet handed to the worker */
	heist_work_load pending;       /* a load request the host's ring refused */
	bool load_pending;             /* pending is to be retried */
	bool report_too_long;          /* a too long path is to be reported */
	bool notify_model;             /* announce the model path on the notify port */
	bool notify_status;            /* announce status on the notify port */
	char status[HEIST_STATUS_MAX]; /* the last load's outcome: "" or why it failed */
	uint32_t generation;           /* bumped by restore(): older responses are stale */

	/* Held by the worker while it frees slots and by save() while it reads
	 * current's path: a slot save() sees cannot be freed under it. Never
	 * taken on the audio thread. */
	pthread_mutex_t free_lock;
	bool free_lock_ready;

	/* Every slot not yet freed, current and garbage and in transit alike;
	 * slots_lock guards the list ([main] and [worker] only). */
	heist_slot *live;
	pthread_mutex_t slots_lock;
	bool slots_lock_ready;
} Heist;

/* [main] Join a bundle path and a file name. bundle_path normally ends with a
 * '/', but a missing one is tolerated. Returns NULL on allocation failure. */
static char *bundle_file_path(const char *bundle_path, const char *name)
{
	const size_t blen = strlen(bundle_path);
	const bool slash = blen > 0 && bundle_path[blen - 1] == '/';
	const size_t len = blen + (slash ? 0 : 1) + strlen(name) + 1;
	char *path = malloc(len);
	if (path) {
		snprintf(path, len, "%s%s%s", bundle_path, slash ? "" : "/", name);
	}
	return path;
}

/* [any] A host feature's data, or NULL. Like lv2_features_data(), but skips
 * entries without a URI: lv2file 0.95 passes one (a feature it did not fill),
 * and strcmp() on it would crash the host. */
static void *feature_data(const LV2_Feature *const *features, const char *uri)
{
	for (size_t i = 0; features && features[i]; ++i) {
		if (features[i]->URI && !strcmp(features[i]->URI, uri)) {
			return features[i]->data;
		}
	}
	return NULL;
}

/* [main] or [worker] A slot (net NULL) entered into the live list. */
static heist_slot *slot_alloc(Heist *self, heist_model *model, const char *path)
{
	const size_t len = strlen(path) + 1;
	heist_slot *slot = malloc(sizeof(heist_slot) + len);
	if (!slot) {
		return NULL;
	}
	slot->next = NULL;
	slot->model = model;
	slot->net = NULL;
	memcpy(slot->path, path, len);
	pthread_mutex_lock(&self->slots_lock);
	slot->live_prev = NULL;
	slot->live_next = self->live;
	if (self->live) {
		self->live->live_prev = slot;
	}
	self->live = slot;
	pthread_mutex_unlock(&self->slots_lock);
	return slot;
}

/* [main] or [worker] Free a slot: the net before the model it borrows. */
static void slot_free(Heist *self, heist_slot *slot)
{
	if (!slot) {
		return;
	}
	pthread_mutex_lock(&self->slots_lock);
	if (slot->live_prev) {
		slot->live_prev->live_next = slot->live_next;
	} else {
		self->live = slot->live_next;
	}
	if (slot->live_next) {
		slot->live_next->live_prev = slot->live_prev;
	}
	pthread_mutex_unlock(&self->slots_lock);
	heist_net_free(slot->net);
	heist_model_free(slot->model);
	free(slot);
}

/* [main] or [worker] A slot holding a model (NULL for the shipped one) and a
 * fresh, pre-warmed net for it. On failure frees nothing of the caller's. */
static heist_slot *slot_new(Heist *self, heist_model *model, const char *path)
{
	heist_net *net = heist_net_new(model ? model : self->shipped);
	heist_slot *slot = net ? slot_alloc(self, NULL, path) : NULL;
	if (!slot) {
		heist_net_free(net);
		return NULL;
	}
	slot->model = model;
	slot->net = net;
	return slot;
}

/* [main] or [worker] Free a garbage list. */
static void slot_free_list(Heist *self, heist_slot *list)
{
	while (list) {
		heist_slot *next = list->next;
		slot_free(self, list);
		list = next;
	}
}

/* [main] or [worker] Load, validate and pre-warm a model file. The engine's
 * frame clock is fixed at creation, so a model with another frame rate is
 * refused; a throwaway engine checks every other limit the engine has. On
 * failure returns NULL with the reason in err. */
static heist_slot *slot_load(Heist *self, const char *path, char *err, size_t err_size)
{
	heist_model *model = heist_model_acquire(path, err, err_size);
	if (!model) {
		return NULL;
	}
	char shown[256]; /* the path as messages show it */
	heist_text_sanitize(shown, sizeof(shown), path);
	if (model->frame_rate != self->shipped->frame_rate) {
		snprintf(err, err_size,
		         "%s: frame rate %g Hz differs from the running engine's %g Hz", shown,
		         (double)model->frame_rate, (double)self->shipped->frame_rate);
		heist_model_free(model);
		return NULL;
	}
	heist_engine *probe = heist_engine_new(&self->cfg, model);
	if (!probe) {
		snprintf(err, err_size, "%s: the engine cannot run this model at %g Hz", shown,
		         self->cfg.sample_rate);
		heist_model_free(model);
		return NULL;
	}
	heist_engine_free(probe);
	heist_slot *slot = slot_new(self, model, path);
	if (!slot) {
		snprintf(err, err_size, "%s: out of memory", shown);
		heist_model_free(model);
	}
	return slot;
}

/* [main] */
static void cleanup(LV2_Handle instance)
{
	Heist *self = (Heist *)instance;
	if (!self) {
		return;
	}
	/* The engine frees the current slot's net; the rest of it goes here.
	 * The live list holds the current slot, the garbage and the slots in
	 * transit (a response or a free the host never delivered). */
	heist_engine_free(self->engine);
	heist_slot *current = atomic_load(&self->current);
	if (current) {
		current->net = NULL;
	}
	if (self->slots_lock_ready) {
		while (self->live) {
			slot_free(self, self->live);
		}
		pthread_mutex_destroy(&self->slots_lock);
	}
	heist_model_free(self->shipped);
	heist_idisp_free(self->idisp);
	free(atomic_load(&self->delay_made));
	free(self->shipped_path);
	if (self->free_lock_ready) {
		pthread_mutex_destroy(&self->free_lock);
	}
	free(self);
}

/* [main] */
static void map_uris(LV2_URID_Map *map, heist_uris *uris)
{
	uris->atom_Path = map->map(map->handle, LV2_ATOM__Path);
	uris->atom_URID = map->map(map->handle, LV2_ATOM__URID);
	uris->atom_Sequence = map->map(map->handle, LV2_ATOM__Sequence);
	uris->patch_Get = map->map(map->handle, LV2_PATCH__Get);
	uris->patch_Set = map->map(map->handle, LV2_PATCH__Set);
	uris->patch_property = map->map(map->handle, LV2_PATCH__property);
	uris->patch_value = map->map(map->handle, LV2_PATCH__value);
	uris->heist_model = map->map(map->handle, HEIST_MODEL_URI);
	uris->heist_status = map->map(map->handle, HEIST_STATUS_URI);
	uris->atom_String = map->map(map->handle, LV2_ATOM__String);
	uris->midi_MidiEvent = map->map(map->handle, LV2_MIDI__MidiEvent);
}

/* [audio] The engine's frame hook: each analysis frame into the note
 * tracker (MIDI out). */
static void midi_frame(void *user, double centre, const heist_monitor *m)
{
	Heist *self = (Heist *)user;
	heist_notes_frame(&self->notes, centre, m->pitch_hz > 0.0f ? m->read_pitch_hz : 0.0f,
	                  m->read_pitch_hz, m->confidence, m->loudness_db);
}

/* [audio] The latency the plugin reports: the engine's and the MIDI
 * lookahead's audio delay. */
static uint32_t total_latency(const Heist *self)
{
	return heist_engine_latency(self->engine) + self->delay_len;
}

/* [audio] The MIDI lookahead in samples for the control (ms, 0 when
 * unconnected or not finite). */
static uint32_t lookahead_samples(const Heist *self)
{
	const float ms = self->midi_lookahead ? *self->midi_lookahead : 0.0f;
	const double n = isfinite(ms) ? floor(fminf(fmaxf(ms, 0.0f), HEIST_MIDI_LOOKAHEAD_MAX_MS) *
	                                          0.001 * self->cfg.sample_rate +
	                                      0.5)
	                              : 0.0;
	return n < (double)self->delay_cap ? (uint32_t)n : self->delay_cap - 1u;
}

/* [main] or [worker] The lookahead's ring with every page written, so that
 * the audio thread never faults one in; NULL when out of memory. The stores
 * are volatile: a compiler may fold malloc and memset into calloc, which
 * leaves fresh pages untouched. */
static float *delay_ring_new(uint32_t cap)
{
	float *ring = malloc((size_t)cap * sizeof(float));
	if (ring) {
		volatile float *v = ring;
		for (uint32_t i = 0; i < cap; ++i) {
			v[i] = 0.0f;
		}
	}
	return ring;
}

/* [audio] Follow the lookahead control. A change starts the delay from
 * silence (the latency changes: hosts re-align, as for lowest_pitch). A
 * nonzero one needs the ring: the worker is asked for it once, and until it
 * is there the previous length (0) stays. */
static void delay_update(Heist *self)
{
	const uint32_t want = lookahead_samples(self);
	if (want == self->delay_len) {
		return;
	}
	if (want > 0 && !self->delay) {
		if (!self->delay_requested && self->schedule) {
			const heist_work_free msg = {HEIST_WORK_RING, 0, NULL};
			self->delay_requested =
			    self->schedule->schedule_work(self->schedule->handle, sizeof(msg),
			                                  &msg) == LV2_WORKER_SUCCESS;
		}
		/* A host may run work() within schedule_work(): then it is here now. */
		self->delay = atomic_load_explicit(&self->delay_made, memory_order_acquire);
		if (!self->delay) {
			return;
		}
	}
	/* only [0, delay_len) is ever read */
	memset(self->delay, 0, want * sizeof(float));
	self->delay_len = want;
	self->delay_at = 0;
}

/* [audio] out[] through the lookahead's delay ring (in place). */
static void delay_run(Heist *self, float *out, uint32_t n)
{
	if (self->delay_len == 0) {
		return;
	}
	for (uint32_t i = 0; i < n; ++i) {
		const float x = out[i];
		out[i] = self->delay[self->delay_at];
		self->delay[self->delay_at] = x;
		self->delay_at = self->delay_at + 1u == self->delay_len ? 0u : self->delay_at + 1u;
	}
}

/* [audio] MIDI out of a block: midi_begin() opens the output sequence,
 * midi_emit() writes the tracker's events due before `before` (input time),
 * midi_end() closes it. An event stamped at input time t goes out at output
 * time t + latency, where a host that compensates the latency records it at
 * t; those due after the block wait for the next. */
static void midi_begin(Heist *self)
{
	self->midi_open = false;
	if (self->midi_out) {
		const uint32_t capacity = self->midi_out->atom.size;
		lv2_atom_forge_set_buffer(&self->midi_forge, (uint8_t *)self->midi_out, capacity);
		self->midi_open =
		    lv2_atom_forge_sequence_head(&self->midi_forge, &self->midi_frame, 0) != 0;
		self->midi_last = 0;
	}
}

static void midi_emit(Heist *self, double before, uint32_t n)
{
	if (n == 0) {
		return; /* nowhere to place them: they wait */
	}
	const double lat = (double)total_latency(self);
	heist_note_event ev;
	while (heist_notes_pop(&self->notes, before, &ev)) {
		int64_t at = (int64_t)llround(ev.time + lat - (double)self->midi_pos);
		at = at < self->midi_last  ? self->midi_last
		     : at > (int64_t)n - 1 ? (int64_t)n - 1
		                           : at;
		self->midi_last = at;
		LV2_Atom_Forge *forge = &self->midi_forge;
		if (self->midi_open &&
		    (!lv2_atom_forge_frame_time(forge, at) ||
		     !lv2_atom_forge_atom(forge, ev.size, self->uris.midi_MidiEvent) ||
		     !lv2_atom_forge_write(forge, ev.msg, ev.size))) {
			self->midi_open = false; /* the host's buffer is full: the rest is lost */
		}
	}
}

static void midi_end(Heist *self)
{
	if (self->midi_out && self->midi_open) {
		lv2_atom_forge_pop(&self->midi_forge, &self->midi_frame);
	} else if (self->midi_out) {
		/* an empty sequence rather than whatever the buffer held */
		self->midi_out->atom.type = self->uris.atom_Sequence;
		self->midi_out->atom.size = sizeof(LV2_Atom_Sequence_Body);
	}
}

/* [main] */
static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate,
                              const char *bundle_path, const LV2_Feature *const *features)
{
	(void)descriptor;

	Heist *self = (Heist *)calloc(1, sizeof(Heist));
	if (!self) {
		return NULL;
	}
	atomic_init(&self->current, NULL);

	/* lv2_log_logger_init() accepts a NULL log and then prints to stderr,
	 * which is fine here: instantiate() is not real-time. */
	LV2_Log_Log *log = feature_data(features, LV2_LOG__log);
	self->map = feature_data(features, LV2_URID__map);
	self->schedule = feature_data(features, LV2_WORKER__schedule);
	lv2_log_logger_init(&self->logger, self->map, log);
	if (!self->map) {
		lv2_log_error(&self->logger, "heist: missing required feature <%s>\n",
		              LV2_URID__map);
		cleanup(self);
		return NULL;
	}
	map_uris(self->map, &self->uris);
	lv2_atom_forge_init(&self->forge, self->map);
	if (pthread_mutex_init(&self->free_lock, NULL)) {
		cleanup(self);
		return NULL;
	}
	self->free_lock_ready = true;
	if (pthread_mutex_init(&self->slots_lock, NULL)) {
		cleanup(self);
		return NULL;
	}
	self->slots_lock_ready = true;

	self->shipped_path = bundle_file_path(bundle_path ? bundle_path : "", HEIST_MODEL_FILE);
	if (!self->shipped_path) {
		cleanup(self);
		return NULL;
	}
	char err[256] = "";
	self->shipped = heist_model_acquire(self->shipped_path, err, sizeof(err));
	if (!self->shipped) {
		lv2_log_error(&self->logger, "heist: %s\n", err[0] ? err : "cannot load the model");
		cleanup(self);
		return NULL;
	}

	self->cfg = heist_config_default(rate);
	self->engine = heist_engine_new(&self->cfg, self->shipped);
	/* The engine built its own net for the shipped model; the first slot
	 * takes it over at the first swap (see install_slot()). */
	heist_slot *first = self->engine ? slot_alloc(self, NULL, self->shipped_path) : NULL;
	if (!first) {
		lv2_log_error(&self->logger, "heist: cannot create the engine at %.0f Hz\n", rate);
		cleanup(self);
		return NULL;
	}
	atomic_store(&self->current, first);
	heist_level_meter_init(&self->in_meter, rate);
	heist_level_meter_init(&self->out_meter, rate);
	lv2_atom_forge_init(&self->midi_forge, self->map);
	self->delay_cap = (uint32_t)ceil(HEIST_MIDI_LOOKAHEAD_MAX_MS * 0.001 * rate) + 1u;
	atomic_init(&self->delay_made, NULL);
	if (!self->schedule) {
		/* no worker to make the ring later */
		float *ring = delay_ring_new(self->delay_cap);
		if (!ring) {
			cleanup(self);
			return NULL;
		}
		atomic_store(&self->delay_made, ring);
	}
	heist_notes_init(&self->notes, rate, self->shipped->frame_rate);
	heist_engine_set_frame_hook(self->engine, midi_frame, self);
	self->idisp = heist_idisp_new(rate, features); /* optional */
	return (LV2_Handle)self;
}

/* [audio] A switch per port: the port pointers are separate, typed members. */
static void connect_port(LV2_Handle instance, uint32_t port, void *data)
{
	Heist *self = (Heist *)instance;
	switch ((heist_port)port) {
	case HEIST_PORT_IN:
		self->in = (const float *)data;
		break;
	case HEIST_PORT_OUT:
		self->out = (float *)data;
		break;
	case HEIST_PORT_PITCH_SHIFT:
		self->pitch_shift = (const float *)data;
		break;
	case HEIST_PORT_LOUDNESS_SHIFT:
		self->loudness_shift = (const float *)data;
		break;
	case HEIST_PORT_HARMONIC_LEVEL:
		self->harmonic_level = (const float *)data;
		break;
	case HEIST_PORT_NOISE_LEVEL:
		self->noise_level = (const float *)data;
		break;
	case HEIST_PORT_CONFIDENCE_GATE:
		self->confidence_gate = (const float *)data;
		break;
	case HEIST_PORT_DRY_WET:
		self->dry_wet = (const float *)data;
		break;
	case HEIST_PORT_OUTPUT_GAIN:
		self->output_gain = (const float *)data;
		break;
	case HEIST_PORT_ENABLED:
		self->enabled = (const float *)data;
		break;
	case HEIST_PORT_PITCH_OUT:
		self->pitch_out = (float *)data;
		break;
	case HEIST_PORT_CONFIDENCE_OUT:
		self->confidence_out = (float *)data;
		break;
	case HEIST_PORT_LOUDNESS_OUT:
		self->loudness_out = (float *)data;
		break;
	case HEIST_PORT_LATENCY:
		self->latency = (float *)data;
		break;
	case HEIST_PORT_STYLE_A:
		self->style_a = (const float *)data;
		break;
	case HEIST_PORT_STYLE_B:
		self->style_b = (const float *)data;
		break;
	case HEIST_PORT_MORPH:
		self->morph = (const float *)data;
		break;
	case HEIST_PORT_INPUT_LEVEL:
		self->input_level = (float *)data;
		break;
	case HEIST_PORT_OUTPUT_LEVEL:
		self->output_level = (float *)data;
		break;
	case HEIST_PORT_CONTROL:
		self->control = (const LV2_Atom_Sequence *)data;
		break;
	case HEIST_PORT_LOWEST_PITCH:
		self->lowest_pitch = (const float *)data;
		break;
	case HEIST_PORT_NOTIFY:
		self->notify = (LV2_Atom_Sequence *)data;
		break;
	case HEIST_PORT_AUTO_OCTAVE:
		self->auto_octave = (const float *)data;
		break;
	case HEIST_PORT_LOUDNESS_FIT:
		self->loudness_fit = (const float *)data;
		break;
	case HEIST_PORT_INPUT_GATE:
		self->input_gate = (const float *)data;
		break;
	case HEIST_PORT_BELOW_RANGE:
		self->below_range = (float *)data;
		break;
	case HEIST_PORT_OUT_PITCH:
		self->out_pitch = (float *)data;
		break;
	case HEIST_PORT_GATE_OPEN:
		self->gate_open = (float *)data;
		break;
	case HEIST_PORT_LEVEL_MATCH:
		self->level_match = (const float *)data;
		break;
	case HEIST_PORT_MIDI_OUT:
		self->midi_out = (LV2_Atom_Sequence *)data;
		break;
	case HEIST_PORT_MIDI_BEND_RANGE:
		self->midi_bend_range = (const float *)data;
		break;
	case HEIST_PORT_MIDI_MIN_NOTE:
		self->midi_min_note = (const float *)data;
		break;
	case HEIST_PORT_MIDI_HYSTERESIS:
		self->midi_hysteresis = (const float *)data;
		break;
	case HEIST_PORT_MIDI_LOOKAHEAD:
		self->midi_lookahead = (const float *)data;
		break;
	case HEIST_PORT_COUNT:
		break;
	}
}

/* [main] Start from silence, as if just created. */
static void activate(LV2_Handle instance)
{
	Heist *self = (Heist *)instance;
	heist_engine_reset(self->engine);
	heist_notes_reset(&self->notes);
	self->midi_pos = 0;
	if (self->delay) {
		memset(self->delay, 0, self->delay_len * sizeof(float));
	}
	self->delay_at = 0;
}

/* [audio] A control value clamped to the parameter's range. An unconnected
 * port or a non-finite value gives the default. */
static float control_value(const float *port, heist_param p)
{
	const heist_param_info *info = heist_param_get_info(p);
	if (!port || !isfinite(*port)) {
		return info->def;
	}
	const float v = *port;
	return v < info->min ? info->min : v > info->max ? info->max : v;
}

/* [audio] lv2:toggled: above zero is on. */
static float toggle_value(const float *port, heist_param p)
{
	if (!port || !isfinite(*port)) {
		return heist_param_get_info(p)->def;
	}
	return *port > 0.0f ? 1.0f : 0.0f;
}

/* [audio] Swap a slot in; the old one goes on the garbage list. */
static void install_slot(Heist *self, heist_slot *slot)
{
	heist_slot *old = atomic_load_explicit(&self->current, memory_order_relaxed);
	/* The engine hands back the net it played: for the first slot, the one
	 * heist_engine_new() built. */
	old->net = heist_engine_swap_net(self->engine, slot->net);
	atomic_store_explicit(&self->current, slot, memory_order_release);
	old->next = self->garbage;
	self->garbage = old;
}

/* [audio] Hand the garbage list to the worker; kept for the next run() if
 * the host's ring is full. */
static void flush_garbage(Heist *self)
{
	if (!self->garbage || !self->schedule) {
		return;
	}
	const heist_work_free msg = {HEIST_WORK_FREE, 0, self->garbage};
	if (self->schedule->schedule_work(self->schedule->handle, sizeof(msg), &msg) ==
	    LV2_WORKER_SUCCESS) {
		self->garbage = NULL;
	}
}

/* [audio] Send the pending load request and any report; what the host
 * refuses stays pending for the next run(). */
static void flush_requests(Heist *self)
{
	if (!self->schedule) {
		return;
	}
	if (self->load_pending &&
	    self->schedule->schedule_work(self->schedule->handle, sizeof(self->pending),
	                                  &self->pending) == LV2_WORKER_SUCCESS) {
		self->load_pending = false;
	}
	if (self->report_too_long) {
		const heist_work_free msg = {HEIST_WORK_TOO_LONG, 0, NULL};
		if (self->schedule->schedule_work(self->schedule->handle, sizeof(msg), &msg) ==
		    LV2_WORKER_SUCCESS) {
			self->report_too_long = false;
		}
	}
}

/* [audio] A patch:Set of heist:model: queue a load (the latest request wins
 * if the previous one has not been sent yet). */
static void request_load(Heist *self, const LV2_Atom *value)
{
	if (!self->schedule || value->type != self->uris.atom_Path || value->size == 0) {
		return;
	}
	const char *path = (const char *)LV2_ATOM_BODY_CONST(value);
	const size_t len = strnlen(path, value->size);
	if (len == 0 || len == value->size) {
		return; /* empty, or not NUL-terminated within the atom */
	}
	if (len >= HEIST_PATH_MAX) {
		self->report_too_long = true;
		return;
	}
	self->pending.type = HEIST_WORK_LOAD;
	self->pending.generation = self->generation;
	memcpy(self->pending.path, path, len + 1);
	self->load_pending = true;
}

/* [audio] patch:property and patch:value of an object whose body size the
 * caller has checked against its container; every property, and its value's
 * body, must lie within the object (a hostile size must not make run() read
 * past the host's buffer). False if one does not. */
static bool object_get(const Heist *self, const LV2_Atom_Object *obj, const LV2_Atom **property,
                       const LV2_Atom **value)
{
	if (obj->atom.size < sizeof(LV2_Atom_Object_Body)) {
		return false;
	}
	const uint8_t *at = (const uint8_t *)(obj + 1);
	const uint8_t *end = (const uint8_t *)&obj->body + obj->atom.size;
	while (at < end) {
		if ((size_t)(end - at) < sizeof(LV2_Atom_Property_Body)) {
			return false;
		}
		const LV2_Atom_Property_Body *prop = (const LV2_Atom_Property_Body *)at;
		const uint8_t *body = at + sizeof(LV2_Atom_Property_Body);
		if (prop->value.size > (size_t)(end - body)) {
			return false;
		}
		if (prop->key == self->uris.patch_property) {
			*property = &prop->value;
		} else if (prop->key == self->uris.patch_value) {
			*value = &prop->value;
		}
		at = body + lv2_atom_pad_size(prop->value.size);
	}
	return true;
}

/* [audio] One event from the control port; its body lies within the
 * sequence (handle_messages() checked it). */
static void handle_event(Heist *self, const LV2_Atom *atom)
{
	const heist_uris *u = &self->uris;
	if (!lv2_atom_forge_is_object_type(&self->forge, atom->type)) {
		return;
	}
	const LV2_Atom_Object *obj = (const LV2_Atom_Object *)atom;
	const LV2_Atom *property = NULL;
	const LV2_Atom *value = NULL;
	if (!object_get(self, obj, &property, &value)) {
		return;
	}
	const bool about_model = property && property->type == u->atom_URID &&
	                         ((const LV2_Atom_URID *)property)->body == u->heist_model;
	if (obj->body.otype == u->patch_Set && about_model && value) {
		request_load(self, value);
	} else if (obj->body.otype == u->patch_Get && (!property || about_model)) {
		self->notify_model = true;
		self->notify_status = true;
	}
}

/* [audio] patch:Set heist:model <current path> on the notify port. */
static void notify_model_path(Heist *self)
{
	const heist_uris *u = &self->uris;
	const heist_slot *slot = atomic_load_explicit(&self->current, memory_order_relaxed);
	LV2_Atom_Forge *forge = &self->forge;
	LV2_Atom_Forge_Frame frame;
	if (!lv2_atom_forge_frame_time(forge, 0) ||
	    !lv2_atom_forge_object(forge, &frame, 0, u->patch_Set)) {
		return; /* the notify buffer is full */
	}
	lv2_atom_forge_key(forge, u->patch_property);
	lv2_atom_forge_urid(forge, u->heist_model);
	lv2_atom_forge_key(forge, u->patch_value);
	lv2_atom_forge_path(forge, slot->path, (uint32_t)strlen(slot->path));
	lv2_atom_forge_pop(forge, &frame);
}

/* [audio] patch:Set heist:status <the last load's outcome> on the notify
 * port: a UI shows why a model was refused (the host's log is often out of
 * sight). */
static void notify_status(Heist *self)
{
	const heist_uris *u = &self->uris;
	LV2_Atom_Forge *forge = &self->forge;
	LV2_Atom_Forge_Frame frame;
	if (!lv2_atom_forge_frame_time(forge, 0) ||
	    !lv2_atom_forge_object(forge, &frame, 0, u->patch_Set)) {
		return; /* the notify buffer is full */
	}
	lv2_atom_forge_key(forge, u->patch_property);
	lv2_atom_forge_urid(forge, u->heist_status);
	lv2_atom_forge_key(forge, u->patch_value);
	lv2_atom_forge_string(forge, self->status, (uint32_t)strlen(self->status));
	lv2_atom_forge_pop(forge, &frame);
}

/* [audio] Messages in, requests out, notifications. */
static void handle_messages(Heist *self)
{
	LV2_Atom_Forge_Frame notify_frame;
	bool notifying = false;
	if (self->notify) {
		/* On input the notify atom's size is the buffer's capacity. */
		const uint32_t capacity = self->notify->atom.size;
		lv2_atom_forge_set_buffer(&self->forge, (uint8_t *)self->notify, capacity);
		notifying = lv2_atom_forge_sequence_head(&self->forge, &notify_frame, 0) != 0;
	}

	if (self->control && self->control->atom.type == self->uris.atom_Sequence &&
	    self->control->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
		/* Each event's body is checked against the sequence's size. Event
		 * headers are copied out, not dereferenced (as Heist Synth does):
		 * jalv 1.6.6 hands events 4 bytes off their 8-byte alignment, where
		 * an LV2_Atom_Event read is undefined (UBSan). The atom inside needs
		 * only 4-byte alignment (uint32_t fields), which such events keep. */
		const uint8_t *end =
		    (const uint8_t *)&self->control->body + self->control->atom.size;
		const uint8_t *at = (const uint8_t *)(&self->control->body + 1);
		while ((size_t)(end - at) >= sizeof(LV2_Atom_Event)) {
			LV2_Atom head;
			memcpy(&head, at + offsetof(LV2_Atom_Event, body), sizeof head);
			const uint8_t *body = at + sizeof(LV2_Atom_Event);
			if (head.size > (size_t)(end - body)) {
				break;
			}
			if (((uintptr_t)at & (_Alignof(LV2_Atom) - 1)) == 0) {
				handle_event(
				    self, (const LV2_Atom *)(at + offsetof(LV2_Atom_Event, body)));
			}
			at = body + lv2_atom_pad_size(head.size);
		}
	}
	flush_requests(self);
	flush_garbage(self);

	if (notifying) {
		if (self->notify_model) {
			notify_model_path(self);
		}
		if (self->notify_status) {
			notify_status(self);
		}
		lv2_atom_forge_pop(&self->forge, &notify_frame);
	}
	self->notify_model = false;
	self->notify_status = false;
}

/* [audio] Every control input, read once, clamped (an unconnected port or a
 * non-finite value gives the default), indexed by heist_param. */
static void read_controls(const Heist *self, float c[HEIST_PARAM_COUNT])
{
	c[HEIST_PARAM_PITCH_SHIFT] = control_value(self->pitch_shift, HEIST_PARAM_PITCH_SHIFT);
	c[HEIST_PARAM_LOUDNESS_SHIFT] =
	    control_value(self->loudness_shift, HEIST_PARAM_LOUDNESS_SHIFT);
	c[HEIST_PARAM_HARMONIC_LEVEL] =
	    control_value(self->harmonic_level, HEIST_PARAM_HARMONIC_LEVEL);
	c[HEIST_PARAM_NOISE_LEVEL] = control_value(self->noise_level, HEIST_PARAM_NOISE_LEVEL);
	c[HEIST_PARAM_CONFIDENCE_GATE] =
	    control_value(self->confidence_gate, HEIST_PARAM_CONFIDENCE_GATE);
	c[HEIST_PARAM_DRY_WET] = control_value(self->dry_wet, HEIST_PARAM_DRY_WET);
	c[HEIST_PARAM_OUTPUT_GAIN] = control_value(self->output_gain, HEIST_PARAM_OUTPUT_GAIN);
	c[HEIST_PARAM_ENABLED] = toggle_value(self->enabled, HEIST_PARAM_ENABLED);
	/* lv2:integer: rounded here; the engine clamps to the model's styles. */
	c[HEIST_PARAM_STYLE_A] = rintf(control_value(self->style_a, HEIST_PARAM_STYLE_A));
	c[HEIST_PARAM_STYLE_B] = rintf(control_value(self->style_b, HEIST_PARAM_STYLE_B));
	c[HEIST_PARAM_MORPH] = control_value(self->morph, HEIST_PARAM_MORPH);
	c[HEIST_PARAM_LOWEST_PITCH] = control_value(self->lowest_pitch, HEIST_PARAM_LOWEST_PITCH);
	c[HEIST_PARAM_AUTO_OCTAVE] = toggle_value(self->auto_octave, HEIST_PARAM_AUTO_OCTAVE);
	c[HEIST_PARAM_LOUDNESS_FIT] = control_value(self->loudness_fit, HEIST_PARAM_LOUDNESS_FIT);
	c[HEIST_PARAM_INPUT_GATE] = control_value(self->input_gate, HEIST_PARAM_INPUT_GATE);
	c[HEIST_PARAM_LEVEL_MATCH] = toggle_value(self->level_match, HEIST_PARAM_LEVEL_MATCH);
}

/* [audio] Flush denormals to zero for this call only: returns the host's
 * floating-point mode, which ftz_end() restores. */
static unsigned int ftz_begin(void)
{
#ifdef __SSE__
	const unsigned int saved_csr = _mm_getcsr();
	_mm_setcsr(saved_csr | HEIST_MXCSR_FTZ | HEIST_MXCSR_DAZ);
	return saved_csr;
#else
	return 0;
#endif
}

static void ftz_end(unsigned int saved_csr)
{
#ifdef __SSE__
	_mm_setcsr(saved_csr);
#else
	(void)saved_csr;
#endif
}

/* [audio] Every parameter but the lowest pitch, in the enum's order: that
 * one moves the latency (follow_latency()). */
static void set_engine_params(heist_engine *e, const float c[HEIST_PARAM_COUNT])
{
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		if (p != HEIST_PARAM_LOWEST_PITCH) {
			heist_engine_set_param(e, (heist_param)p, c[p]);
		}
	}
}

/* [audio] The lowest pitch and the MIDI lookahead, which move the latency;
 * opens MIDI out, where a change of the latency ends the sounding note.
 *
 * A change of lowest_pitch moves the engine's latency inside
 * heist_engine_process() (a fade and a restart in place: the engine's clock
 * goes on, and so do MIDI out's tracker and clock); only before any output
 * does it apply here, restarting the engine's clock at 0. The latency port is
 * written after processing: the new stream's latency from the block where it
 * starts. Here a change of the latency (the lookahead's, or the floor's
 * before any output) ends MIDI out's note; its clock restarts only with the
 * engine's. */
static void follow_latency(Heist *self, float lowest_pitch, uint32_t n_samples)
{
	heist_engine *e = self->engine;
	const uint32_t engine_latency_before = heist_engine_latency(e);
	const uint32_t latency_before = total_latency(self);
	heist_engine_set_param(e, HEIST_PARAM_LOWEST_PITCH, lowest_pitch);
	midi_begin(self);
	delay_update(self);
	if (total_latency(self) != latency_before) {
		/* everything pending, and the off, at the block's start */
		heist_notes_all_off(&self->notes, (double)self->midi_pos - latency_before);
		midi_emit(self, INFINITY, n_samples);
		heist_notes_reset(&self->notes);
		if (heist_engine_latency(e) != engine_latency_before) {
			/* the engine restarted, and its frames' clock with it; a
			 * lookahead change alone leaves both running */
			self->midi_pos = 0;
		}
	}
}

/* [audio] MIDI out's note settings (the tracker takes NAN as its default). */
static void follow_midi_controls(Heist *self)
{
	heist_notes_set(&self->notes, self->midi_min_note ? *self->midi_min_note * 0.001f : NAN,
	                self->midi_hysteresis ? *self->midi_hysteresis : NAN,
	                self->midi_bend_range ? *self->midi_bend_range : NAN);
}

/* [audio] The engine, then the lookahead's delay. in and out may be the same
 * buffer: the engine supports aliasing, so the TTL does not declare
 * lv2:inPlaceBroken. */
static void process_audio(Heist *self, uint32_t n_samples)
{
	if (self->in && self->out) {
		heist_engine_process(self->engine, self->in, self->out, n_samples);
		delay_run(self, self->out, n_samples);
	} else if (self->out) {
		/* No input: silence, never what the buffer held before. */
		memset(self->out, 0, sizeof(float) * n_samples);
	}
}

/* [audio] The block's MIDI out: the tracker's events due by the block's
 * end, less the latency; then the sequence is closed. */
static void midi_out_block(Heist *self, uint32_t n_samples)
{
	if (self->in && self->out) {
		midi_emit(self, (double)(self->midi_pos + n_samples) - total_latency(self),
		          n_samples);
		self->midi_pos += n_samples;
	}
	midi_end(self);
}

/* [audio] The output's meter, and both level ports. */
static void write_levels(Heist *self, float in_db, uint32_t n_samples)
{
	const float out_db = heist_level_meter_run(&self->out_meter, self->out, n_samples);
	if (self->input_level) {
		*self->input_level = in_db;
	}
	if (self->output_level) {
		*self->output_level = out_db;
	}
}

/* [audio] The engine's monitor and the latency on their output ports;
 * returns the monitor. */
static heist_monitor write_monitor(Heist *self)
{
	const heist_monitor mon = heist_engine_monitor(self->engine);
	if (self->pitch_out) {
		*self->pitch_out = mon.pitch_hz;
	}
	if (self->confidence_out) {
		*self->confidence_out = mon.confidence;
	}
	if (self->loudness_out) {
		*self->loudness_out = mon.loudness_db;
	}
	if (self->latency) {
		*self->latency = (float)total_latency(self);
	}
	if (self->below_range) {
		*self->below_range = mon.below_range ? 1.0f : 0.0f;
	}
	if (self->out_pitch) {
		*self->out_pitch = mon.out_pitch_hz;
	}
	if (self->gate_open) {
		*self->gate_open = mon.gate_open ? 1.0f : 0.0f;
	}
	return mon;
}

/* [audio] One block, stage by stage. */
static void run(LV2_Handle instance, uint32_t n_samples)
{
	Heist *self = (Heist *)instance;
	float c[HEIST_PARAM_COUNT];
	read_controls(self, c);
	handle_messages(self);
	const unsigned int saved_csr = ftz_begin();

	set_engine_params(self->engine, c);
	follow_latency(self, c[HEIST_PARAM_LOWEST_PITCH], n_samples);
	follow_midi_controls(self);

	/* Metered before processing: out may alias in. */
	const float in_db = heist_level_meter_run(&self->in_meter, self->in, n_samples);
	process_audio(self, n_samples);
	midi_out_block(self, n_samples);
	write_levels(self, in_db, n_samples);
	const heist_monitor mon = write_monitor(self);
	heist_idisp_update(self->idisp, n_samples, mon.pitch_hz, mon.confidence,
	                   c[HEIST_PARAM_MORPH], (int)c[HEIST_PARAM_STYLE_A],
	                   (int)c[HEIST_PARAM_STYLE_B]);

	ftz_end(saved_csr);
}

/* [main] */
static void deactivate(LV2_Handle instance)
{
	(void)instance;
}

/* [worker] Load a model, free old slots, or report. Errors are logged here,
 * never on the audio thread. */
static LV2_Worker_Status work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
	Heist *self = (Heist *)instance;
	uint32_t type = 0;
	if (size < sizeof(type)) {
		return LV2_WORKER_ERR_UNKNOWN;
	}
	memcpy(&type, data, sizeof(type));

	if (type == HEIST_WORK_FREE && size == sizeof(heist_work_free)) {
		heist_work_free msg;
		memcpy(&msg, data, sizeof(msg));
		pthread_mutex_lock(&self->free_lock);
		slot_free_list(self, msg.list);
		pthread_mutex_unlock(&self->free_lock);
		return LV2_WORKER_SUCCESS;
	}
	if (type == HEIST_WORK_RING && size == sizeof(heist_work_free)) {
		/* run() asks once; the check keeps a repeated request harmless */
		if (!atomic_load_explicit(&self->delay_made, memory_order_acquire)) {
			float *ring = delay_ring_new(self->delay_cap);
			if (!ring) {
				lv2_log_error(&self->logger, "heist: out of memory for the MIDI "
				                             "lookahead; it stays off\n");
				return LV2_WORKER_ERR_UNKNOWN;
			}
			atomic_store_explicit(&self->delay_made, ring, memory_order_release);
		}
		return LV2_WORKER_SUCCESS;
	}
	if (type == HEIST_WORK_TOO_LONG && size == sizeof(heist_work_free)) {
		lv2_log_error(&self->logger,
		              "heist: model path longer than %u bytes; keeping the current model\n",
		              HEIST_PATH_MAX - 1);
		return LV2_WORKER_SUCCESS;
	}
	if (type != HEIST_WORK_LOAD || size != sizeof(heist_work_load)) {
		return LV2_WORKER_ERR_UNKNOWN;
	}

	heist_work_load req; /* copied: the host's buffer need not be aligned */
	memcpy(&req, data, sizeof(req));
	req.path[sizeof(req.path) - 1] = '\0';
	const char *path = req.path;
	char shown[256]; /* for the log: no control characters */
	heist_text_sanitize(shown, sizeof(shown), path);
	char err[512] = "";
	heist_work_response res = {HEIST_WORK_READY, req.generation, NULL, ""};
	res.slot = slot_load(self, path, err, sizeof(err));
	if (!res.slot) {
		char reason[sizeof(err) + 64]; /* cut to the status size below */
		snprintf(reason, sizeof(reason), "cannot load the model: %s", err[0] ? err : shown);
		heist_text_sanitize(res.status, sizeof(res.status), reason);
		lv2_log_error(&self->logger,
		              "heist: cannot load the model: %s; keeping the current one\n",
		              err[0] ? err : shown);
		res.type = HEIST_WORK_FAILED;
	} else {
		lv2_log_note(&self->logger, "heist: loaded model '%s' from %s\n",
		             res.slot->model->name, shown);
	}
	if (respond(handle, sizeof(res), &res) != LV2_WORKER_SUCCESS) {
		lv2_log_error(&self->logger, "heist: the host refused the worker response for %s\n",
		              shown);
		slot_free(self, res.slot);
		return LV2_WORKER_ERR_NO_SPACE;
	}
	return LV2_WORKER_SUCCESS;
}

/* [audio] Install a loaded model, unless restore() made it stale. Either way
 * announce the model now playing, so a UI that asked sees the outcome. */
static LV2_Worker_Status work_response(LV2_Handle instance, uint32_t size, const void *data)
{
	Heist *self = (Heist *)instance;
	if (size != sizeof(heist_work_response)) {
		return LV2_WORKER_ERR_UNKNOWN;
	}
	heist_work_response res;
	memcpy(&res, data, sizeof(res));
	res.status[sizeof(res.status) - 1] = '\0';
	if (res.generation == self->generation) {
		memcpy(self->status, res.status, sizeof(self->status));
		self->notify_status = true;
	}
	if (res.type == HEIST_WORK_READY && res.slot) {
		if (res.generation == self->generation) {
			install_slot(self, res.slot);
		} else {
			res.slot->next = self->garbage;
			self->garbage = res.slot;
		}
	}
	self->notify_model = true;
	return LV2_WORKER_SUCCESS;
}

/* [save] Store the custom model's path, mapped with the host's mapPath so
 * that it survives the session moving; nothing for the shipped model. May run
 * concurrently with run() and work(): free_lock keeps the slot alive. */
static LV2_State_Status save(LV2_Handle instance, LV2_State_Store_Function store,
                             LV2_State_Handle handle, uint32_t flags,
                             const LV2_Feature *const *features)
{
	(void)flags;
	Heist *self = (Heist *)instance;
	pthread_mutex_lock(&self->free_lock);
	const heist_slot *slot = atomic_load_explicit(&self->current, memory_order_acquire);
	char *path = slot->model ? strdup(slot->path) : NULL;
	const bool custom = slot->model != NULL;
	pthread_mutex_unlock(&self->free_lock);
	if (!custom) {
		return LV2_STATE_SUCCESS;
	}
	if (!path) {
		return LV2_STATE_ERR_UNKNOWN;
	}

	const LV2_State_Map_Path *map_path = feature_data(features, LV2_STATE__mapPath);
	const LV2_State_Free_Path *free_path = feature_data(features, LV2_STATE__freePath);
	char *stored = map_path ? map_path->abstract_path(map_path->handle, path) : path;
	LV2_State_Status st = LV2_STATE_ERR_UNKNOWN;
	if (stored) {
		st = store(handle, self->uris.heist_model, stored, strlen(stored) + 1,
		           self->uris.atom_Path, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
	}
	if (map_path && stored) {
		if (free_path) {
			free_path->free_path(free_path->handle, stored);
		} else {
			free(stored);
		}
	}
	free(path);
	return st;
}

/* [main] The stored model path as a NUL-terminated copy (malloc'ed), or NULL
 * with the reason in why. Hosts differ in the size they hand back: lilv
 * counts the terminating NUL, Carla does not; both are accepted. A NUL
 * before the last byte means the value is not one path. */
static char *stored_path_copy(const Heist *self, const void *value, size_t size, uint32_t type,
                              const char **why)
{
	if (type != self->uris.atom_Path) {
		*why = "it is not an atom:Path";
		return NULL;
	}
	if (size == 0 || (size == 1 && !*(const char *)value)) {
		*why = "the stored path is empty";
		return NULL;
	}
	const size_t len = strnlen(value, size);
	if (len + 1 < size) {
		*why = "the stored path holds a NUL byte";
		return NULL;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		*why = "out of memory";
		return NULL;
	}
	memcpy(copy, value, len);
	copy[len] = '\0';
	return copy;
}

/* [main] The restored model, or the shipped one when the state names a file
 * that cannot be used: every such case is logged as a warning, with the path
 * (control characters shown as '?'). NULL only when out of memory. */
static heist_slot *restored_slot(Heist *self, LV2_State_Retrieve_Function retrieve,
                                 LV2_State_Handle handle, const LV2_Feature *const *features)
{
	size_t size = 0;
	uint32_t type = 0;
	uint32_t vflags = 0;
	const void *value = retrieve(handle, self->uris.heist_model, &size, &type, &vflags);
	if (!value) {
		return slot_new(self, NULL, self->shipped_path);
	}
	const char *why = NULL;
	char *stored = stored_path_copy(self, value, size, type, &why);
	if (!stored) {
		lv2_log_warning(&self->logger,
		                "heist: cannot restore the model: %s (%zu bytes); playing the "
		                "shipped model instead\n",
		                why, size);
		snprintf(self->status, sizeof(self->status),
		         "cannot restore the model: %s; playing the shipped model", why);
		return slot_new(self, NULL, self->shipped_path);
	}

	const LV2_State_Map_Path *map_path = feature_data(features, LV2_STATE__mapPath);
	const LV2_State_Free_Path *free_path = feature_data(features, LV2_STATE__freePath);
	char *path = map_path ? map_path->absolute_path(map_path->handle, stored) : NULL;
	const char *use = map_path ? path : stored;
	heist_slot *slot = NULL;
	char err[512] = "";
	if (use) {
		slot = slot_load(self, use, err, sizeof(err));
	} else {
		char shown[256];
		snprintf(err, sizeof(err), "the host cannot map the stored path %s",
		         heist_text_sanitize(shown, sizeof(shown), stored));
	}
	if (!slot) {
		lv2_log_warning(&self->logger,
		                "heist: cannot restore the model (%s); playing the shipped "
		                "model instead\n",
		                err[0] ? err : "unknown error");
		char reason[sizeof(err) + 64]; /* cut to the status size below */
		snprintf(reason, sizeof(reason),
		         "cannot restore the model (%s); playing the shipped "
		         "model",
		         err[0] ? err : "unknown error");
		heist_text_sanitize(self->status, sizeof(self->status), reason);
	}
	if (path) {
		if (free_path) {
			free_path->free_path(free_path->handle, path);
		} else {
			free(path);
		}
	}
	free(stored);
	return slot ? slot : slot_new(self, NULL, self->shipped_path);
}

/* [main] Not concurrent with any other call on this instance: the swap and
 * the frees happen here directly. Requests and responses still in the
 * host's worker from before are made stale by the generation. */
static LV2_State_Status restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                LV2_State_Handle handle, uint32_t flags,
                                const LV2_Feature *const *features)
{
	(void)flags;
	Heist *self = (Heist *)instance;
	++self->generation;
	self->load_pending = false;
	self->notify_model = true;
	self->notify_status = true;
	self->status[0] = '\0'; /* restored_slot() says why, if it falls back */
	size_t size = 0;
	uint32_t type = 0;
	uint32_t vflags = 0;
	const heist_slot *current = atomic_load_explicit(&self->current, memory_order_relaxed);
	if (!current->model && !retrieve(handle, self->uris.heist_model, &size, &type, &vflags)) {
		/* The shipped model stays: a preset (no model in it) changes the
		 * controls without resetting the network, so it plays on without a
		 * discontinuity. */
		return LV2_STATE_SUCCESS;
	}
	heist_slot *slot = restored_slot(self, retrieve, handle, features);
	if (!slot) {
		lv2_log_error(&self->logger, "heist: out of memory restoring the model\n");
		return LV2_STATE_ERR_UNKNOWN;
	}
	install_slot(self, slot);
	slot_free_list(self, self->garbage);
	self->garbage = NULL;
	return LV2_STATE_SUCCESS;
}

/* [gui] Ardour's inline display render callback (non-real-time). */
static LV2_Inline_Display_Image_Surface *render_inline(LV2_Handle instance, uint32_t w,
                                                       uint32_t max_h)
{
	Heist *self = (Heist *)instance;
	return heist_idisp_render(self->idisp, w, max_h);
}

/* [any] */
static const void *extension_data(const char *uri)
{
	static const LV2_Worker_Interface worker = {work, work_response, NULL};
	static const LV2_State_Interface state = {save, restore};
	static const LV2_Inline_Display_Interface inline_display = {render_inline};
	if (!strcmp(uri, HEIST_IDISP__interface)) {
		return &inline_display;
	}
	if (!strcmp(uri, LV2_WORKER__interface)) {
		return &worker;
	}
	if (!strcmp(uri, LV2_STATE__interface)) {
		return &state;
	}
	return NULL;
}

static const LV2_Descriptor descriptor = {
    HEIST_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

/* [any] */
LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
	/* 1: Heist Synth, the bundle's instrument (heist_synth_lv2.c) */
	return index == 0 ? &descriptor : index == 1 ? heist_synth_descriptor() : NULL;
}
