/*
 * compat.h: the one place for shims over the Lua C API. Only LuaJIT 2.1's
 * API exists (Lua 5.1 plus a few 5.2 functions): no lua_absindex,
 * lua_rawgetp, luaL_requiref or lua_isinteger.
 */
#ifndef LODE_COMPAT_H
#define LODE_COMPAT_H

#include <lua.h>

/* A stack index that stays valid after pushes. */
#define lode__absindex(L, i) \
  ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

/* LuaJIT reports cdata as a type number of its own, not in lua.h. */
#define LODE__TCDATA 10

#endif
