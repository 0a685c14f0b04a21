/*
 * runtime.c: a runtime's life (create, run, close), the one path from C
 * into Lua, and the bootstrap that hands the Lua side its hooks.
 */
#include "internal.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The address of this variable is the registry key of the runtime pointer. */
static const char rt_key = 'r';

lode_runtime *lode__rt(lua_State *L) {
  lode_runtime *rt;
  lua_pushlightuserdata(L, (void *)&rt_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  rt = (lode_runtime *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return rt;
}

lode_runtime *lode_from_state(lua_State *L) {
  return L ? lode__rt(L) : NULL;
}

void lode_options_init(lode_options *o) {
  memset(o, 0, sizeof *o);
}

static char *dupstr(const char *s) {
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
    if (!(d[i] = dupstr(v[i]))) {
      free_strv(d);
      return NULL;
    }
  }
  return d;
}

/* The message handler of every protected call. It keeps the error value
 * as it is (process 'uncaughtException' listeners get the very table that
 * was raised) and leaves the traceback in the registry, from where an
 * unhandled error is printed. A table error without a stack gets one. */
static int traceback(lua_State *L) {
  const char *msg = NULL;
  if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
    /* On a copy: lua_tostring would turn a number error into a string. */
    lua_pushvalue(L, 1);
    msg = lua_tostring(L, -1);
  } else if (luaL_getmetafield(L, 1, "__tostring")) {
    /* A __tostring that raises must not hide the error itself. */
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
  }
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_getfield(L, 1, "stack");
    if (lua_isnil(L, -1)) {
      lua_pushvalue(L, -2);
      lua_setfield(L, 1, "stack");
    }
    lua_pop(L, 1);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  lua_settop(L, 1);
  return 1;
}

void lode__push_hook(lode_runtime *rt, int hook) {
  lua_rawgeti(rt->L, LUA_REGISTRYINDEX, rt->hooks[hook]);
}

void lode__stop(lode_runtime *rt) {
  /* The Lua queues (timers, immediates, ticks) check this flag before each
   * callback, so nothing more runs even when a script caught the error
   * that process.exit() raised. */
  rt->shared[LODE__STOPPED] = 1;
  uv_stop(rt->loop);
}

/* Records an unhandled error (traceback in the registry) and stops. */
static void fail(lode_runtime *rt, int code) {
  lua_State *L = rt->L;
  const char *tb;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  tb = lua_tostring(L, -1);
  free(rt->error);
  rt->error = dupstr(tb ? tb : "unknown error");
  lua_pop(L, 1);
  if (rt->print_errors && rt->error) fprintf(stderr, "%s\n", rt->error);
  rt->failed = 1;
  rt->exit_code = code;
  lode__stop(rt);
}

/* The error of a failed call is on the top of the stack: hand it to
 * process 'uncaughtException', or fail. Pops the error. The traceback the
 * message handler left is dropped once used, so a later error can never
 * be reported with an earlier one's. */
static void report(lode_runtime *rt, int handler) {
  lua_State *L = rt->L;
  if (!rt->exiting) {
    lode__push_hook(rt, LODE__HOOK_FATAL);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, handler) != 0) {
      /* A listener raised: that error is the one nobody handled, and
       * Node's exit code for it is 7. */
      if (!rt->exiting) fail(rt, 7);
    } else if (!lua_toboolean(L, -1) && !rt->exiting) {
      fail(rt, 1);
    }
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.traceback");
}

static int stopped(lode_runtime *rt) {
  return rt->exiting || rt->failed || rt->closed;
}

int lode__call(lode_runtime *rt, int nargs) {
  lua_State *L = rt->L;
  int handler, ok = 0;
  if (stopped(rt)) {
    lua_pop(L, nargs + 1);
    return -1;
  }
  handler = lua_gettop(L) - nargs;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  lua_insert(L, handler);
  rt->shared[LODE__NOW] = (double)uv_now(rt->loop);
  if (lua_pcall(L, nargs, 0, handler) != 0) {
    report(rt, handler);
    ok = -1;
  }
  /* process.nextTick's queue is drained after every callback. The Lua
   * side clears the flag when the queue is empty; a raising tick leaves
   * the rest of the queue for the next round of this loop. */
  while (rt->shared[LODE__TICKS] != 0 && !stopped(rt)) {
    lode__push_hook(rt, LODE__HOOK_TICKS);
    if (lua_pcall(L, 0, 0, handler) != 0) report(rt, handler);
  }
  lua_remove(L, handler);
  return ok;
}

