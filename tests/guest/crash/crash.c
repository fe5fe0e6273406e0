/* Crashes the way its argument says: null, div, ud, stack. */
#include <stdio.h>
#include <string.h>

static volatile int zero;

__attribute__((noinline)) static int deref(int *p) { return *p; }

__attribute__((noinline)) static int divide(int a) { return a / zero; }

__attribute__((noinline)) static int recurse(volatile int n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";

	printf("crashing: %s\n", how);
	fflush(stdout);
	if (!strcmp(how, "null"))
		return deref((int *)(volatile unsigned long)0);
	if (!strcmp(how, "div"))
		return divide(7);
	if (!strcmp(how, "ud"))
		__builtin_trap();
	if (!strcmp(how, "stack"))
		return recurse(0);
	printf("unknown crash '%s'\n", how);
	return 1;
}
