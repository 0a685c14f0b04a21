/*
 * runtime.c: a runtime's life: create, run, close, free.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <luajit.h>
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
  void *p;
  /* The limit holds while a script runs (limit_on, inside lode__call's
   * protected calls), where LuaJIT turns a failed allocation into the
   * script's "not enough memory" error. The runtime's own work between
   * callbacks (reporting that very error, say) is not refused: LuaJIT
   * panics on allocation failures outside a protected call. LuaJIT does
   * not collect before it fails, and what the failed code held is garbage
   * only once the error unwound it: after a refusal the script may go a
   * little past the limit (an eighth of it, at least 256 KiB) to handle
   * its error, until the next callback starts. */
  if (nsize > osize && rt->limit_on) {
    size_t cap = rt->heap_limit;
    if (rt->over_limit) cap += rt->heap_limit / 8 > (256u << 10) ? rt->heap_limit / 8 : (256u << 10);
    if (rt->heap_used + (nsize - osize) > cap) {
      rt->over_limit = 1;
      return NULL;
    }
  }
  p = rt->allocf(rt->allocud, ptr, osize, nsize);
  if (p || nsize == 0) rt->heap_used += nsize - osize;
  return p;
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

/* The sandbox's folders as real paths ending with '/', so that a prefix
 * test tells whether a file is inside one. A folder that does not exist
 * allows nothing and is left out. */
static char **real_paths(const char *const *v) {
  char **d;
  int n, i, k = 0;
  for (n = 0; v[n]; n++) {}
  d = (char **)calloc((size_t)n + 1, sizeof *d);
  if (!d) return NULL;
  for (i = 0; i < n; i++) {
    char buf[PATH_MAX];
    size_t len;
    if (!realpath(v[i], buf)) continue;
    len = strlen(buf);
    if (!(d[k] = (char *)malloc(len + 2))) {
      free_strv(d);
      return NULL;
    }
    memcpy(d[k], buf, len);
    if (len == 0 || buf[len - 1] != '/') d[k][len++] = '/';
    d[k][len] = '\0';
    k++;
  }
  return d;
}

