/*
 * pipe.c: uv_pipe_t handles: unix domain sockets for net, and pipes on
 * stdio. Reading, writing and listening are the shared stream methods
 * (stream.c).
 */
#include "stream.h"

#include <stdlib.h>

#define MT LODE__MT_PIPE

/* new([ipc]): a pipe handle not yet bound, connected or opened. */
static int l_new(lua_State *L) {
  /* Read before the handle's userdata is pushed (it would be at 1). */
  int ipc = lua_toboolean(L, 1);
  lode__handle *h = lode__stream_new(L, MT, "pipe", UV_NAMED_PIPE);
  int st = uv_pipe_init(h->rt->loop, LODE__UV(h, uv_pipe_t), ipc);
  if (st != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, st);
  }
  return 1;
}

static int l_open(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int st = uv_pipe_open(LODE__UV(h, uv_pipe_t), (uv_file)luaL_checkinteger(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_bind(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int st = uv_pipe_bind(LODE__UV(h, uv_pipe_t), luaL_checkstring(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static void on_connect(uv_connect_t *c, int status) {
  lode__req_status(lode__req_of(c), status);
}

/* connect(path, cb): cb(status); libuv reports every failure there. */
static int l_connect(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  const char *path = luaL_checkstring(L, 2);
  lode__req *r;
  luaL_checktype(L, 3, LUA_TFUNCTION);
  r = lode__req_new(L, 3, "connect", sizeof(uv_connect_t));
  uv_pipe_connect(LODE__REQ(r, uv_connect_t), LODE__UV(h, uv_pipe_t), path, on_connect);
  lua_pushboolean(L, 1);
  return 1;
}

static int push_name(lua_State *L, int peer) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  char small[256], *p = small;
  size_t len = sizeof small;
  int st;
  for (;;) {
    st = peer ? uv_pipe_getpeername(LODE__UV(h, uv_pipe_t), p, &len)
              : uv_pipe_getsockname(LODE__UV(h, uv_pipe_t), p, &len);
    if (st != UV_ENOBUFS || p != small) break;
    if (!(p = (char *)malloc(len + 1))) return luaL_error(L, "not enough memory");
  }
  if (st == 0) lua_pushlstring(L, p, len);
  if (p != small) free(p);
  return st == 0 ? 1 : lode__uverr(L, st);
}

static int l_getsockname(lua_State *L) { return push_name(L, 0); }
static int l_getpeername(lua_State *L) { return push_name(L, 1); }

static int l_chmod(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int st = uv_pipe_chmod(LODE__UV(h, uv_pipe_t), (int)luaL_checkinteger(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"new", l_new},
  {NULL, NULL},
};

static const luaL_Reg methods[] = {
  {"open", l_open},
  {"bind", l_bind},
  {"connect", l_connect},
  {"getsockname", l_getsockname},
  {"getpeername", l_getpeername},
  {"chmod", l_chmod},
  {NULL, NULL},
};

int luaopen_lode_pipe(lua_State *L) {
  lode__stream_meta(L, MT, methods);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushinteger(L, UV_READABLE);
  lua_setfield(L, -2, "READABLE");
  lua_pushinteger(L, UV_WRITABLE);
  lua_setfield(L, -2, "WRITABLE");
  return 1;
}
