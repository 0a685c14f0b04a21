/*
 * signal.c: uv_signal_t handles for process:on('SIGINT', ...). A signal
 * handle never keeps the loop alive (Node's rule), so it is unref'ed.
 */
#include "../runtime/internal.h"

#define MT "lode.signal"

static void on_signal(uv_signal_t *s, int signum) {
  lode__handle *h = (lode__handle *)s->data;
  if (!lode__handle_push_cb(h, "onsignal")) return;
  lua_pushinteger(h->rt->L, signum);
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
  h = lode__handle_new(L, MT, "signal", sizeof(uv_signal_t));
  if ((r = uv_signal_init(h->rt->loop, LODE__UV(h, uv_signal_t))) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, r);
  }
  if ((r = uv_signal_start(LODE__UV(h, uv_signal_t), on_signal, signum)) != 0) {
    lode__handle_close(h);
    return lode__uverr(L, r);
  }
  uv_unref(h->uv);
  lua_getfenv(L, -1);
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "onsignal");
  lua_pop(L, 1);
  return 1;
}

static int l_close(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, MT);
  if (h) lode__handle_close(h);
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

int luaopen_lode_signal(lua_State *L) {
  lode__handle_meta(L, MT, methods);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