int lode__output(lode_runtime *rt, int fd, const char *p, size_t len) {
  size_t done = 0;
  if (!rt->own_stdio) {
    if (rt->on_output) rt->on_output(rt, fd, p, len);
    return 0;
  }
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

/* The host's posts, one batch per wake-up: the queue is swapped out
 * under the lock and run outside it, so a post may post again (it runs
 * in the next iteration) and posters on other threads are never held up
 * by a running post. Returns how many ran. */
static size_t run_posts(lode_runtime *rt) {
  lode__post *batch;
  size_t n, cap, i;
  uv_mutex_lock(&rt->lock);
  batch = rt->posts;
  n = rt->nposts;
  cap = rt->cap;
  rt->posts = rt->spare;
  rt->cap = rt->spare_cap;
  rt->nposts = 0;
  rt->spare = batch;
  rt->spare_cap = cap;
  uv_mutex_unlock(&rt->lock);
  rt->depth++;
  for (i = 0; i < n; i++) batch[i].fn(rt, batch[i].data);
  rt->depth--;
  return n;
}

static void on_wake(uv_async_t *a) {
  lode_runtime *rt = (lode_runtime *)a->data;
  int stop;
  run_posts(rt);
  uv_mutex_lock(&rt->lock);
  stop = rt->stop_asked;
  rt->stop_asked = 0;
  uv_mutex_unlock(&rt->lock);
  if (stop) {
    rt->host_stopped = 1;
    uv_stop(rt->loop);
  }
}

static void on_wake_closed(uv_handle_t *h) {
  ((lode_runtime *)h->data)->wake_ready = 0;
}

int lode_post(lode_runtime *rt, void (*fn)(lode_runtime *rt, void *data), void *data) {
  int r = LODE_EMISUSE;
  if (!rt || !fn) return LODE_EMISUSE;
  uv_mutex_lock(&rt->lock);
  if (!rt->post_closed) {
    if (rt->nposts == rt->cap) {
      size_t cap = rt->cap ? rt->cap * 2 : 64;
      lode__post *q = (lode__post *)realloc(rt->posts, cap * sizeof *q);
      if (q) {
        rt->posts = q;
        rt->cap = cap;
      }
    }
    if (rt->nposts < rt->cap) {
      rt->posts[rt->nposts].fn = fn;
      rt->posts[rt->nposts].data = data;
      rt->nposts++;
      /* Sent under the lock: lode_close closes the handle only after it
       * set post_closed under this lock. */
      uv_async_send(&rt->wake);
      r = 0;
    }
  }
  uv_mutex_unlock(&rt->lock);
  return r;
}

int lode_stop(lode_runtime *rt) {
  int r = LODE_EMISUSE;
  if (!rt) return LODE_EMISUSE;
  uv_mutex_lock(&rt->lock);
  if (!rt->post_closed) {
    rt->stop_asked = 1;
    uv_async_send(&rt->wake);
    r = 0;
  }
  uv_mutex_unlock(&rt->lock);
  return r;
}

/* The count hook of a runtime with a budget: raises ERR_SCRIPT_TIMEOUT
 * once the running callback is past its deadline. From then on it runs at
 * every instruction and raises again, so that a script catching the error
 * (a pcall in a loop) is cut short at the next instruction it runs after
 * the pcall, at every level, until the callback is unwound. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
  lode_runtime *rt = lode__rt(L);
  (void)ar;
  if (rt->deadline && uv_hrtime() > rt->deadline) {
    if (!rt->timed_out) lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    rt->timed_out = 1;
    lode__error(L, "ERR_SCRIPT_TIMEOUT", "Script execution timed out after %dms",
                   (int)(rt->budget_ns / 1000000));
  }
}

void lode__budget_start(lode_runtime *rt) {
  if (rt->timed_out) lua_sethook(rt->L, budget_hook, LUA_MASKCOUNT, 1000);
  rt->timed_out = 0;
  if (rt->budget_ns) rt->deadline = uv_hrtime() + rt->budget_ns;
  if (rt->heap_limit) {
    /* A heap left at the limit by the garbage of a callback that hit it
     * would refuse this callback's first allocations. */
    if (rt->over_limit || rt->heap_used > rt->heap_limit) lua_gc(rt->L, LUA_GCCOLLECT, 0);
    rt->over_limit = 0;
    rt->limit_on = 1;
  }
}

void lode__budget_end(lode_runtime *rt) {
  if (rt->timed_out) lua_sethook(rt->L, budget_hook, LUA_MASKCOUNT, 1000);
  rt->deadline = 0;
  rt->limit_on = 0;
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
  rt->on_output = o->on_output;
  rt->on_error = o->on_error;
  rt->userdata = o->userdata;
  rt->sandbox = o->sandbox;
  rt->heap_limit = o->heap_limit;
  rt->budget_ns = (uint64_t)o->callback_budget_ms * 1000000u;
  /* As in Node, a write to a closed pipe or socket is an EPIPE error, not
   * a signal that kills the process. Only when the host lets us own
   * signals. */
  if (o->handle_signals) signal(SIGPIPE, SIG_IGN);
  if (o->argv && o->argc > 0 && !(rt->argv = copy_strv(o->argv, o->argc))) goto fail_rt;
  if (o->allowed_modules &&
      !(rt->allowed = copy_strv((char *const *)o->allowed_modules, -1)))
    goto fail_rt;
  if (o->lua_dir && *o->lua_dir && !(rt->lua_dir = lode__strdup(o->lua_dir))) goto fail_rt;
  if (o->sandbox && o->sandbox_paths && !(rt->sandbox_paths = real_paths(o->sandbox_paths)))
    goto fail_rt;
  if (o->loop) {
    rt->loop = o->loop;
  } else {
    if (uv_loop_init(&rt->own_loop) != 0) goto fail_rt;
    rt->loop = &rt->own_loop;
    rt->owns_loop = 1;
  }

  if (uv_mutex_init(&rt->lock) != 0) goto fail_loop;
  if (uv_async_init(rt->loop, &rt->wake, on_wake) != 0) {
    uv_mutex_destroy(&rt->lock);
    goto fail_loop;
  }
  rt->wake.data = rt;
  rt->wake_ready = 1;
  /* Posts alone do not keep the loop alive. */
  uv_unref((uv_handle_t *)&rt->wake);

  L = rt->L = luaL_newstate();
  if (!L) goto fail_wake;
  rt->allocf = lua_getallocf(L, &rt->allocud);
  /* What luaL_newstate allocated before the wrapper was in place, so that
   * its later frees do not take the count below zero. */
  rt->heap_used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
  lua_setallocf(L, lode_alloc, rt);
  luaL_openlibs(L);
  if (rt->budget_ns) {
    /* LuaJIT runs no hook inside compiled traces, so a compiled
     * `while true do end` would never see its deadline: a runtime with a
     * budget runs in LuaJIT's interpreter, which checks the count hook. */
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1000);
  }
  if (rt->sandbox) lode__sandbox_c(rt);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.bindings");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.preload");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.sources");
  lua_pushcfunction(L, lode__traceback);
  rt->traceback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (lode__bootstrap(rt) != 0) {
    lode_free(rt);
    return NULL;
  }
  return rt;

