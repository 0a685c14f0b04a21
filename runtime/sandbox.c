/*
 * sandbox.c: the C half of the sandbox (lode_options.sandbox), done on a
 * fresh state before the bootstrap runs. Scripts lose what reaches past
 * the runtime: ffi, io, jit, the dangerous parts of os, package and debug,
 * bytecode loading, and the functions that rewire environments. lode's
 * own lua/ files keep the originals through lode.ienv (boot.c gives every
 * built-in chunk that environment), so a module loaded late still finds
 * io.open or debug.getregistry. The Lua half (process.env, process.kill,
 * ...) is at the end of lua/internal/bootstrap.lua.
 */
#include "internal.h"

#include <string.h>

/* Raises ERR_ACCESS_DENIED naming what the script tried to reach. */
static int deny(lua_State *L, const char *what) {
  return lode__error(L, "ERR_ACCESS_DENIED", "'%s' is not allowed in a sandbox", what);
}

/* A function that stands in for one taken away: it always raises. */
static int l_denied_fn(lua_State *L) {
  return deny(L, lua_tostring(L, lua_upvalueindex(1)));
}

/* __index of a library reduced to its safe part: every other name
 * raises, so os.execute() says why it fails. */
static int l_denied_index(lua_State *L) {
  const char *lib = lua_tostring(L, lua_upvalueindex(1));
  const char *key = lua_tostring(L, 2);
  lua_pushfstring(L, "%s.%s", lib, key ? key : "?");
  return deny(L, lua_tostring(L, -1));
}

static void push_denied_fn(lua_State *L, const char *what) {
  lua_pushstring(L, what);
  lua_pushcclosure(L, l_denied_fn, 1);
}

/* Makes a table with the fields `keep` of the library at idx (NULL for
 * none) and a metatable that refuses any other name. */
static void push_reduced(lua_State *L, int lib, const char *name, const char *const *keep) {
  lib = lode__absindex(L, lib);
  lua_newtable(L);
  for (; keep && *keep; keep++) {
    lua_getfield(L, lib, *keep);
    lua_setfield(L, -2, *keep);
  }
  lua_createtable(L, 0, 2);
  lua_pushstring(L, name);
  lua_pushcclosure(L, l_denied_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

/* Replaces the library `name` with its reduced self, as a global and in
 * package.loaded. */
static void reduce(lua_State *L, int g, int loaded, const char *name, const char *const *keep) {
  lua_getfield(L, g, name);
  push_reduced(L, -1, name, keep);
  lua_pushvalue(L, -1);
  lua_setfield(L, g, name);
  lua_setfield(L, loaded, name);
  lua_pop(L, 1);
}

/* Loads Lua source only: LuaJIT's bytecode loader trusts its input, and a
 * crafted chunk can read and write any memory. */
static int load_text(lua_State *L, const char *s, size_t len, const char *name) {
  if (len > 0 && s[0] == '\033') {
    lua_pushnil(L);
    lua_pushstring(L, "bytecode is not allowed in a sandbox");
    return 2;
  }
  if (luaL_loadbufferx(L, s, len, name, "t") != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

/* loadstring(s [, chunkname]) */
static int l_loadstring(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return load_text(L, s, len, luaL_optstring(L, 2, s));
}

/* load(s or reader [, chunkname]): a reader's pieces are gathered first,
 * so that the first byte can be checked. */
static int l_load(lua_State *L) {
  luaL_Buffer b;
  int n = 0, i;
  const char *name = luaL_optstring(L, 2, "=(load)");
  if (lua_type(L, 1) == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    return load_text(L, s, len, name);
  }
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_newtable(L); /* 3: the pieces */
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TSTRING && lua_objlen(L, -1) == 0)) {
      lua_pop(L, 1);
      break;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pushnil(L);
      lua_pushstring(L, "reader function must return a string");
      return 2;
    }
    lua_rawseti(L, 3, ++n);
  }
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 3, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    return load_text(L, s, len, name);
  }
}

/* collectgarbage: collecting and counting only; stopping the collector
 * or retuning it is the host's. */
