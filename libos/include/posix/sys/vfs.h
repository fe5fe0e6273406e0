/* <sys/vfs.h> is <sys/statfs.h> on Linux. */
#include <sys/statfs.h>
