/* The effect's MIDI out as a latency-compensating host records it: runs the
 * real plugin (lilv, build tree) over an audio file and prints every MIDI
 * event of its midi_out port as "time_s status data1 data2", the time being
 * the event's output frame minus the reported latency, in seconds. Its
 * worker runs after each block (the midi_lookahead's ring is made there: the
 * lookahead applies from the second block).
 * Usage: midi_out_host IN.wav [SYMBOL=VALUE ...]  (blocks of 256 frames) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/util.h>
#include <lv2/midi/midi.h>

#include "audio_io.h"
#include "lv2_host.h"
#include "ports.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: midi_out_host IN.wav [SYMBOL=VALUE ...]\n");
		return 2;
	}
	heist_audio audio;
	if (heist_audio_read(argv[1], &audio, 1)) {
		return 1;
	}
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	lv2_host *h = plugin ? lv2h_new(world, plugin, audio.sample_rate) : NULL;
	if (!h) {
		return 1;
	}
	for (int i = 2; i < argc; ++i) {
		char sym[64];
		float v;
		if (sscanf(argv[i], "%63[^=]=%f", sym, &v) != 2 || !lv2h_control(h, sym)) {
			fprintf(stderr, "bad control '%s'\n", argv[i]);
			return 2;
		}
		*lv2h_control(h, sym) = v;
	}
	const LV2_URID midi = lv2h_map(h)->map(NULL, LV2_MIDI__MidiEvent);
	float out[256];
	const size_t total = audio.frames + 48000; /* a tail: the last note's off */
	float *in = calloc(total, sizeof(float));
	memcpy(in, audio.samples, audio.frames * sizeof(float));
	for (size_t done = 0; done < total; done += 256) {
		const uint32_t n = total - done < 256 ? (uint32_t)(total - done) : 256;
		lv2h_run(h, in + done, out, n);
		lv2h_work(h); /* the worker between blocks, as jalv's thread would */
		const float lat = *lv2h_control_at(h, HEIST_PORT_LATENCY);
		const LV2_Atom_Sequence *seq = lv2h_sequence(h, HEIST_PORT_MIDI_OUT);
		LV2_ATOM_SEQUENCE_FOREACH(seq, ev)
		{
			const uint8_t *m = LV2_ATOM_BODY_CONST(&ev->body);
			if (ev->body.type == midi && ev->body.size == 3) {
				printf("%.6f %d %d %d\n",
				       ((double)done + (double)ev->time.frames - lat) /
				           audio.sample_rate,
				       m[0], m[1], m[2]);
			}
		}
	}
	free(in);
	lv2h_free(h);
	lilv_world_free(world);
	heist_audio_free(&audio);
	return 0;
}
