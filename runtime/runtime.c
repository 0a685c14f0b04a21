/*
 * runtime.c: a runtime's life: create, run, close, free.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every runtime's Lua state allocates through this wrapper over LuaJIT's
 * own allocator (kept in rt->allocf/allocud: LuaJIT's arenas are faster
 * than malloc for Lua's small objects, and GC64 builds refuse anything
 * else in lua_newstate). Its ud is the runtime, which makes lode__rt a
 * plain load, and it is the one place a heap limit can be enforced. The
 * original allocator is put back before lua_close, which frees LuaJIT's
 * arenas only when it finds its own allocator there. */
static void *lode_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lode_runtime *rt = (lode_runtime *)ud;
  return rt->allocf(rt->allocud, ptr, osize, nsize);
}

lode_runtime *lode__rt(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return (lode_runtime *)ud;
}

lode_runtime *lode_from_state(lua_State *L) {
  void *ud = NULL;
  if (!L || lua_getallocf(L, &ud) != lode_alloc) return NULL;
  return (lode_runtime *)ud;
}

void lode_options_init(lode_options *o) {
  memset(o, 0, sizeof *o);
}

char *lode__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void free_strv(char **v) {
  char **p;
  if (!v) return;
  for (p = v; *p; p++) free(*p);
  free(v);
}

/* Copies a vector of n strings (n < 0: NULL-terminated) into one that ends
 * with NULL. Returns NULL when memory runs out. */
static char **copy_strv(char *const *v, int n) {
  char **d;
  int i;
  if (n < 0)
    for (n = 0; v[n]; n++) {}
  d = (char **)calloc((size_t)n + 1, sizeof *d);
  if (!d) return NULL;
  for (i = 0; i < n; i++) {
    if (!(d[i] = lode__strdup(v[i]))) {
      free_strv(d);
      return NULL;
    }
  }
  return d;
}

int lode__output(lode_runtime *rt, int fd, const char *p, size_t len) {
  size_t done = 0;
  if (!rt->own_stdio) return 0;
  /* print() and io.write() go through C's buffered stdout: flush it first
   * so that output from both keeps its order. */
  if (fd == 1) fflush(stdout);
  else if (fd == 2) fflush(stderr);
  /* Written whole before returning, as Node does for files and TTYs. A
   * non-blocking descriptor that is full is waited on with poll(), so no
   * byte is dropped. */
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n >= 0) {
      done += (size_t)n;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd pfd;
      pfd.fd = fd;
      pfd.events = POLLOUT;
      pfd.revents = 0;
      (void)poll(&pfd, 1, -1);
    } else if (errno != EINTR) {
      return uv_translate_sys_error(errno);
    }
  }
  return 0;
}

static int status(lode_runtime *rt) {
  if (rt->exiting) return LODE_EXIT;
  if (rt->failed) return LODE_ERROR;
  return LODE_OK;
}

