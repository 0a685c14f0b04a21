/*
 * runtime.c: what the Lua side asks of the runtime itself: process.exit,
 * the list of open handles (for leak checks), process output, versions.
 */
#include "../runtime/internal.h"

#include <luajit.h>

/* exit(code): process.exit() was called. No further callback runs and
 * the loop stops at the end of its current round. */
static int l_exit(lua_State *L) {
  lode__exit(lode__rt(L), (int)luaL_optinteger(L, 1, 0));
  return 0;
}

/* handles(): the type of every open, not closing handle the runtime made
 * for scripts, ref'ed or not. */
static int l_handles(lua_State *L) {
  lode__handle_push_open(L, lode__rt(L));
  return 1;
}

/* output(fd, data): writes a string or Buffer to fd 1 or 2, whole, where
 * the runtime's output goes (see lode__output). Returns true, or nil and
 * a status. */
static int l_output(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  size_t len;
  const char *p;
  int r;
  if (fd != 1 && fd != 2)
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. It must be 1 or 2");
  p = lode_checkbytes(L, 2, &len);
  r = lode__output(lode__rt(L), (int)fd, p, len);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"exit", l_exit},
  {"handles", l_handles},
  {"output", l_output},
  {NULL, NULL},
};

int luaopen_lode_runtime(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushstring(L, uv_version_string());
  lua_setfield(L, -2, "uv");
  lua_pushstring(L, LUAJIT_VERSION);
  lua_setfield(L, -2, "luajit");
  lua_pushstring(L, LODE_VERSION);
  lua_setfield(L, -2, "lode");
  return 1;
}
