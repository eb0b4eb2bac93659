#include "audio_io.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int heist_audio_read(const char *path, heist_audio *audio, int quiet)
{
	memset(audio, 0, sizeof(*audio));
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f) {
		fprintf(stderr, "error: cannot read '%s': %s\n", path, sf_strerror(NULL));
		return -1;
	}
	if (info.channels < 1 || info.frames < 0 || info.samplerate < 1) {
		fprintf(stderr, "error: '%s': no audio in the file\n", path);
		sf_close(f);
		return -1;
	}
	const size_t frames = (size_t)info.frames, ch = (size_t)info.channels;
	float *inter = malloc((frames ? frames : 1) * ch * sizeof(float));
	float *mono = malloc((frames ? frames : 1) * sizeof(float));
	if (!inter || !mono) {
		fprintf(stderr, "error: '%s': out of memory (%zu frames)\n", path, frames);
		free(inter);
		free(mono);
		sf_close(f);
		return -1;
	}
	const sf_count_t got = sf_readf_float(f, inter, (sf_count_t)frames);
	sf_close(f);
	if (got < 0 || (size_t)got != frames) {
		fprintf(stderr, "error: '%s': read %lld of %zu frames\n", path, (long long)got,
		        frames);
		free(inter);
		free(mono);
		return -1;
	}
	for (size_t i = 0; i < frames; ++i) {
		double sum = 0.0;
		for (size_t c = 0; c < ch; ++c) {
			sum += inter[i * ch + c];
		}
		mono[i] = (float)(sum / (double)ch);
	}
	free(inter);
	if (ch > 1 && !quiet) {
		fprintf(stderr, "note: '%s' has %zu channels; mixed to mono\n", path, ch);
	}
	audio->samples = mono;
	audio->frames = frames;
	audio->sample_rate = info.samplerate;
	audio->channels = (int)ch;
	return 0;
}

int heist_audio_write(const char *path, const float *samples, size_t frames, double sample_rate)
{
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	info.samplerate = (int)sample_rate;
	info.channels = 1;
	info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path, sf_strerror(NULL));
		return -1;
	}
	const sf_count_t put = sf_writef_float(f, samples, (sf_count_t)frames);
	const int close_err = sf_close(f);
	if (put != (sf_count_t)frames || close_err) {
		fprintf(stderr, "error: writing '%s' failed (disk full?)\n", path);
		return -1;
	}
	return 0;
}

void heist_audio_free(heist_audio *audio)
{
	free(audio->samples);
	memset(audio, 0, sizeof(*audio));
}
