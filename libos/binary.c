/*
 * "binary" mode: the image holds no application, only the library OS, a
 * root filesystem and a manifest naming a Linux program in it.
 * uk_binary_main is the image's main() (ukbuild oci links it so).
 */
#include <uk/print.h>

int uk_binary_main(int argc, char **argv, char **envp)
{
	(void)envp;
	uk_pr("%s: running Linux programs (binary mode) is not implemented yet",
	      argc ? argv[0] : "?");
	return 126;
}
