/*
 * test_embed.c: the embedding API's contract: LODE_EMISUSE for every
 * misuse, output and errors handed to the host, modules from memory and
 * from the host's loader, posts and stops from other threads, the loop's
 * backend for a host's own poll, the heap limit and the callback budget.
 */
#include "check.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What on_output and on_error received. */
typedef struct captured {
  char out[8192];
  char err[8192];
  int errors;
  char last_error[2048];
} captured;

static void append(char *dst, size_t cap, const char *p, size_t len) {
  size_t n = strlen(dst);
  if (n + len >= cap) len = cap - n - 1;
  memcpy(dst + n, p, len);
  dst[n + len] = '\0';
}

static void on_output(lode_runtime *rt, int fd, const char *p, size_t len) {
  captured *c = (captured *)lode_userdata(rt);
  if (fd == 1) append(c->out, sizeof c->out, p, len);
  else append(c->err, sizeof c->err, p, len);
}

static void on_error(lode_runtime *rt, const char *tb) {
  captured *c = (captured *)lode_userdata(rt);
  c->errors++;
  c->last_error[0] = '\0';
  append(c->last_error, sizeof c->last_error, tb, strlen(tb));
}

static lode_runtime *new_captured(captured *c, lode_options *o) {
  lode_options d;
  if (!o) {
    lode_options_init(&d);
    o = &d;
  }
  memset(c, 0, sizeof *c);
  o->on_output = on_output;
  o->userdata = c;
  return lode_new(o);
}

static int open_nothing(lua_State *L) {
  lua_newtable(L);
  return 1;
}

static void dummy_post(lode_runtime *rt, void *data) {
  (void)rt;
  (void)data;
}

static void test_misuse_null_and_closed(void) {
  lode_runtime *rt;
  CHECK(lode_run_file(NULL, "x.lua") == LODE_EMISUSE);
  CHECK(lode_run_string(NULL, "x = 1", "t") == LODE_EMISUSE);
  CHECK(lode_run_buffer(NULL, "x = 1", 5, "t") == LODE_EMISUSE);
  CHECK(lode_run(NULL) == LODE_EMISUSE);
  CHECK(lode_step(NULL, UV_RUN_NOWAIT) == LODE_EMISUSE);
  CHECK(lode_preload(NULL, "m", open_nothing) == LODE_EMISUSE);
  CHECK(lode_preload_source(NULL, "m", "", 0) == LODE_EMISUSE);
  CHECK(lode_set_loader(NULL, NULL, NULL) == LODE_EMISUSE);
  CHECK(lode_post(NULL, dummy_post, NULL) == LODE_EMISUSE);
  CHECK(lode_stop(NULL) == LODE_EMISUSE);
  CHECK(lode_alive(NULL) == LODE_EMISUSE);
  CHECK(lode_backend_fd(NULL) == -1);
  CHECK(lode_backend_timeout(NULL) == -1);
  CHECK(lode_userdata(NULL) == NULL);
  CHECK(lode_state(NULL) == NULL);
  CHECK(lode_error(NULL) == NULL);

  rt = lode_new(NULL);
  CHECK(lode_run_string(rt, NULL, "t") == LODE_EMISUSE);
  CHECK(lode_post(rt, NULL, NULL) == LODE_EMISUSE);
  CHECK(lode_preload(rt, "m", open_nothing) == 0);
  CHECK(lode_preload(rt, "m", open_nothing) == LODE_EMISUSE);
  CHECK(lode_preload_source(rt, "m", "return 1", 8) == LODE_EMISUSE);
  CHECK(lode_preload_source(rt, "s", "return 1", 8) == 0);
  CHECK(lode_preload_source(rt, "s", "return 2", 8) == LODE_EMISUSE);
  CHECK(lode_preload(rt, "s", open_nothing) == LODE_EMISUSE);
  CHECK(lode_close(rt) == 0);
  CHECK(lode_run_file(rt, "x.lua") == LODE_EMISUSE);
  CHECK(lode_run_buffer(rt, "x = 1", 5, "t") == LODE_EMISUSE);
  CHECK(lode_run(rt) == LODE_EMISUSE);
  CHECK(lode_step(rt, UV_RUN_NOWAIT) == LODE_EMISUSE);
  CHECK(lode_preload(rt, "n", open_nothing) == LODE_EMISUSE);
  CHECK(lode_preload_source(rt, "n", "", 0) == LODE_EMISUSE);
  CHECK(lode_set_loader(rt, NULL, NULL) == LODE_EMISUSE);
  CHECK(lode_post(rt, dummy_post, NULL) == LODE_EMISUSE);
  CHECK(lode_stop(rt) == LODE_EMISUSE);
  CHECK(lode_alive(rt) == LODE_EMISUSE);
  CHECK(lode_backend_fd(rt) == -1);
  lode_free(rt);
}