lode_runtime *lode_new(const lode_options *o) {
  lode_runtime *rt;
  lode_options defaults;
  lua_State *L;
  if (!o) {
    lode_options_init(&defaults);
    o = &defaults;
  }
  rt = (lode_runtime *)calloc(1, sizeof *rt);
  if (!rt) return NULL;
  rt->print_errors = o->print_errors;
  rt->handle_signals = o->handle_signals;
  rt->own_stdio = o->own_stdio;
  rt->on_exit = o->on_exit;
  /* As in Node, a write to a closed pipe or socket is an EPIPE error, not
   * a signal that kills the process. Only when the host lets us own
   * signals. */
  if (o->handle_signals) signal(SIGPIPE, SIG_IGN);
  if (o->argv && o->argc > 0 && !(rt->argv = copy_strv(o->argv, o->argc))) goto fail_rt;
  if (o->allowed_modules &&
      !(rt->allowed = copy_strv((char *const *)o->allowed_modules, -1)))
    goto fail_rt;
  if (o->lua_dir && *o->lua_dir && !(rt->lua_dir = lode__strdup(o->lua_dir))) goto fail_rt;
  if (o->loop) {
    rt->loop = o->loop;
  } else {
    if (uv_loop_init(&rt->own_loop) != 0) goto fail_rt;
    rt->loop = &rt->own_loop;
    rt->owns_loop = 1;
  }

  L = rt->L = luaL_newstate();
  if (!L) goto fail_loop;
  rt->allocf = lua_getallocf(L, &rt->allocud);
  lua_setallocf(L, lode_alloc, rt);
  luaL_openlibs(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.bindings");
  lua_pushcfunction(L, lode__traceback);
  rt->traceback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (lode__bootstrap(rt) != 0) {
    lode_free(rt);
    return NULL;
  }
  return rt;

fail_loop:
  if (rt->owns_loop) (void)uv_loop_close(rt->loop); /* nothing is on it yet */
fail_rt:
  free_strv(rt->argv);
  free_strv(rt->allowed);
  free(rt->lua_dir);
  free(rt);
  return NULL;
}

static int run_main(lode_runtime *rt, const char *kind, const char *what,
                    const char *name) {
  lua_State *L;
  if (!rt || rt->closed) return LODE_ERROR;
  L = rt->L;
  lode__push_hook(rt, LODE__HOOK_RUN_MAIN);
  lua_pushstring(L, kind);
  lua_pushstring(L, what);
  lua_pushstring(L, name);
  lode__call(rt, 3);
  return status(rt);
}

int lode_run_file(lode_runtime *rt, const char *path) {
  return run_main(rt, "file", path, path);
}

int lode_run_string(lode_runtime *rt, const char *code, const char *name) {
  return run_main(rt, "string", code, name ? name : "[string]");
}

int lode_step(lode_runtime *rt, uv_run_mode mode) {
  int alive;
  if (!rt || rt->closed) return LODE_ERROR;
  if (status(rt) != LODE_OK) return status(rt);
  alive = uv_run(rt->loop, mode);
  if (status(rt) != LODE_OK) return status(rt);
  return alive != 0;
}

int lode_run(lode_runtime *rt) {
  if (!rt || rt->closed) return LODE_ERROR;
  while (status(rt) == LODE_OK) {
    uv_run(rt->loop, UV_RUN_DEFAULT);
    if (status(rt) != LODE_OK) break;
    /* 'beforeExit' may schedule more work; then the loop goes on. */
    lode__push_hook(rt, LODE__HOOK_BEFORE_EXIT);
    lode__call(rt, 0);
    if (!uv_loop_alive(rt->loop)) break;
  }
  return status(rt);
}

int lode_preload(lode_runtime *rt, const char *name, lua_CFunction open) {
  lua_State *L;
  if (!rt || rt->closed || !name || !open) return -1;
  L = rt->L;
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, open);
  lua_setfield(L, -2, name);
  lua_pop(L, 2);
  return 0;
}

lua_State *lode_state(lode_runtime *rt) {
  return rt && !rt->closed ? rt->L : NULL;
}

uv_loop_t *lode_loop(lode_runtime *rt) {
  return rt ? rt->loop : NULL;
}

const char *lode_error(lode_runtime *rt) {
  return rt ? rt->error : NULL;
}

int lode_exit_code(lode_runtime *rt) {
  return rt ? rt->exit_code : 1;
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Emits 'exit' with the code so far; listeners may change process.exitCode,
 * and the hook returns the final code. */
static void emit_exit(lode_runtime *rt) {
  lua_State *L = rt->L;
  int handler;
  if (rt->exit_emitted) return;
  rt->exit_emitted = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  handler = lua_gettop(L);
  lode__push_hook(rt, LODE__HOOK_EXIT);
  if (rt->exiting || rt->failed) lua_pushinteger(L, rt->exit_code);
  else lua_pushnil(L);
  if (lua_pcall(L, 1, 1, handler) != 0) {
    if (!rt->exiting) lode__fail(rt, 1);
  } else if (lua_isnumber(L, -1)) {
    rt->exit_code = (int)lua_tointeger(L, -1);
  }
  lua_settop(L, handler - 1);
}

int lode_close(lode_runtime *rt) {
  if (!rt) return 1;
  if (rt->closed) return rt->exit_code;
  if (rt->booted) emit_exit(rt);
  rt->closed = 1;
  /* No Lua callback runs from here on (lode__call refuses once closed);
   * requests that come back are freed. Thread-pool requests not yet
   * started are cancelled; the others, and stream requests (which their
   * handle's close calls back), are waited for. Close callbacks need Lua
   * (they drop registry references), so Lua is closed only once every
   * handle and request of ours is gone. */
  lode__req_cancel_all(rt);
  lode__handle_close_all(rt);
  while (rt->handles || rt->reqs) uv_run(rt->loop, UV_RUN_ONCE);
  uv_run(rt->loop, UV_RUN_NOWAIT);
  if (rt->L) {
    lua_setallocf(rt->L, rt->allocf, rt->allocud);
    lua_close(rt->L);
    rt->L = NULL;
  }
  /* Finalizers in lua_close may have closed a last handle. */
  uv_run(rt->loop, UV_RUN_NOWAIT);
  if (rt->owns_loop) {
    while (uv_loop_close(rt->loop) == UV_EBUSY) {
      uv_walk(rt->loop, walk_close, NULL);
      uv_run(rt->loop, UV_RUN_NOWAIT);
    }
  }
  return rt->exit_code;
}

void lode_free(lode_runtime *rt) {
  if (!rt) return;
  lode_close(rt);
  free(rt->error);
  free(rt->lua_dir);
  free_strv(rt->argv);
  free_strv(rt->allowed);
  free(rt);
}
