/* ukbuild disk: FAT disks. */
#include "ukbuild.h"

int ukb_cmd_disk(int argc, char **argv)
{
	(void)argc, (void)argv;
	ukb_err("disk: not implemented yet");
	return UKB_EXIT_ERROR;
}
