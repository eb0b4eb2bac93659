/* The failure counter of CHECK (see check.h). */
#include "check.h"

int check_failures;

int check_exit(const char *name)
{
	if (check_failures) {
		printf("%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}
