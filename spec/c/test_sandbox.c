/*
 * test_sandbox.c: a sandboxed runtime refuses every escape that
 * sandbox_escapes.lua tries, with a clear error, and goes on running; a
 * sandboxed mod that loops forever or allocates without end is cut short
 * while the host's other callbacks go on.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(data, 1, len, f);
  return fclose(f);
}

static int collect(lua_State *L, const void *p, size_t sz, void *ud) {
  (void)L;
  lua_pushlstring((lua_State *)ud, (const char *)p, sz);
  return 0;
}

static int errors_seen = 0;
static void on_error(lode_runtime *rt, const char *tb) {
  (void)rt;
  (void)tb;
  errors_seen++;
}

static void set_string(lode_runtime *rt, const char *name, const char *value) {
  lua_pushstring(lode_state(rt), value);
  lua_setglobal(lode_state(rt), name);
}

static void test_escapes(void) {
  char base[] = "/tmp/lode-sandbox-XXXXXX", allowed[256], path[300];
  const char *paths[2];
  const char *modules[] = {"events", "timers", "buffer", "path", NULL};
  lode_options o;
  lode_runtime *rt;
  lua_State *T;
  size_t len;
  const char *bc;
  CHECK(mkdtemp(base) != NULL);
  snprintf(allowed, sizeof allowed, "%s/allowed", base);
  CHECK(mkdir(allowed, 0700) == 0);
  snprintf(path, sizeof path, "%s/ok.lua", allowed);
  CHECK(write_file(path, "return { ok = true }", 20) == 0);
  snprintf(path, sizeof path, "%s/outside.lua", base);
  CHECK(write_file(path, "return { ok = true }", 20) == 0);
  /* A bytecode file inside the allowed folder. */
  T = luaL_newstate();
  luaL_loadstring(T, "return { ok = true }");
  lua_dump(T, collect, T);
  lua_concat(T, lua_gettop(T) - 1);
  bc = lua_tolstring(T, -1, &len);
  snprintf(path, sizeof path, "%s/bytecode.lua", allowed);
  CHECK(write_file(path, bc, len) == 0);
  lua_close(T);

  lode_options_init(&o);
  o.sandbox = 1;
  paths[0] = allowed;
  paths[1] = NULL;
  o.sandbox_paths = paths;
  o.allowed_modules = modules;
  rt = lode_new(&o);
  CHECK(rt != NULL);
  set_string(rt, "ALLOWED", allowed);
  snprintf(path, sizeof path, "%s/outside.lua", base);
  set_string(rt, "OUTSIDE", path);
  CHECK(lode_run_file(rt, "sandbox_escapes.lua") == LODE_OK);
  if (lode_error(rt)) fprintf(stderr, "%s\n", lode_error(rt));
  lua_getglobal(lode_state(rt), "problemList");
  if (global_number(rt, "problemCount") != 0)
    fprintf(stderr, "escapes not refused:\n%s\n", lua_tostring(lode_state(rt), -1));
  lua_pop(lode_state(rt), 1);
  CHECK(global_number(rt, "tried") > 60);
  CHECK(global_number(rt, "problemCount") == 0);
  /* Bytecode given by the host is refused too. */
  CHECK(lode_run_buffer(rt, "\033LJ\002\000", 5, "bc") == LODE_ERROR);
  CHECK(lode_error(rt) && strstr(lode_error(rt), "bytecode is not allowed") != NULL);
  lode_free(rt);

  snprintf(path, sizeof path, "rm -rf '%s'", base);
  CHECK(system(path) == 0);
}

/* A mod that hangs or eats memory is cut short; the host's own work in the
 * same runtime goes on, and so does the host. */
static void test_bad_mod(void) {
  const char *allowed[] = {"events", "timers", NULL};
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.sandbox = 1;
  o.allowed_modules = allowed;
  o.heap_limit = 16u << 20;
  o.callback_budget_ms = 30;
  o.on_error = on_error;
  rt = lode_new(&o);
  CHECK(lode_run_string(rt,
    "beats = 0\n"
    "local iv = setInterval(function() beats = beats + 1 end, 2)\n"
    "setTimeout(function() while true do end end, 1)\n"
    "setTimeout(function() local t = {} while true do t[#t + 1] = {} end end, 3)\n"
    "setTimeout(function() local s = 'x' while true do s = s .. s end end, 5)\n"
    "setTimeout(function() clearInterval(iv) end, 150)\n", "mod") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(errors_seen == 3);
  CHECK(global_number(rt, "beats") > 5);
  CHECK(lode_close(rt) == 0);
  lode_free(rt);
}

int main(void) {
  test_escapes();
  test_bad_mod();
  return check_report();
}
