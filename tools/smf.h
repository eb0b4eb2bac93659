/* Standard MIDI File reader for heist-render --midi: formats 0 and 1 (all
 * tracks merged), tempo changes, SMPTE time division, running status; sysex
 * and meta events other than tempo are skipped. Bounds-checked throughout:
 * a corrupt file gives an error message, never a crash. [main] */
#ifndef HEIST_SMF_H
#define HEIST_SMF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	double seconds; /* from the start of the file */
	uint8_t msg[3]; /* a complete channel message */
	uint8_t size;   /* 2 or 3 */
} heist_smf_event;

typedef struct {
	heist_smf_event *events; /* in time order (file order at equal times) */
	size_t n_events;
	double length; /* seconds: the latest event or end-of-track */
	uint32_t format, n_tracks;
} heist_smf;

/* [main] Parse a file already in memory; 0 on success, else -1 with the
 * reason in err. */
int heist_smf_parse(const uint8_t *data, size_t size, heist_smf *out, char *err, size_t err_size);

/* [main] Read and parse a file; errors name it. */
int heist_smf_read(const char *path, heist_smf *out, char *err, size_t err_size);

/* [main] NULL-safe. */
void heist_smf_free(heist_smf *smf);

#endif
