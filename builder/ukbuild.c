/*
 * ukbuild: C sources, an OCI image or a root filesystem -> one bootable
 * uk image; FAT data disks; inspection. This file only dispatches: link.c,
 * oci*.c, disk*.c and inspect.c are the commands, image_link.c the one
 * way an image is linked.
 */
#include <stdio.h>
#include <string.h>

#include "ukbuild.h"

static const char usage[] =
    "usage: ukbuild [-o IMAGE] [OPTIONS] FILE.c... [-- CFLAGS/LDFLAGS...]\n"
    "       ukbuild oci SOURCE -o IMAGE [OPTIONS]   (ukbuild oci --help)\n"
    "       ukbuild disk create|ls|get|put ...       (ukbuild disk --help)\n"
    "       ukbuild inspect [--symbols] IMAGE\n"
    "\n"
    "Compile C files with newlib and the uk library OS into one bootable image\n"
    "(PVH ELF: ukrun IMAGE, or qemu-system-x86_64 -M microvm -kernel IMAGE).\n"
    "\n"
    "  -o, --output IMAGE   the image to write (default: first file's name + .img)\n"
    "  -e, --env K=V        default environment variable (repeatable)\n"
    "      --cmd ARG        default argument (repeatable; ukrun IMAGE ARGS replaces them)\n"
    "      --name NAME      argv[0] of the program (default: the image's base name)\n"
    "  -m, --mem SIZE       default guest memory (ukrun -m overrides)\n"
    "      --rootfs DIR     the image's root filesystem: DIR's files, directories,\n"
    "                       modes and symlinks (a RAM filesystem at / when it runs)\n"
    "      --add HOST:GUEST also put file or directory HOST at GUEST (repeatable)\n"
    "  -w, --workdir DIR    the directory the program starts in (made when missing)\n"
    "      --volume PATH    declare a volume point (repeatable): ukrun -v HOSTDIR\n"
    "                       without a guest path shares HOSTDIR there\n"
    "  -v, --verbose        print the compiler and linker commands\n"
    "  -h, --help           this text\n"
    "\n"
    "Everything after -- goes to the compiler and linker unchanged; with -g the\n"
    "image keeps its debug information and full ELF symbol table (otherwise only\n"
    "function names, for ukrun's crash reports).\n";

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "inspect"))
		return ukb_cmd_inspect(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "oci"))
		return ukb_cmd_oci(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "disk"))
		return ukb_cmd_disk(argc - 1, argv + 1);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? UKB_EXIT_ERROR : 0;
	}
	return ukb_cmd_link(argc, argv);
}
