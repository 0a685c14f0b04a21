/*
 * call.c: the one path from C into Lua. Every libuv callback enters Lua
 * through lode__call: a traceback handler, a protected call, then the
 * nextTick and microtask queues. An error nobody catches goes to
 * process:on('uncaughtException'), or stops the runtime.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The message handler of every protected call. It keeps the error value
 * as it is (process 'uncaughtException' listeners get the very table that
 * was raised) and leaves the traceback in the registry, from where an
 * unhandled error is printed. A table error without a stack gets one. */
int lode__traceback(lua_State *L) {
  const char *msg = NULL;
  /* A table that already carries a stack (Node prints err.stack) is
   * reported with it: an error raised in a coroutine of lua/coro.lua and
   * rethrown from a tick names the coroutine's frames, not the tick's. */
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_getfield(L, 1, "stack");
    if (lua_type(L, -1) == LUA_TSTRING) {
      lua_setfield(L, LUA_REGISTRYINDEX, "lode.traceback");
      lua_settop(L, 1);
      return 1;
    }
    lua_pop(L, 1);
  }
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

int lode__stopped(lode_runtime *rt) {
  return rt->exiting || rt->failed || rt->closed;
}

void lode__stop(lode_runtime *rt) {
  /* The Lua queues (timers, immediates, ticks) check this flag before each
   * callback, so nothing more runs even when a script caught the error
   * that process.exit() raised. */
  rt->shared[LODE__STOPPED] = 1;
  uv_stop(rt->loop);
}

void lode__exit(lode_runtime *rt, int code) {
  rt->exit_code = code;
  rt->exiting = 1;
  rt->exit_emitted = 1;
  lode__stop(rt);
  if (rt->on_exit) rt->on_exit(rt, code);
}

/* Records an unhandled error (traceback in the registry), hands it to the
 * host, and stops, unless the host took it (on_error) or it was a callback
 * cut short by its budget. */
void lode__fail(lode_runtime *rt, int code) {
  lua_State *L = rt->L;
  const char *tb;
  int timed_out = rt->timed_out;
  rt->timed_out = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  tb = lua_tostring(L, -1);
  free(rt->error);
  rt->error = lode__strdup(tb ? tb : "unknown error");
  lua_pop(L, 1);
  if (!rt->error) return;
  if (rt->print_errors) {
    lode__output(rt, 2, rt->error, strlen(rt->error));
    lode__output(rt, 2, "\n", 1);
  }
  if (rt->on_error) rt->on_error(rt, rt->error);
  if (rt->on_error || timed_out) return;
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
  /* LuaJIT calls no message handler for "not enough memory": that
   * message is the traceback. */
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  if (lua_isnil(L, -1) && lua_type(L, -2) == LUA_TSTRING) {
    lua_pushvalue(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  }
  lua_pop(L, 1);
  if (!rt->exiting) {
    int r;
    lode__push_hook(rt, LODE__HOOK_FATAL);
    lua_insert(L, -2);
    /* 'uncaughtException' listeners are a callback, with their own budget. */
    int timed_out = rt->timed_out;
    if (rt->depth == 1) lode__budget_start(rt);
    r = lua_pcall(L, 1, 1, handler);
    if (rt->depth == 1) lode__budget_end(rt);
    rt->timed_out = rt->timed_out || timed_out;
    if (r != 0) {
      /* A listener raised: that error is the one nobody handled, and
       * Node's exit code for it is 7. */
      if (!rt->exiting) lode__fail(rt, 7);
    } else if (!lua_toboolean(L, -1) && !rt->exiting) {
      lode__fail(rt, 1);
    }
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.traceback");
  rt->timed_out = 0;
}

int lode__call(lode_runtime *rt, int nargs) {
  lua_State *L = rt->L;
  int handler, ok = 0, r;
  if (lode__stopped(rt)) {
    lua_pop(L, nargs + 1);
    return -1;
  }
  handler = lua_gettop(L) - nargs;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  lua_insert(L, handler);
  rt->shared[LODE__NOW] = (double)uv_now(rt->loop);
  /* Only the outermost call counts the budget and the heap limit: a
   * nested one (a host function that calls back into Lua) is part of it. */
  if (rt->depth++ == 0) lode__budget_start(rt);
  r = lua_pcall(L, nargs, 0, handler);
  if (rt->depth == 1) lode__budget_end(rt);
  if (r != 0) {
    report(rt, handler);
    ok = -1;
  }
  /* process.nextTick's queue is drained after every callback, with a
   * budget of its own. The Lua side clears the flag when the queue is
   * empty; a raising tick leaves the rest of the queue for the next round
   * of this loop. */
  while (rt->shared[LODE__TICKS] != 0 && !lode__stopped(rt)) {
    lode__push_hook(rt, LODE__HOOK_TICKS);
    if (rt->depth == 1) lode__budget_start(rt);
    r = lua_pcall(L, 0, 0, handler);
    if (rt->depth == 1) lode__budget_end(rt);
    if (r != 0) report(rt, handler);
  }
  rt->depth--;
  lua_remove(L, handler);
  return ok;
}

/* Raises {code, message, name} with the message on the top of the stack. */
static int raise_error(lua_State *L, const char *name, const char *code) {
  lua_createtable(L, 0, 3);
  lua_insert(L, -2);
  lua_setfield(L, -2, "message");
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, name);
  lua_setfield(L, -2, "name");
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.Error");
  lua_setmetatable(L, -2);
  return lua_error(L);
}

int lode__argerror(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return raise_error(L, strncmp(code, "ERR_OUT", 7) == 0 ? "RangeError" : "TypeError", code);
}

int lode__error(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return raise_error(L, "Error", code);
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
    const lode_runtime *rt = lode__rt(L);
    const struct view *v = (const struct view *)lua_topointer(L, idx);
    /* Only a Buffer has this header: another cdata (an int64_t, say) read
     * as one would hand out a pointer made of its bits. */
    if (rt->ctypeid_at && ((const uint16_t *)v)[-rt->ctypeid_at] == rt->buffer_ctypeid) {
      *len = v->length;
      return v->data;
    }
  }
  lode__argerror(L, "ERR_INVALID_ARG_TYPE",
                 "The \"data\" argument must be of type string or a Buffer. Received type %s",
                 luaL_typename(L, idx));
  return NULL;
}