static int l_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "collect") != 0 && strcmp(opt, "count") != 0 && strcmp(opt, "step") != 0) {
    lua_pushfstring(L, "collectgarbage('%s')", opt);
    return deny(L, lua_tostring(L, -1));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* Globals lode's own files read at run time that scripts lose, kept in
 * lode.ienv. */
static const char *const kept[] = {
  "io", "os", "debug", "jit", "dofile", "loadfile", "getfenv", "setfenv",
  "collectgarbage", NULL,
};
static const char *const denied_globals[] = {"dofile", "loadfile", "getfenv", "setfenv", NULL};
static const char *const os_keep[] = {"clock", "date", "difftime", "time", NULL};
static const char *const debug_keep[] = {"traceback", NULL};
static const char *const denied_libs[] = {"ffi", "jit", "io", NULL};

void lode__sandbox_c(lode_runtime *rt) {
  lua_State *L = rt->L;
  const char *const *p;
  int g, ienv, pkg, loaded;
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  g = lua_gettop(L);

  /* lode.libs: package.loaded as it was, for lode's own requires, with
   * ffi, which LuaJIT only preloads. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "ffi");
  lua_call(L, 1, 0);
  lua_getglobal(L, "package");
  pkg = lua_gettop(L);
  lua_getfield(L, pkg, "loaded");
  loaded = lua_gettop(L);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, loaded)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.libs");

  /* lode.ienv: the originals, every other name from and to _G. */
  lua_newtable(L);
  ienv = lua_gettop(L);
  for (p = kept; *p; p++) {
    lua_getfield(L, g, *p);
    lua_setfield(L, ienv, *p);
  }
  lua_pushcfunction(L, l_loadstring);
  lua_setfield(L, ienv, "loadstring");
  lua_pushcfunction(L, l_load);
  lua_setfield(L, ienv, "load");
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, g);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, g);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, ienv);
  lua_pushvalue(L, ienv);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.ienv");

  /* What scripts see. */
  for (p = denied_globals; *p; p++) {
    push_denied_fn(L, *p);
    lua_setfield(L, g, *p);
  }
  lua_pushcfunction(L, l_loadstring);
  lua_setfield(L, g, "loadstring");
  lua_pushcfunction(L, l_load);
  lua_setfield(L, g, "load");
  lua_getfield(L, g, "collectgarbage");
  lua_pushcclosure(L, l_collectgarbage, 1);
  lua_setfield(L, g, "collectgarbage");
  reduce(L, g, loaded, "os", os_keep);
  reduce(L, g, loaded, "debug", debug_keep);
  for (p = denied_libs; *p; p++) {
    push_reduced(L, g, *p, NULL);
    lua_setfield(L, g, *p);
    lua_pushnil(L);
    lua_setfield(L, loaded, *p);
  }
  /* jit.util, jit.opt, ...: LuaJIT's own Lua modules. */
  lua_pushnil(L);
  while (lua_next(L, loaded)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING && strncmp(lua_tostring(L, -1), "jit.", 4) == 0) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, loaded); /* clearing a field during lua_next is allowed */
    }
  }
  /* require('ffi') and friends say why they fail; LuaJIT preloads ffi
   * and jit.util. */
  lua_getfield(L, pkg, "preload");
  for (p = denied_libs; *p; p++) {
    push_denied_fn(L, *p);
    lua_setfield(L, -2, *p);
  }
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING && strncmp(lua_tostring(L, -1), "jit.", 4) == 0) {
      lua_pushvalue(L, -1);
      push_denied_fn(L, lua_tostring(L, -1));
      lua_rawset(L, -4); /* replacing a field during lua_next is allowed */
    }
  }
  lua_pop(L, 1);

  /* No C code from disk, and no Lua file found outside lode's module
   * resolution (which checks sandbox_paths): only the preload searcher. */
  push_denied_fn(L, "package.loadlib");
  lua_setfield(L, pkg, "loadlib");
  lua_pushliteral(L, "");
  lua_setfield(L, pkg, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, pkg, "cpath");
  lua_getfield(L, pkg, "loaders");
  lua_createtable(L, 1, 0);
  lua_rawgeti(L, -2, 1);
  lua_rawseti(L, -2, 1);
  lua_setfield(L, pkg, "loaders");
  lua_pop(L, 1);

  /* string.dump hands out bytecode; the strings' metatable is shared
   * with lode's own code, so scripts may not reach it. */
  lua_getfield(L, g, "string");
  push_denied_fn(L, "string.dump");
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_settop(L, g - 1);
}
