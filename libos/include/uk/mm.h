/* Guest physical memory and the program break. */
#ifndef UK_MM_H
#define UK_MM_H

#include <stddef.h>
#include <stdint.h>

void uk_mm_init(void);

/* Boot-time allocation of physically contiguous, zeroed memory (physmap
 * address), never freed. NULL when memory is exhausted. */
void *uk_palloc(size_t size, size_t align);

/* Bytes of RAM and bytes still free for the heap. */
uint64_t uk_mm_total(void);
uint64_t uk_mm_free(void);

/* brk(2): the heap region. */
uintptr_t uk_brk_start(void);
uintptr_t uk_brk_set(uintptr_t want);

#endif
