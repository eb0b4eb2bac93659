/* Atom input sequences 4 bytes off their 8-byte alignment, as jalv 1.6.6
 * hands them (its lv2_evbuf puts the sequence after three uint32_t fields),
 * into both plugins of the bundle through lilv: the effect's control port
 * (patch:Get answered on notify, patch:Set of a model scheduled, a body that
 * claims more than the sequence ignored) and its notify and MIDI outputs
 * written at 4 mod 8; Heist Synth's MIDI input giving bit for bit what the
 * same events give aligned. Under UBSan (the sanitizer build halts on any
 * report) an LV2_Atom_Event read in place fails this test.
 * Usage: test_lilv_misaligned MODEL.hsm */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "check.h"
#include "lv2_host.h"
#include "ports.h"
#include "synth_ports.h"

#define MIDI_EVENT "http://lv2plug.in/ns/ext/midi#MidiEvent"
#define FS 48000.0
#define CAPACITY 8192u
#define BLOCK 256u

/* 8-byte aligned storage; a port is given its bytes from offset 4 on. */
typedef struct {
	uint64_t words[CAPACITY / 8 + 2];
} store;

static LV2_Atom_Sequence *at4(store *s)
{
	return (LV2_Atom_Sequence *)((uint8_t *)s->words + 4);
}

/* The host's (aligned) input sequence of port, copied to 4 mod 8 and
 * connected there. */
static void connect_shifted_input(lv2_host *h, uint32_t port, store *s)
{
	const LV2_Atom_Sequence *seq = lv2h_sequence(h, port);
	memcpy(at4(s), seq, sizeof(LV2_Atom) + seq->atom.size);
	lilv_instance_connect_port(lv2h_instance(h), port, at4(s));
}

/* An output sequence at 4 mod 8 with the whole buffer as its capacity. */
static void connect_shifted_output(lv2_host *h, uint32_t port, store *s, LV2_URID chunk)
{
	at4(s)->atom.type = chunk;
	at4(s)->atom.size = CAPACITY - sizeof(LV2_Atom) - 8;
	lilv_instance_connect_port(lv2h_instance(h), port, at4(s));
}

/* Events in an output sequence at 4 mod 8, headers read by copy (a reader
 * of such a buffer must not dereference them either); -1 if malformed. */
static int count_events(const LV2_Atom_Sequence *seq, LV2_URID type, LV2_URID want)
{
	if (seq->atom.type != type || seq->atom.size < sizeof(LV2_Atom_Sequence_Body)) {
		return -1;
	}
	const uint8_t *at = (const uint8_t *)(&seq->body + 1);
	const uint8_t *end = (const uint8_t *)&seq->body + seq->atom.size;
	int n = 0;
	while (at < end) {
		LV2_Atom head;
		if ((size_t)(end - at) < sizeof(LV2_Atom_Event)) {
			return -1;
		}
		memcpy(&head, at + 8, sizeof head);
		if (head.size > (size_t)(end - at) - sizeof(LV2_Atom_Event)) {
			return -1;
		}
		n += head.type == want;
		at += sizeof(LV2_Atom_Event) + lv2_atom_pad_size(head.size);
	}
	return n;
}

static void test_effect(LilvWorld *world, const char *model_path)
{
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found", HEIST_URI);
	lv2_host *h = plugin ? lv2h_new(world, plugin, FS) : NULL;
	CHECK(h, "instantiate the effect");
	if (!h) {
		return;
	}
	LV2_URID_Map *map = lv2h_map(h);
	const LV2_URID seq_type = map->map(map->handle, LV2_ATOM__Sequence);
	const LV2_URID chunk = map->map(map->handle, LV2_ATOM__Chunk);
	const LV2_URID object = map->map(map->handle, LV2_ATOM__Object);
	static store in, notify, midi;
	static float audio_in[BLOCK], audio_out[BLOCK];
	for (uint32_t i = 0; i < BLOCK; ++i) {
		audio_in[i] = 0.3f * (float)((i * 7u) % 64u) / 64.0f - 0.15f;
	}

	/* patch:Get of the model: answered with a patch:Set on notify. */
	CHECK(lv2h_patch_get(h, HEIST_MODEL_URI), "patch:Get into the control port");
	connect_shifted_input(h, HEIST_PORT_CONTROL, &in);
	connect_shifted_output(h, HEIST_PORT_NOTIFY, &notify, chunk);
	connect_shifted_output(h, HEIST_PORT_MIDI_OUT, &midi, chunk);
	lv2h_run(h, audio_in, audio_out, BLOCK);
	const int answers = count_events(at4(&notify), seq_type, object);
	CHECK(answers >= 1, "patch:Get at 4 mod 8: %d answers on notify", answers);
	CHECK(count_events(at4(&midi), seq_type, 0) >= 0, "MIDI out at 4 mod 8 is a sequence");

	/* patch:Set of a model: a load is scheduled. */
	const uint32_t before = lv2h_work_scheduled(h);
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, model_path), "patch:Set");
	connect_shifted_input(h, HEIST_PORT_CONTROL, &in);
	connect_shifted_output(h, HEIST_PORT_NOTIFY, &notify, chunk);
	connect_shifted_output(h, HEIST_PORT_MIDI_OUT, &midi, chunk);
	lv2h_run(h, audio_in, audio_out, BLOCK);
	CHECK(lv2h_work_scheduled(h) == before + 1, "patch:Set at 4 mod 8: %u loads scheduled",
	      lv2h_work_scheduled(h) - before);
	lv2h_work(h);

	/* The same event whose body claims more than the sequence holds: not
	 * read past the sequence (ASan), nothing scheduled. */
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, model_path), "patch:Set");
	connect_shifted_input(h, HEIST_PORT_CONTROL, &in);
	LV2_Atom head;
	uint8_t *ev = (uint8_t *)(&at4(&in)->body + 1);
	memcpy(&head, ev + 8, sizeof head);
	head.size += 4096;
	memcpy(ev + 8, &head, sizeof head);
	connect_shifted_output(h, HEIST_PORT_NOTIFY, &notify, chunk);
	connect_shifted_output(h, HEIST_PORT_MIDI_OUT, &midi, chunk);
	const uint32_t before_bad = lv2h_work_scheduled(h);
	lv2h_run(h, audio_in, audio_out, BLOCK);
	CHECK(lv2h_work_scheduled(h) == before_bad, "an oversized event at 4 mod 8 was acted on");
	printf("effect: control, notify and MIDI out at 4 mod 8: ok\n");
	lv2h_free(h);
}

