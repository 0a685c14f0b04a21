/*
 * signal.c: uv_signal_t handles for process:on('SIGINT', ...). A signal
 * handle never keeps the loop alive (Node's rule), so it is unref'ed.
 */
#include "../runtime/internal.h"

#define MT "lode.signal"

static void on_signal(uv_signal_t *s, int signum) {
  lode__handle *h = (lode__handle *)s->data;
  lua_State *L = h->rt->L;
  lode__handle_push_env(L, h);
  lua_getfield(L, -1, "onsignal");
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushinteger(L, signum);
  lode__call(h->rt, 1);
}

/* new(signum, fn): a started signal handle that calls fn(signum). */
static int l_new(lua_State *L) {
  int signum = (int)luaL_checkinteger(L, 1);
  lode__handle *h;
  int r;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (signum <= 0 || signum >= 65)
    return lode__argerror(L, "ERR_UNKNOWN_SIGNAL", "Unknown signal: %d", signum);
  h = lode__handle_new(L, MT, "signal");
  if ((r = uv_signal_init(h->rt->loop, &h->u.signal)) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, r);
  }
  h->u.handle.data = h;
  if ((r = uv_signal_start(&h->u.signal, on_signal, signum)) != 0) {
    lode__handle_close(h);
    return lode__uverr(L, r);
  }
  uv_unref(&h->u.handle);
  lua_getfenv(L, -1);
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "onsignal");
  lua_pop(L, 1);
  return 1;
}

static int l_close(lua_State *L) {
  lode__handle **ud = (lode__handle **)luaL_checkudata(L, 1, MT);
  if (*ud) lode__handle_close(*ud);
  return 0;
}

static const luaL_Reg funcs[] = {
  {"new", l_new},
  {NULL, NULL},
};

static const luaL_Reg methods[] = {
  {"close", l_close},
  {NULL, NULL},
};

int lode__open_signal(lua_State *L) {
  luaL_newmetatable(L, MT);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lode__handle_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  return 1;
}