/* A host function that tries to re-enter the loop from inside a callback:
 * returns what each call gave. */
static int l_reenter(lua_State *L) {
  lode_runtime *rt = lode_from_state(L);
  lua_createtable(L, 5, 0);
  lua_pushinteger(L, lode_run(rt));
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, lode_step(rt, UV_RUN_NOWAIT));
  lua_rawseti(L, -2, 2);
  lua_pushinteger(L, lode_run_string(rt, "x = 1", "inner"));
  lua_rawseti(L, -2, 3);
  lua_pushinteger(L, lode_close(rt));
  lua_rawseti(L, -2, 4);
  lode_free(rt); /* does nothing from inside */
  lua_pushinteger(L, lode_alive(rt) >= 0);
  lua_rawseti(L, -2, 5);
  return 1;
}

static int open_reenter(lua_State *L) {
  lua_pushcfunction(L, l_reenter);
  return 1;
}

static int post_step_result = 99;
static void post_reenter(lode_runtime *rt, void *data) {
  (void)data;
  post_step_result = lode_step(rt, UV_RUN_NOWAIT);
}

static void test_misuse_reentry(void) {
  lode_runtime *rt = lode_new(NULL);
  CHECK(lode_preload(rt, "reenter", open_reenter) == 0);
  CHECK(lode_run_string(rt,
    "local r = require('reenter')\n"
    "setTimeout(function() local t = r(); a, b, c, d, e = t[1], t[2], t[3], t[4], t[5] end, 1)\n",
    "t") == LODE_OK);
  CHECK(lode_post(rt, post_reenter, NULL) == 0);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(global_number(rt, "a") == LODE_EMISUSE);
  CHECK(global_number(rt, "b") == LODE_EMISUSE);
  CHECK(global_number(rt, "c") == LODE_EMISUSE);
  CHECK(global_number(rt, "d") == LODE_EMISUSE);
  CHECK(global_number(rt, "e") == 1);
  CHECK(post_step_result == LODE_EMISUSE);
  lode_free(rt);
}

