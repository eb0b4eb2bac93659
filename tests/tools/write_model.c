/* Writes test models for test_tools.py and tests/ui: write_model OUT.hsm
 * [evil|one]. "evil": the model and style names carry terminal escape
 * sequences (a colour, a window title, a screen clear) and a newline. "one":
 * a single style, called "kazoo". "speq": with a spectral correction (section
 * SPEQ, tests/model/hsm_writer.h) of 6 centres and 2 pitch anchors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_writer.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: write_model OUT.hsm [evil|one|speq]\n");
		return 2;
	}
	const int one = argc > 2 && !strcmp(argv[2], "one");
	const hsm_dims d = {one ? 1 : 2, 8, 32, 32, 40, 33, 5};
	size_t size = 0;
	uint8_t *data = hsm_write_random(&d, &size);
	if (argc > 2 && !strcmp(argv[2], "evil")) {
		static const char name[] = "\x1b[31mred\x1b]0;title\x07";
		static const char style[] = "st\x1b[2J\nyle";
		memcpy(data + 68, name, sizeof name);
		memcpy(data + 132, style, sizeof style);
		hsm_fix_crc(data, size);
	} else if (one) {
		memset(data + 132, 0, 48);
		memcpy(data + 132, "kazoo", 5);
		hsm_fix_crc(data, size);
	}
	if (argc > 2 && !strcmp(argv[2], "speq")) {
		uint8_t *q = hsm_add_speq(data, &size, d.n_styles, 6, 2);
		free(data);
		data = q;
		if (!data) {
			return 1;
		}
	}
	FILE *f = fopen(argv[1], "wb");
	const int ok = f && fwrite(data, 1, size, f) == size;
	if (f) {
		fclose(f);
	}
	free(data);
	return ok ? 0 : 1;
}
