/* Reading and writing audio files for the command-line tools (libsndfile). */
#ifndef HEIST_AUDIO_IO_H
#define HEIST_AUDIO_IO_H

#include <stddef.h>

typedef struct {
	float *samples; /* mono */
	size_t frames;
	double sample_rate;
	int channels; /* of the file, before mixing to mono */
} heist_audio;

/* [main] Read any file libsndfile reads, mixed to mono (with a message on
 * stderr when the file had several channels). Returns 0 on success; on failure
 * prints a message naming the file and returns -1. */
int heist_audio_read(const char *path, heist_audio *audio, int quiet);

/* [main] Write mono float WAV (32-bit float). Returns 0 on success. */
int heist_audio_write(const char *path, const float *samples, size_t frames, double sample_rate);

void heist_audio_free(heist_audio *audio);

#endif
