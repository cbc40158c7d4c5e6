/*
 * places.h - whether a place glibc hands a block out from is glibc's own
 * (places.c): the registry of glibc's blocks (registry.h) asks it for a
 * place where no block began before, to tell a poisoned free list.
 */
#ifndef SLZ_PLACES_H
#define SLZ_PLACES_H

#include <stddef.h>

/* places_setup: at set-up, before glibc's first block: where its main heap
 * begins, and whether the environment lowered its mmap threshold. */
void places_setup(void);
/* places_glibc: p, served by glibc for a request of n bytes (its alignment
 * added), lies where glibc's blocks can. The program's image and stack are
 * the caller's to rule out. */
int places_glibc(const void *p, size_t n);

#endif