/* Notes, bend, controllers, sysex and a truncated message at frames inside
 * and across blocks. */
typedef struct {
	uint32_t t;
	uint8_t m[3];
	uint32_t size;
} ev_t;

static const ev_t score[] = {
    {3, {0x90, 64, 100}, 3},       {700, {0xE0, 0, 90}, 3},   {1200, {0xB0, 1, 80}, 3},
    {1201, {0xF0, 0x7E, 0xF7}, 3}, {2000, {0x90, 67, 60}, 3}, {2001, {0x80, 64, 0}, 3},
    {3000, {0x90, 69, 20}, 1},     {5000, {0x80, 67, 0}, 3},  {6000, {0x90, 60, 127}, 3},
    {9000, {0xB0, 123, 0}, 3},
};
#define N_SCORE (sizeof(score) / sizeof(score[0]))
#define N_BLOCKS 48u

static float *render_synth(LilvWorld *world, const LilvPlugin *plugin, bool shifted)
{
	lv2_host *h = lv2h_new(world, plugin, FS);
	float *out = calloc(BLOCK * N_BLOCKS, sizeof(float));
	static store in;
	size_t j = 0;
	for (uint32_t b = 0; h && out && b < N_BLOCKS; ++b) {
		while (j < N_SCORE && score[j].t < (b + 1) * BLOCK) {
			lv2h_append_event(h, score[j].t - b * BLOCK, MIDI_EVENT, score[j].m,
			                  score[j].size);
			++j;
		}
		if (shifted) {
			connect_shifted_input(h, HEIST_SYNTH_PORT_MIDI_IN, &in);
		}
		lv2h_run(h, NULL, out + b * BLOCK, BLOCK);
	}
	if (!h) {
		free(out);
		out = NULL;
	}
	lv2h_free(h);
	return out;
}

static void test_synth(LilvWorld *world)
{
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_SYNTH_URI);
	CHECK(plugin, "<%s> not found", HEIST_SYNTH_URI);
	if (!plugin) {
		return;
	}
	float *aligned = render_synth(world, plugin, false);
	float *shifted = render_synth(world, plugin, true);
	CHECK(aligned && shifted, "instantiate the synth");
	if (aligned && shifted) {
		double peak = 0.0;
		size_t diff = 0;
		for (size_t i = 0; i < BLOCK * N_BLOCKS; ++i) {
			diff += memcmp(&aligned[i], &shifted[i], sizeof(float)) != 0;
			peak = aligned[i] > peak ? aligned[i] : peak;
		}
		/* Same events, same engine: the buffer's address must not matter. */
		CHECK(diff == 0, "synth: %zu samples differ between aligned and 4 mod 8 MIDI",
		      diff);
		CHECK(peak > 1e-3, "synth: the notes did not sound (peak %g)", peak);
		printf("synth: MIDI at 4 mod 8 renders bit-identical (peak %.3f)\n", peak);
	}
	free(aligned);
	free(shifted);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s MODEL.hsm\n", argv[0]);
		return 2;
	}
	LilvWorld *world = lv2h_world_new();
	test_effect(world, argv[1]);
	test_synth(world);
	lilv_world_free(world);
	return check_exit("lilv_misaligned");
}
