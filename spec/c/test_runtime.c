/*
 * test_runtime.c: the life of a runtime through the public API: create,
 * run, step, close, close twice, errors and exit as return values, host
 * modules, a host loop, and two runtimes in two threads of one process.
 */
#include "check.h"

#include <pthread.h>
#include <string.h>

static void test_create_run_close(void) {
  lode_runtime *rt = lode_new(NULL);
  CHECK(rt != NULL);
  CHECK(lode_run_string(rt, "n = 0; setTimeout(function() n = n + 1 end, 5)"
                            "; process.nextTick(function() n = n + 10 end)", "t") == LODE_OK);
  CHECK(global_number(rt, "n") == 10); /* the tick ran, the timer not yet */
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(global_number(rt, "n") == 11);
  CHECK(lode_close(rt) == 0);
  CHECK(lode_close(rt) == 0); /* closing twice is harmless */
  CHECK(lode_state(rt) == NULL);
  CHECK(lode_run_string(rt, "x = 1", "t") == LODE_EMISUSE);
  lode_free(rt);
  lode_free(NULL);
}

static void test_uncaught_error(void) {
  lode_runtime *rt = lode_new(NULL);
  CHECK(lode_run_string(rt, "setTimeout(function() error('boom') end, 1)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_ERROR);
  CHECK(lode_error(rt) != NULL && strstr(lode_error(rt), "boom") != NULL);
  CHECK(lode_error(rt) != NULL && strstr(lode_error(rt), "stack traceback") != NULL);
  CHECK(lode_close(rt) == 1);
  lode_free(rt);
}

static void test_handled_error(void) {
  lode_runtime *rt = lode_new(NULL);
  CHECK(lode_run_string(rt,
    "seen = 0; process:on('uncaughtException', function(e) seen = seen + 1 end)"
    "; setTimeout(function() error('x') end, 1)"
    "; setTimeout(function() seen = seen + 10 end, 2)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(global_number(rt, "seen") == 11);
  CHECK(lode_close(rt) == 0);
  lode_free(rt);
}

static void test_exit(void) {
  lode_runtime *rt = lode_new(NULL);
  CHECK(lode_run_string(rt, "after = 0; process:on('exit', function(c) code = c end)"
                            "; setTimeout(function() process.exit(3) end, 1)"
                            "; setTimeout(function() after = 1 end, 50)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_EXIT);
  CHECK(lode_exit_code(rt) == 3);
  CHECK(global_number(rt, "code") == 3);
  CHECK(global_number(rt, "after") == 0); /* nothing runs after exit */
  CHECK(lode_close(rt) == 3);
  lode_free(rt);
}

static int open_game(lua_State *L) {
  lua_newtable(L);
  lua_pushnumber(L, 42);
  lua_setfield(L, -2, "answer");
  return 1;
}

static void test_preload_and_step(void) {
  lode_runtime *rt = lode_new(NULL);
  int steps = 0, r;
  CHECK(lode_preload(rt, "game", open_game) == 0);
  CHECK(lode_run_string(rt, "answer = require('game').answer; fired = 0"
                            "; setTimeout(function() fired = 1 end, 20)", "t") == LODE_OK);
  CHECK(global_number(rt, "answer") == 42);
  /* A game's frame loop: step without blocking until the timer fired. */
  while ((r = lode_step(rt, UV_RUN_NOWAIT)) == 1 && steps < 1000000) steps++;
  CHECK(r == 0);
  CHECK(global_number(rt, "fired") == 1);
  CHECK(steps > 1);
  lode_free(rt);
}

static void test_host_loop(void) {
  uv_loop_t loop;
  lode_options o;
  lode_runtime *rt;
  CHECK(uv_loop_init(&loop) == 0);
  lode_options_init(&o);
  o.loop = &loop;
  rt = lode_new(&o);
  CHECK(rt != NULL && lode_loop(rt) == &loop);
  CHECK(lode_run_string(rt, "done = 0; setImmediate(function() done = 1 end)", "t") == LODE_OK);
  CHECK(lode_run(rt) == LODE_OK);
  CHECK(global_number(rt, "done") == 1);
  lode_free(rt);
  CHECK(uv_loop_close(&loop) == 0); /* the runtime left nothing on it */
}

static void test_allowed_modules(void) {
  const char *allowed[] = {"events", NULL};
  lode_options o;
  lode_runtime *rt;
  lode_options_init(&o);
  o.allowed_modules = allowed;
  rt = lode_new(&o);
  CHECK(lode_run_string(rt, "ok1 = pcall(require, 'events') and 1 or 0"
                            "; ok2 = pcall(require, 'path') and 1 or 0", "t") == LODE_OK);
  CHECK(global_number(rt, "ok1") == 1);
  CHECK(global_number(rt, "ok2") == 0);
  lode_free(rt);
}

static void *thread_main(void *arg) {
  int *result = (int *)arg;
  lode_runtime *rt = lode_new(NULL);
  if (!rt) return NULL;
  if (lode_run_string(rt, "count = 0; local t; t = setInterval(function()"
                          " count = count + 1; if count == 20 then clearInterval(t) end end, 1)",
                      "t") == LODE_OK &&
      lode_run(rt) == LODE_OK)
    *result = (int)global_number(rt, "count");
  lode_free(rt);
  return NULL;
}

static void test_two_runtimes(void) {
  pthread_t a, b;
  int ra = 0, rb = 0;
  CHECK(pthread_create(&a, NULL, thread_main, &ra) == 0);
  CHECK(pthread_create(&b, NULL, thread_main, &rb) == 0);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK(ra == 20);
  CHECK(rb == 20);
}

int main(void) {
  test_create_run_close();
  test_uncaught_error();
  test_handled_error();
  test_exit();
  test_preload_and_step();
  test_host_loop();
  test_allowed_modules();
  test_two_runtimes();
  return check_report();
}
