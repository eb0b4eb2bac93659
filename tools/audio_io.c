#include "audio_io.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Output formats by file name extension: float where the container holds
 * it, 24-bit FLAC, Vorbis/Opus in Ogg and MP3 where libsndfile has them. */
typedef struct {
	const char *ext;
	int format;
} out_format;

static const out_format out_formats[] = {
    {"wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT},           {"w64", SF_FORMAT_W64 | SF_FORMAT_FLOAT},
    {"aif", SF_FORMAT_AIFF | SF_FORMAT_FLOAT},          {"aiff", SF_FORMAT_AIFF | SF_FORMAT_FLOAT},
    {"caf", SF_FORMAT_CAF | SF_FORMAT_FLOAT},           {"au", SF_FORMAT_AU | SF_FORMAT_FLOAT},
    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24},        {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {"oga", SF_FORMAT_OGG | SF_FORMAT_VORBIS},          {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
#ifdef HEIST_SNDFILE_MPEG /* libsndfile >= 1.1 (tools/meson.build) */
    {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
#endif
};

int heist_audio_format_for(const char *path, double sample_rate, int *format, char *err,
                           size_t err_size)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	const char *ext = dot && dot[1] ? dot + 1 : "";
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	info.samplerate = (int)sample_rate;
	info.channels = 1;
	for (size_t i = 0; i < sizeof(out_formats) / sizeof(out_formats[0]); ++i) {
		if (strcasecmp(ext, out_formats[i].ext)) {
			continue;
		}
		info.format = out_formats[i].format;
		if (!sf_format_check(&info)) {
			snprintf(err, err_size,
			         "this libsndfile cannot write .%s at %d Hz (write .wav or .flac)",
			         ext, info.samplerate);
			return -1;
		}
		*format = info.format;
		return 0;
	}
	size_t used = (size_t)snprintf(err, err_size,
	                               "unknown output format '%s%s' (by the file name; one of:",
	                               *ext ? "." : "", *ext ? ext : "no extension");
	for (size_t i = 0; i < sizeof(out_formats) / sizeof(out_formats[0]) && used < err_size;
	     ++i) {
		used += (size_t)snprintf(err + used, err_size - used, " .%s", out_formats[i].ext);
	}
	if (used < err_size) {
		snprintf(err + used, err_size - used, ")");
	}
	return -1;
}

int heist_audio_write(const char *path, const float *samples, size_t frames, double sample_rate)
{
	char err[512];
	int format = 0;
	if (heist_audio_format_for(path, sample_rate, &format, err, sizeof(err))) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path, err);
		return -1;
	}
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	info.samplerate = (int)sample_rate;
	info.channels = 1;
	info.format = format;
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path, sf_strerror(NULL));
		return -1;
	}
	/* No PEAK chunk: libsndfile stamps it with the wall-clock time, so two
	 * renders of the same input would differ in bytes, not only in samples. */
	sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	/* Integer and lossy formats clip at full scale instead of wrapping. */
	sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
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
