/* The vDSO: not yet; programs use the system calls for time. */
#include <stdint.h>

uint64_t uk_vdso_map(void) { return 0; }
