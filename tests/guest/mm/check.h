/* The mm suite's checks: each prints its verdict (check.h). */
#ifndef MM_CHECK_H
#define MM_CHECK_H

#include "../check.h"

void file_tests(void);
void rules_tests(void);

#endif
