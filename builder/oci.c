/* ukbuild oci: OCI images. */
#include "ukbuild.h"

int ukb_cmd_oci(int argc, char **argv)
{
	(void)argc, (void)argv;
	ukb_err("oci: not implemented yet");
	return UKB_EXIT_ERROR;
}
