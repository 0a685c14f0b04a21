/*
 * mod_host.c: a host running a mod it does not trust (mod.lua) in a
 * sandbox with a heap limit and a callback budget. The mod's escapes are
 * refused, its endless loop and its endless allocation are cut short, and
 * the host, and the mod's well-behaved callbacks, go on.
 */
#include "lode.h"

#include <stdio.h>
#include <string.h>

static int errors = 0;

static void on_output(lode_runtime *rt, int fd, const char *p, size_t len) {
  (void)rt;
  fwrite(p, 1, len, fd == 2 ? stderr : stdout);
}

static void on_error(lode_runtime *rt, const char *tb) {
  const char *nl = strchr(tb, '\n');
  (void)rt;
  errors++;
  printf("mod error: %.*s\n", nl ? (int)(nl - tb) : (int)strlen(tb), tb);
}

int main(int argc, char **argv) {
  const char *allowed[] = {"events", "timers", NULL};
  lode_options o;
  lode_runtime *rt;
  int st;
  lode_options_init(&o);
  o.sandbox = 1;
  o.allowed_modules = allowed;
  o.heap_limit = 32u << 20;
  o.callback_budget_ms = 50;
  o.on_output = on_output;
  o.on_error = on_error;
  rt = lode_new(&o);
  if (!rt) return 1;
  st = lode_run_file(rt, argc > 1 ? argv[1] : "mod.lua");
  if (st == LODE_OK) st = lode_run(rt);
  lode_close(rt);
  lode_free(rt);
  printf("host: mod done (%s), %d errors survived\n", st == LODE_OK ? "ok" : "failed", errors);
  return st == LODE_OK && errors == 3 ? 0 : 1;
}
