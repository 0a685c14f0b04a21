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

/* bufferType(buf, id): records the Buffer ctype id for lode_checkbytes.
 * LuaJIT keeps a cdata's ctype id in its GC header, right before the
 * payload lua_topointer returns: 3 uint16_t back with 64-bit GC references
 * (GC64), 1 back without. The sample Buffer shows which layout this LuaJIT
 * has; a layout that matches neither leaves cdata refused, never misread. */
static int l_buffer_type(lua_State *L) {
  lode_runtime *rt = lode__rt(L);
  const uint16_t *p;
  lua_Integer id = luaL_checkinteger(L, 2);
  luaL_argcheck(L, lua_type(L, 1) == LODE__TCDATA, 1, "a Buffer expected");
  p = (const uint16_t *)lua_topointer(L, 1);
  rt->buffer_ctypeid = (int)id;
  rt->ctypeid_at = p[-3] == id ? 3 : p[-1] == id ? 1 : 0;
  lua_pushboolean(L, rt->ctypeid_at != 0);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"bufferType", l_buffer_type},
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