static int status(lode_runtime *rt) {
  if (rt->exiting) return LODE_EXIT;
  if (rt->failed) return LODE_ERROR;
  return LODE_OK;
}

/* builtin(name): the function of a bundled Lua file, or nil and a message.
 * With LODE_LUA_DIR set, lua/ is read from that folder instead: a switch
 * for developing lode itself without rebuilding. */
static int l_builtin(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *dir = getenv("LODE_LUA_DIR");
  const lode__bundled *b;
  if (dir && *dir) {
    lua_pushfstring(L, "%s/%s.lua", dir, name);
    if (luaL_loadfile(L, lua_tostring(L, -1)) != 0) {
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
    }
    return 1;
  }
  for (b = lode__bundle; b->name; b++) {
    if (strcmp(b->name, name) == 0) {
      if (luaL_loadbuffer(L, (const char *)b->code, b->size, name) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
      }
      return 1;
    }
  }
  lua_pushnil(L);
  lua_pushfstring(L, "no built-in module '%s'", name);
  return 2;
}

/* builtins(): the names of the bundled public modules. */
static int l_builtins(lua_State *L) {
  const lode__bundled *b;
  int n = 0;
  lua_newtable(L);
  for (b = lode__bundle; b->name; b++) {
    if (strchr(b->name, '/')) continue;
    lua_pushstring(L, b->name);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

static const struct {
  const char *name;
  lua_CFunction open;
} bindings[] = {
  {"uv", lode__open_uv},
  {"timers", lode__open_timers},
  {"process", lode__open_process},
  {"signal", lode__open_signal},
  {NULL, NULL},
};

/* binding(name): a C binding's table, opened once and cached. */
static int l_binding(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  int i;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.bindings");
  lua_getfield(L, -1, name);
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  for (i = 0; bindings[i].name; i++) {
    if (strcmp(bindings[i].name, name) == 0) {
      lua_pushcfunction(L, bindings[i].open);
      lua_call(L, 0, 1);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, name);
      return 1;
    }
  }
  return luaL_error(L, "no binding '%s'", name);
}

static void push_strv(lua_State *L, char **v, int from) {
  int i;
  lua_newtable(L);
  for (i = 0; v && v[i]; i++) {
    lua_pushstring(L, v[i]);
    lua_rawseti(L, -2, i + from);
  }
}

/* Loads internal/bootstrap and runs it; it returns the hooks table. */
static int bootstrap(lode_runtime *rt) {
  lua_State *L = rt->L;
  int i, handler;
  static const char *const names[LODE__HOOK_COUNT] = {
    "runMain", "processTicks", "fatal", "beforeExit", "exit",
    "processTimers", "processImmediates",
  };
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  handler = lua_gettop(L);
  lua_pushcfunction(L, l_builtin);
  lua_pushstring(L, "internal/bootstrap");
  if (lua_pcall(L, 1, 2, handler) != 0 || lua_isnil(L, -2)) {
    fprintf(stderr, "lode: cannot load the bootstrap: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
    return -1;
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_builtin);
  lua_pushcfunction(L, l_binding);
  lua_newtable(L);
  push_strv(L, rt->argv, 0);
  lua_setfield(L, -2, "argv");
  if (rt->allowed) {
    push_strv(L, rt->allowed, 1);
    lua_setfield(L, -2, "allowed");
  }
  lua_pushboolean(L, rt->handle_signals);
  lua_setfield(L, -2, "signals");
  lua_pushlightuserdata(L, rt->shared);
  lua_setfield(L, -2, "shared");
  lua_pushcfunction(L, l_builtins);
  lua_setfield(L, -2, "builtins");
  if (lua_pcall(L, 3, 1, handler) != 0) {
    lua_getfield(L, LUA_REGISTRYINDEX, "lode.traceback");
    fprintf(stderr, "lode: bootstrap failed: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
    return -1;
  }
  for (i = 0; i < LODE__HOOK_COUNT; i++) {
    lua_getfield(L, -1, names[i]);
    if (!lua_isfunction(L, -1)) {
      fprintf(stderr, "lode: bootstrap gave no hook '%s'\n", names[i]);
      lua_settop(L, 0);
      return -1;
    }
    rt->hooks[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_settop(L, 0);
  rt->booted = 1;
  return 0;
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
  rt->on_exit = o->on_exit;
  /* As in Node, a write to a closed pipe or socket is an EPIPE error, not
   * a signal that kills the process. Only when the host lets us own
   * signals. */
  if (o->handle_signals) signal(SIGPIPE, SIG_IGN);
  if (o->argv && o->argc > 0 && !(rt->argv = copy_strv(o->argv, o->argc))) goto fail_rt;
  if (o->allowed_modules &&
      !(rt->allowed = copy_strv((char *const *)o->allowed_modules, -1)))
    goto fail_rt;
  if (o->loop) {
    rt->loop = o->loop;
  } else {
    if (uv_loop_init(&rt->own_loop) != 0) goto fail_rt;
    rt->loop = &rt->own_loop;
    rt->owns_loop = 1;
  }
  /* Each init below only fails on a bad loop, which uv_loop_init ruled
   * out; the handles are closed in lode_close. */
  if (uv_timer_init(rt->loop, &rt->timer) != 0 ||
      uv_check_init(rt->loop, &rt->check) != 0 ||
      uv_idle_init(rt->loop, &rt->idle) != 0)
    goto fail_loop;
  rt->timer.data = rt->check.data = rt->idle.data = rt;
  /* The check handle runs setImmediate's queue but must not keep the loop
   * alive by itself; modules/timer.c starts it. */
  uv_unref((uv_handle_t *)&rt->check);

  L = rt->L = luaL_newstate();
  if (!L) goto fail_loop;
  luaL_openlibs(L);
  lua_pushlightuserdata(L, (void *)&rt_key);
  lua_pushlightuserdata(L, rt);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.bindings");
  lua_pushcfunction(L, traceback);
  rt->traceback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (bootstrap(rt) != 0) {
    lode_free(rt);
    return NULL;
  }
  return rt;

fail_loop:
  /* Nothing but the three internal handles can be on the loop yet. */
  rt->closed = 1;
  uv_close((uv_handle_t *)&rt->timer, NULL);
  uv_close((uv_handle_t *)&rt->check, NULL);
  uv_close((uv_handle_t *)&rt->idle, NULL);
  uv_run(rt->loop, UV_RUN_NOWAIT);
  if (rt->owns_loop) uv_loop_close(rt->loop);
fail_rt:
  free_strv(rt->argv);
  free_strv(rt->allowed);
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
    if (!rt->exiting) fail(rt, 1);
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
  lode__handle_close_all(rt);
  uv_close((uv_handle_t *)&rt->timer, NULL);
  uv_close((uv_handle_t *)&rt->check, NULL);
  uv_close((uv_handle_t *)&rt->idle, NULL);
  /* Close callbacks need Lua (they drop registry references), so Lua is
   * closed only once every handle of ours has closed. */
  while (rt->handles) uv_run(rt->loop, UV_RUN_NOWAIT);
  uv_run(rt->loop, UV_RUN_NOWAIT);
  if (rt->L) {
    lua_close(rt->L);
    rt->L = NULL;
  }
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
  free_strv(rt->argv);
  free_strv(rt->allowed);
  free(rt);
}

int lode__argerror(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  lua_createtable(L, 0, 3);
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_setfield(L, -2, "message");
  lua_pushstring(L, strncmp(code, "ERR_OUT", 7) == 0 ? "RangeError" : "TypeError");
  lua_setfield(L, -2, "name");
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.Error");
  lua_setmetatable(L, -2);
  return lua_error(L);
}

int lode__uverr(lua_State *L, int status) {
  lua_pushnil(L);
  lua_pushinteger(L, status);
  return 2;
}

const char *lode_checkbytes(lua_State *L, int idx, size_t *len) {
  /* The first two fields of every Buffer (lua/buffer.lua's lode_buffer). */
  struct view {
    const char *data;
    size_t length;
  };
  if (lua_type(L, idx) == LUA_TSTRING) return lua_tolstring(L, idx, len);
  if (lua_type(L, idx) == LODE__TCDATA) {
    const struct view *v = (const struct view *)lua_topointer(L, idx);
    *len = v->length;
    return v->data;
  }
  lode__argerror(L, "ERR_INVALID_ARG_TYPE",
                 "The \"data\" argument must be of type string or a Buffer. Received type %s",
                 luaL_typename(L, idx));
  return NULL;
}
