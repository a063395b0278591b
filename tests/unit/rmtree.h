/*
 * rmtree.h: removing a test's scratch directory and all below it.
 */
#ifndef SOFTETHER_TEST_RMTREE_H
#define SOFTETHER_TEST_RMTREE_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int
rmtree_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
rmtree(const char *dir)
{
	nftw(dir, rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
