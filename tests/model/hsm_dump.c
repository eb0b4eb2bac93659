/* Writes a random-weight .hsm file with the test writer (hsm_writer.h), for
 * hsm_writer_export.py, which checks it byte for byte against
 * train/export.py's writer.
 *
 * Usage: hsm_dump OUT.hsm STYLES EMBED GRU DENSE HARMONICS NOISE SEED [half]
 *                 [profile BANDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_writer.h"

int main(int argc, char **argv)
{
	int half = 0;
	uint32_t bands = 0;
	for (int i = 9; i < argc; ++i) {
		if (!strcmp(argv[i], "half")) {
			half = 1;
		} else if (!strcmp(argv[i], "profile") && i + 1 < argc) {
			bands = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else {
			argc = 0;
		}
	}
	if (argc < 9) {
		fprintf(stderr, "usage: hsm_dump OUT.hsm STYLES EMBED GRU DENSE HARMONICS NOISE "
		                "SEED [half] [profile BANDS]\n");
		return 2;
	}
	uint32_t v[7];
	for (int i = 0; i < 7; ++i) {
		v[i] = (uint32_t)strtoul(argv[2 + i], NULL, 10);
	}
	const hsm_dims d = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
	size_t size = 0;
	uint8_t *p = hsm_write_random(&d, &size);
	if (!p) {
		fprintf(stderr, "hsm_dump: out of memory\n");
		return 1;
	}
	if (half) {
		hsm_round_half(p, &d);
	}
	if (bands) {
		uint8_t *q = hsm_add_profile(p, &size, d.n_styles, bands);
		free(p);
		p = q;
		if (!p) {
			fprintf(stderr, "hsm_dump: out of memory\n");
			return 1;
		}
	}
	FILE *f = fopen(argv[1], "wb");
	const int ok = f && fwrite(p, 1, size, f) == size;
	if (f && fclose(f)) {
		fprintf(stderr, "hsm_dump: cannot write %s\n", argv[1]);
		free(p);
		return 1;
	}
	free(p);
	if (!ok) {
		fprintf(stderr, "hsm_dump: cannot write %s\n", argv[1]);
		return 1;
	}
	return 0;
}
