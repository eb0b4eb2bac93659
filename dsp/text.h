/* Text from files and hosts made safe to print: model names, style names and
 * paths may hold control characters and terminal escape sequences, which
 * must never reach a terminal or split a log line. */
#ifndef HEIST_TEXT_H
#define HEIST_TEXT_H

#include <stddef.h>

/* [any] Copy in to out (out_size > 0; truncated, always NUL-terminated) with
 * every C0 control byte, DEL and UTF-8 C1 control (U+0080..U+009F) replaced
 * by '?'. in == out is allowed. Returns out. No allocation: usable anywhere. */
char *heist_text_sanitize(char *out, size_t out_size, const char *in);

/* [any] Whether heist_text_sanitize() would change s. */
int heist_text_is_clean(const char *s);

#endif
