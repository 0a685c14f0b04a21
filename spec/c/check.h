/*
 * check.h: the few helpers the C tests share.
 */
#ifndef LODE_SPEC_CHECK_H
#define LODE_SPEC_CHECK_H

#include "lode.h"

#include <lauxlib.h>
#include <stdio.h>

static int failures = 0, checks = 0;

#define CHECK(cond)                                                     \
  do {                                                                  \
    checks++;                                                           \
    if (!(cond)) {                                                      \
      failures++;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                   \
  } while (0)

/* Reads a global number after a run. */
static double global_number(lode_runtime *rt, const char *name) {
  lua_State *L = lode_state(rt);
  double v;
  lua_getglobal(L, name);
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Prints the tally and gives main's return value. */
static int check_report(void) {
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}

#endif
