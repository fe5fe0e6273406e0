/* 64 MiB of malloc/free churn with content checks, then ENOMEM handled. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static uint32_t rng = 12345;
static uint32_t next(void) { return rng = rng * 1103515245 + 12345; }

int main(void)
{
	static unsigned char *p[SLOTS];
	static size_t len[SLOTS];
	uint64_t total = 0;
	int errors = 0;

	while (total < (64ull << 20)) {
		int i = next() % SLOTS;
		if (p[i]) {
			for (size_t k = 0; k < len[i]; k += 97)
				if (p[i][k] != (unsigned char)(i + k))
					errors++;
			free(p[i]);
			p[i] = NULL;
			continue;
		}
		len[i] = 1 + next() % (next() % 8 ? 4096 : 256 * 1024);
		if (!(p[i] = malloc(len[i]))) {
			printf("malloc(%zu) failed after %llu bytes\n", len[i],
			       (unsigned long long)total);
			return 1;
		}
		for (size_t k = 0; k < len[i]; k++)
			p[i][k] = (unsigned char)(i + k);
		total += len[i];
	}
	for (int i = 0; i < SLOTS; i++)
		free(p[i]);
	/* Running out of memory is an error value, not a crash. */
	void *huge = malloc((size_t)1 << 40);
	printf("churned %llu MiB, %d corrupt bytes, malloc(1 TiB) %s\n",
	       (unsigned long long)(total >> 20), errors, huge ? "succeeded?!" : "= NULL");
	return errors || huge ? 1 : 0;
}