static void test_output(void) {
  captured c;
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.print_errors = 1;
  rt = new_captured(&c, &o);
  CHECK(lode_run_string(rt,
    "print('a', 1)\n"
    "console.log('b %d', 2)\n"
    "process.stdout:write('c')\n"
    "console.error('d')\n"
    "process.stderr:write('e')\n"
    "setTimeout(function() error('boom') end, 1)\n", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_ERROR);
  CHECK(strcmp(c.out, "a\t1\nb 2\nc") == 0);
  CHECK(strncmp(c.err, "d\ne", 3) == 0);
  CHECK(strstr(c.err, "boom") != NULL && strstr(c.err, "stack traceback") != NULL);
  lode_free(rt);
}

/* Without own_stdio, stdout and stderr are Writables that reach the host
 * and stdin is an empty stream that ends at once: fd 0 is never read. */
static void test_stdio_streams(void) {
  captured c;
  lode_runtime *rt = new_captured(&c, NULL);
  CHECK(lode_run_string(rt,
    "local s = process.stdin\n"
    "print(process.stdout.isTTY, process.stdout.fd, process.stdout.writable, s.isTTY)\n"
    "s:on('data', function(d) print('data', d) end)\n"
    "s:on('end', function()\n"
    "  print('end')\n"
    "  process.stdout:write('w', function(e) print('cb', e) end)\n"
    "  process.stderr:write(Buffer.from('x'))\n"
    "end)\n", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(strcmp(c.out, "false\t1\ttrue\tfalse\nend\nwcb\tnil\n") == 0);
  CHECK(strcmp(c.err, "x") == 0);
  lode_free(rt);
}

static void test_on_error(void) {
  captured c;
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.on_error = on_error;
  rt = new_captured(&c, &o);
  /* Each uncaught error goes to the host, and the runtime goes on; one a
   * listener takes does not. */
  CHECK(lode_run_string(rt,
    "n = 0\n"
    "setTimeout(function() error('first') end, 1)\n"
    "setTimeout(function() error('second') end, 2)\n"
    "setTimeout(function() n = n + 1 end, 5)\n", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(c.errors == 2);
  CHECK(strstr(c.last_error, "second") != NULL);
  CHECK(global_number(rt, "n") == 1);
  CHECK(c.err[0] == '\0'); /* print_errors is off */
  CHECK(lode_close(rt) == 0);
  lode_free(rt);
}

static void test_userdata(void) {
  int x;
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.userdata = &x;
  rt = lode_new(&o);
  CHECK(lode_userdata(rt) == &x);
  lode_free(rt);
}

static int write_chunk(lua_State *L, const void *p, size_t sz, void *ud) {
  (void)L;
  lua_pushlstring((lua_State *)ud, (const char *)p, sz);
  return 0;
}

static void test_run_buffer(void) {
  lode_runtime *rt = lode_new(NULL);
  lua_State *L = lode_state(rt);
  const char *code = "v = 1 + 2\0ignored";
  lua_State *T;
  size_t len;
  const char *bc;
  CHECK(lode_run_buffer(rt, code, 9, "buf") == LODE_OK);
  CHECK(global_number(rt, "v") == 3);
  /* LuaJIT bytecode, made by lua_dump, runs outside a sandbox. */
  T = luaL_newstate();
  luaL_loadstring(T, "w = 40 + 2");
  lua_dump(T, write_chunk, L);
  lua_close(T);
  lua_concat(L, lua_gettop(L));
  bc = lua_tolstring(L, -1, &len);
  CHECK(len > 0 && bc[0] == '\033');
  CHECK(lode_run_buffer(rt, bc, len, "bc") == LODE_OK);
  lua_settop(L, 0);
  CHECK(global_number(rt, "w") == 42);
  CHECK(lode_run_buffer(rt, "syntax error here", 17, "bad") == LODE_ERROR);
  CHECK(strstr(lode_error(rt), "bad") != NULL);
  lode_free(rt);
}

static int loader_calls = 0;
static const char *host_loader(void *ud, const char *name, size_t *len) {
  const char *src = NULL;
  loader_calls++;
  CHECK(ud == &loader_calls);
  if (strcmp(name, "vfs/answer") == 0) src = "return { answer = 41 + (loaded or 0) }";
  else if (strcmp(name, "vfs/mod") == 0) src = "exports.name = 'mod'; exports.file = __filename";
  if (src) *len = strlen(src);
  return src;
}

static void test_modules_from_memory(void) {
  static const char pack[] =
    "local M = {}\n"
    "function M.twice(x) return 2 * x end\n"
    "M.sawRequire = type(require) == 'table' and type(module) == 'table'\n"
    "return M\n";
  lode_runtime *rt = lode_new(NULL);
  CHECK(lode_preload_source(rt, "pack.util", pack, sizeof pack - 1) == 0);
  CHECK(lode_set_loader(rt, host_loader, &loader_calls) == 0);
  CHECK(lode_run_string(rt,
    "local u = require('pack.util')\n"
    "t = u.twice(21); saw = u.sawRequire and 1 or 0\n"
    "same = require('pack.util') == u and 1 or 0\n"
    "cached = require.cache['pack.util'] ~= nil and 1 or 0\n"
    "a1 = require('vfs/answer').answer\n"
    "loaded = 1; a2 = require('vfs/answer').answer\n"
    "require.cache['vfs/answer'] = nil\n"
    "a3 = require('vfs/answer').answer\n"
    "mod = require('vfs/mod').file == 'vfs/mod' and 1 or 0\n"
    "local ok, e = pcall(require, 'vfs/none')\n"
    "missing = (not ok and e.code == 'MODULE_NOT_FOUND') and 1 or 0\n", "t") == LODE_OK);
  CHECK(global_number(rt, "t") == 42);
  CHECK(global_number(rt, "saw") == 1);
  CHECK(global_number(rt, "same") == 1);
  CHECK(global_number(rt, "cached") == 1);
  CHECK(global_number(rt, "a1") == 41);
  CHECK(global_number(rt, "a2") == 41); /* from require.cache */
  CHECK(global_number(rt, "a3") == 42); /* asked again once uncached */
  CHECK(global_number(rt, "mod") == 1);
  CHECK(global_number(rt, "missing") == 1);
  CHECK(loader_calls == 4);
  CHECK(lode_set_loader(rt, NULL, NULL) == 0);
  lode_free(rt);
}

/* Posts: from another thread, each exactly once and in order. */
typedef struct post_state {
  lode_runtime *rt;
  int n, next, out_of_order;
} post_state;

static void count_post(lode_runtime *rt, void *data) {
  post_state *s = (post_state *)lode_userdata(rt);
  if ((int)(intptr_t)data != s->next) s->out_of_order++;
  s->next++;
}

static void *poster(void *arg) {
  post_state *s = (post_state *)arg;
  int i;
  for (i = 0; i < s->n; i++)
    if (lode_post(s->rt, count_post, (void *)(intptr_t)i) != 0) break;
  return NULL;
}

static void test_post(void) {
  post_state s;
  lode_options o;
  pthread_t th;
  int steps = 0;
  memset(&s, 0, sizeof s);
  lode_options_init(&o);
  o.userdata = &s;
  s.rt = lode_new(&o);
  s.n = 100000;
  /* A post alone does not keep the loop alive. */
  CHECK(lode_alive(s.rt) == 0);
  CHECK(pthread_create(&th, NULL, poster, &s) == 0);
  while (s.next < s.n / 2 && steps++ < 10000000) lode_step(s.rt, UV_RUN_NOWAIT);
  pthread_join(th, NULL);
  CHECK(s.next >= s.n / 2);
  /* What is still queued runs in lode_close, once. */
  CHECK(lode_close(s.rt) == 0);
  CHECK(s.next == s.n);
  CHECK(s.out_of_order == 0);
  CHECK(lode_post(s.rt, count_post, NULL) == LODE_EMISUSE);
  lode_free(s.rt);
}

static void *stopper(void *arg) {
  uv_sleep(30);
  lode_stop((lode_runtime *)arg);
  return NULL;
}

static void test_stop(void) {
  lode_runtime *rt = lode_new(NULL);
  pthread_t th;
  CHECK(lode_run_string(rt, "n = 0; iv = setInterval(function() n = n + 1 end, 1)", "t") == LODE_OK);
  CHECK(pthread_create(&th, NULL, stopper, rt) == 0);
  CHECK(lode_run(rt) == LODE_OK); /* returns although the interval runs */
  pthread_join(th, NULL);
  CHECK(global_number(rt, "n") > 0);
  CHECK(lode_alive(rt) == 1);
  /* Run again later: stopped from inside this time (a host function
   * calling lode_stop works the same). */
  CHECK(lode_run_string(rt, "m = 0; setTimeout(function() clearInterval(iv) end, 5)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(lode_alive(rt) == 0);
  CHECK(lode_stop(rt) == 0);
  CHECK(lode_step(rt, UV_RUN_NOWAIT) == 0);
  lode_free(rt);
}

static void test_backend(void) {
  lode_runtime *rt = lode_new(NULL);
  int t;
  CHECK(lode_backend_fd(rt) >= 0);
  CHECK(lode_run_string(rt, "setTimeout(function() end, 200)", "t") == LODE_OK);
  CHECK(lode_alive(rt) == 1);
  CHECK(lode_step(rt, UV_RUN_NOWAIT) == 1);
  t = lode_backend_timeout(rt);
  CHECK(t > 100 && t <= 200);
  lode_free(rt);
}

static void test_heap_limit(void) {
  captured c;
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.heap_limit = 8u << 20;
  o.on_error = on_error;
  rt = new_captured(&c, &o);
  CHECK(rt != NULL);
  CHECK(lode_run_string(rt,
    "after = 0; caught = 0\n"
    /* Caught inside: the script sees Lua's error and goes on. */
    "local ok, e = pcall(function() local t = {} for i = 1, 1e9 do t[i] = {i} end end)\n"
    "if not ok and tostring(e):find('not enough memory') then caught = 1 end\n"
    /* Uncaught: the host is told, other callbacks still run. */
    "setTimeout(function() local t = {} while true do t[#t + 1] = ('x'):rep(100) .. #t end end, 1)\n"
    "setTimeout(function() local s = 'x' while true do s = s .. s end end, 2)\n"
    "setTimeout(function() after = after + 1 end, 10)\n", "t") == LODE_OK);
  CHECK(global_number(rt, "caught") == 1);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(c.errors == 2);
  CHECK(strstr(c.last_error, "not enough memory") != NULL);
  CHECK(global_number(rt, "after") == 1);
  lode_free(rt);
}

static void test_budget(void) {
  captured c;
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.callback_budget_ms = 50;
  rt = new_captured(&c, &o);
  CHECK(lode_run_string(rt,
    "ticks = 0; code = ''; caughtLoop = 0\n"
    "local iv = setInterval(function() ticks = ticks + 1 end, 5)\n"
    "process:on('uncaughtException', function(e) code = code .. e.code .. ';' end)\n"
    "setTimeout(function() while true do end end, 1)\n"
    "setTimeout(function() local x = 0 while true do x = x + 1 end end, 2)\n"
    /* Catching the timeout does not help: the hook raises again. */
    "setTimeout(function() while true do pcall(function() while true do end end)"
    " caughtLoop = caughtLoop + 1 end end, 3)\n"
    "setTimeout(function() clearInterval(iv) end, 400)\n", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  lua_getglobal(lode_state(rt), "code");
  CHECK(strcmp(lua_tostring(lode_state(rt), -1),
               "ERR_SCRIPT_TIMEOUT;ERR_SCRIPT_TIMEOUT;ERR_SCRIPT_TIMEOUT;") == 0);
  lua_pop(lode_state(rt), 1);
  CHECK(global_number(rt, "ticks") > 3); /* the interval kept running */
  lode_free(rt);

  /* Without a listener or on_error, a timeout still does not stop the
   * runtime; the error is kept for lode_error. */
  lode_options_init(&o);
  o.callback_budget_ms = 20;
  rt = lode_new(&o);
  CHECK(lode_run_string(rt, "done = 0; setTimeout(function() for i = 1, 1e12 do end end, 1)"
                            "; setTimeout(function() done = 1 end, 30)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(global_number(rt, "done") == 1);
  CHECK(lode_error(rt) != NULL && strstr(lode_error(rt), "timed out after 20ms") != NULL);
  lode_free(rt);
}

int main(void) {
  test_misuse_null_and_closed();
  test_misuse_reentry();
  test_output();
  test_stdio_streams();
  test_on_error();
  test_userdata();
  test_run_buffer();
  test_modules_from_memory();
  test_post();
  test_stop();
  test_backend();
  test_heap_limit();
  test_budget();
  return check_report();
}
