/* The first uk application: a greeting, its arguments and one variable. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *who = getenv("GREETING");

	printf("Hello from uk!\n");
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	printf("GREETING = %s\n", who ? who : "(unset)");
	return 0;
}
