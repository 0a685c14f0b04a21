/*
 * errors.c: libuv's error names and messages, and the metatable of error
 * tables, so that errors raised from C print like the ones made in Lua.
 * lua/internal/errors.lua builds Node's error tables over it.
 */
#include "../runtime/internal.h"

static int check_errno(lua_State *L) {
  lua_Number n = luaL_checknumber(L, 1);
  if (n >= 0 || n < -4096 || n != (int)n)
    return lode__argerror(L, "ERR_OUT_OF_RANGE",
                          "The value of \"err\" is out of range. It must be a negative integer. Received %f", n);
  return (int)n;
}

/* errname(errno): 'ENOENT'. */
static int l_errname(lua_State *L) {
  lua_pushstring(L, uv_err_name(check_errno(L)));
  return 1;
}

/* strerror(errno): 'no such file or directory'. */
static int l_strerror(lua_State *L) {
  lua_pushstring(L, uv_strerror(check_errno(L)));
  return 1;
}

/* setMeta(mt): the metatable of error tables raised from C. */
static int l_set_meta(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.Error");
  return 0;
}

static const luaL_Reg funcs[] = {
  {"errname", l_errname},
  {"strerror", l_strerror},
  {"setMeta", l_set_meta},
  {NULL, NULL},
};

int luaopen_lode_errors(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
