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

/* [main] The libsndfile format for writing path, by its extension (.wav,
 * .w64, .aif(f), .caf, .au: 32-bit float; .flac: 24-bit; .ogg/.oga: Vorbis;
 * .opus; .mp3 where libsndfile has an encoder). Returns 0, or -1 with the
 * reason in err: an unknown extension is refused, never written as WAV. */
int heist_audio_format_for(const char *path, double sample_rate, int *format, char *err,
                           size_t err_size);

/* [main] Write mono audio in the format heist_audio_format_for() picks,
 * clipped at full scale where the format is not float. Returns 0 on
 * success. */
int heist_audio_write(const char *path, const float *samples, size_t frames, double sample_rate);

void heist_audio_free(heist_audio *audio);

#endif
