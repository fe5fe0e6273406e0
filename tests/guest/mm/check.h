/* The mm suite's checks: each prints a line when it fails. */
#ifndef MM_CHECK_H
#define MM_CHECK_H

#include "../check_count.h"

void file_tests(void);
void rules_tests(void);

#endif