fail_wake:
  uv_close((uv_handle_t *)&rt->wake, on_wake_closed);
  while (rt->wake_ready) uv_run(rt->loop, UV_RUN_NOWAIT);
  uv_mutex_destroy(&rt->lock);
fail_loop:
  if (rt->owns_loop) (void)uv_loop_close(rt->loop); /* nothing is on it yet */
fail_rt:
  free_strv(rt->sandbox_paths);
  free_strv(rt->argv);
  free_strv(rt->allowed);
  free(rt->lua_dir);
  free(rt);
  return NULL;
}

/* A NULL or closed runtime, or a call from inside one of its callbacks. */
static int misuse(lode_runtime *rt) {
  return !rt || rt->closed || rt->depth > 0;
}

static int run_main(lode_runtime *rt, const char *kind, const char *what, size_t len,
                    const char *name) {
  lua_State *L;
  if (misuse(rt) || !what) return LODE_EMISUSE;
  L = rt->L;
  lode__push_hook(rt, LODE__HOOK_RUN_MAIN);
  lua_pushstring(L, kind);
  lua_pushlstring(L, what, len);
  lua_pushstring(L, name);
  lode__call(rt, 3);
  return status(rt);
}

int lode_run_file(lode_runtime *rt, const char *path) {
  return run_main(rt, "file", path, path ? strlen(path) : 0, path);
}

int lode_run_string(lode_runtime *rt, const char *code, const char *name) {
  return run_main(rt, "string", code, code ? strlen(code) : 0, name ? name : "[string]");
}

int lode_run_buffer(lode_runtime *rt, const char *code, size_t len, const char *name) {
  return run_main(rt, "string", code, len, name ? name : "[buffer]");
}

int lode_step(lode_runtime *rt, uv_run_mode mode) {
  int alive;
  if (misuse(rt)) return LODE_EMISUSE;
  if (status(rt) != LODE_OK) return status(rt);
  /* libuv runs no iteration of a loop with nothing alive, and the wake
   * handle does not count: a host stepping such a loop still gets its
   * posts (and stops). */
  if (!uv_loop_alive(rt->loop)) on_wake(&rt->wake);
  alive = uv_run(rt->loop, mode);
  if (status(rt) != LODE_OK) return status(rt);
  if (rt->host_stopped) {
    rt->host_stopped = 0;
    return LODE_OK;
  }
  return alive != 0;
}

int lode_run(lode_runtime *rt) {
  if (misuse(rt)) return LODE_EMISUSE;
  while (status(rt) == LODE_OK) {
    uv_run(rt->loop, UV_RUN_DEFAULT);
    if (status(rt) != LODE_OK) break;
    if (rt->host_stopped) {
      rt->host_stopped = 0;
      return LODE_OK;
    }
    /* 'beforeExit' may schedule more work; then the loop goes on. */
    lode__push_hook(rt, LODE__HOOK_BEFORE_EXIT);
    lode__call(rt, 0);
    if (!uv_loop_alive(rt->loop)) break;
  }
  return status(rt);
}

