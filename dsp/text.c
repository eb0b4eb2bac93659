/* See text.h. */
#include "text.h"

#include <stdint.h>

/* [any] Bytes of the control character starting at p (0: none): C0, DEL, or
 * a C1 control in UTF-8 (C2 80..C2 9F). A lone byte 0x80..0x9F is kept: it
 * is not a C1 control in a UTF-8 terminal, and 8-bit ones are not used. */
static size_t control_len(const unsigned char *p)
{
	if (p[0] < 0x20u || p[0] == 0x7Fu) {
		return 1;
	}
	if (p[0] == 0xC2u && p[1] >= 0x80u && p[1] <= 0x9Fu) {
		return 2;
	}
	return 0;
}

char *heist_text_sanitize(char *out, size_t out_size, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0;
	while (*p && o + 1 < out_size) {
		const size_t n = control_len(p);
		out[o++] = n ? '?' : (char)*p;
		p += n ? n : 1;
	}
	out[o] = '\0';
	return out;
}

int heist_text_is_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
		if (control_len(p)) {
			return 0;
		}
	}
	return 1;
}