/* Whether a host module of this name was registered already, as a C
 * module (package.preload) or a source (lode.sources). */
static int registered(lua_State *L, const char *name) {
  int found;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.preload");
  lua_getfield(L, -1, name);
  found = !lua_isnil(L, -1);
  lua_pop(L, 2);
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.sources");
  lua_getfield(L, -1, name);
  found = found || !lua_isnil(L, -1);
  lua_pop(L, 2);
  return found;
}

int lode_preload(lode_runtime *rt, const char *name, lua_CFunction open) {
  lua_State *L;
  if (!rt || rt->closed || !name || !open) return LODE_EMISUSE;
  L = rt->L;
  if (registered(L, name)) return LODE_EMISUSE;
  /* package.preload is the scripts' to change; the registry keeps what
   * the host registered, to tell a second registration. */
  lua_pushcfunction(L, open);
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.preload");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, name);
  lua_pop(L, 3);
  return 0;
}

int lode_preload_source(lode_runtime *rt, const char *name, const char *code, size_t len) {
  lua_State *L;
  if (!rt || rt->closed || !name || !code) return LODE_EMISUSE;
  L = rt->L;
  if (registered(L, name)) return LODE_EMISUSE;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.sources");
  lua_pushlstring(L, code, len);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  return 0;
}

int lode_set_loader(lode_runtime *rt, lode_loader fn, void *ud) {
  if (!rt || rt->closed) return LODE_EMISUSE;
  rt->loader = fn;
  rt->loader_ud = ud;
  return 0;
}

lua_State *lode_state(lode_runtime *rt) {
  return rt && !rt->closed ? rt->L : NULL;
}

uv_loop_t *lode_loop(lode_runtime *rt) {
  return rt ? rt->loop : NULL;
}

int lode_backend_fd(lode_runtime *rt) {
  return rt && !rt->closed ? uv_backend_fd(rt->loop) : -1;
}

int lode_backend_timeout(lode_runtime *rt) {
  return rt && !rt->closed ? uv_backend_timeout(rt->loop) : -1;
}

int lode_alive(lode_runtime *rt) {
  if (!rt || rt->closed) return LODE_EMISUSE;
  return uv_loop_alive(rt->loop) != 0;
}

void *lode_userdata(lode_runtime *rt) {
  return rt ? rt->userdata : NULL;
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
  int r;
  if (rt->exit_emitted) return;
  rt->exit_emitted = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  handler = lua_gettop(L);
  lode__push_hook(rt, LODE__HOOK_EXIT);
  if (rt->exiting || rt->failed) lua_pushinteger(L, rt->exit_code);
  else lua_pushnil(L);
  rt->depth++;
  lode__budget_start(rt);
  r = lua_pcall(L, 1, 1, handler);
  lode__budget_end(rt);
  rt->depth--;
  if (r != 0) {
    if (!rt->exiting) lode__fail(rt, 1);
  } else if (lua_isnumber(L, -1)) {
    rt->exit_code = (int)lua_tointeger(L, -1);
  }
  lua_settop(L, handler - 1);
}

int lode_close(lode_runtime *rt) {
  if (!rt) return 1;
  if (rt->closed) return rt->exit_code;
  if (rt->depth > 0) return LODE_EMISUSE;
  if (rt->booted) emit_exit(rt);
  /* Every post is run exactly once: those queued before this point run
   * now, later ones are refused. */
  uv_mutex_lock(&rt->lock);
  rt->post_closed = 1;
  uv_mutex_unlock(&rt->lock);
  while (run_posts(rt) > 0) {}
  uv_close((uv_handle_t *)&rt->wake, on_wake_closed);
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
  while (rt->wake_ready) uv_run(rt->loop, UV_RUN_NOWAIT);
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
  if (!rt || rt->depth > 0) return;
  lode_close(rt);
  /* Kept until here: lode_post and lode_stop take it to learn the
   * runtime is closed. */
  uv_mutex_destroy(&rt->lock);
  free(rt->posts);
  free(rt->spare);
  free_strv(rt->sandbox_paths);
  free(rt->error);
  free(rt->lua_dir);
  free_strv(rt->argv);
  free_strv(rt->allowed);
  free(rt);
}
