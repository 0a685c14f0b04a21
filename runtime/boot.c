/*
 * boot.c: the bundle of lua/ files, the table of C bindings, and the
 * bootstrap that hands the Lua side its options and takes its hooks.
 */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Built-in modules a sandboxed script may require when the host gave no
 * allowed_modules: those that reach neither files, nor the network, nor
 * other processes. */
static const char *const sandbox_modules[] = {
  "assert", "buffer", "console", "events", "path", "process", "punycode",
  "querystring", "stream", "string_decoder", "timers", "url", "util", NULL,
};

/* Gives the chunk on the top of the stack the environment lode's own
 * lua/ files run with. In a sandbox that is lode.ienv: the names taken
 * from scripts (io, os, debug, ...) as they were, and every other global
 * read from and written to _G. */
static void set_internal_env(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.ienv");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_setfenv(L, -2);
}

/* builtin(name): the function of a bundled Lua file, or nil and a message.
 * With the lua_dir option set, lua/ is read from that folder instead: a
 * switch for developing lode itself without rebuilding. */
static int l_builtin(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lode_runtime *rt = lode__rt(L);
  const lode__bundled *b;
  if (rt->lua_dir) {
    lua_pushfstring(L, "%s/%s.lua", rt->lua_dir, name);
    if (luaL_loadfile(L, lua_tostring(L, -1)) != 0) {
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
    }
    set_internal_env(L);
    return 1;
  }
  for (b = lode__bundle; b->name; b++) {
    if (strcmp(b->name, name) == 0) {
      if (luaL_loadbuffer(L, (const char *)b->code, b->size, name) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
      }
      set_internal_env(L);
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

/* binding(name): a C binding's table, opened once and cached. */
static int l_binding(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const lode__binding *b;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.bindings");
  lua_getfield(L, -1, name);
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  for (b = lode__bindings; b->name; b++) {
    if (strcmp(b->name, name) == 0) {
      lua_pushcfunction(L, b->open);
      lua_call(L, 0, 1);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, name);
      return 1;
    }
  }
  return luaL_error(L, "no binding '%s'", name);
}

/* hostSource(name): the source of a host module, from lode_preload_source
 * or the host's loader, or nil. module.lua asks it before the disk. */
static int l_host_source(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lode_runtime *rt = lode__rt(L);
  const char *src;
  size_t len = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.sources");
  lua_getfield(L, -1, name);
  if (!lua_isnil(L, -1)) return 1;
  if (!rt->loader) return 0;
  src = rt->loader(rt->loader_ud, name, &len);
  if (!src) return 0;
  lua_pushlstring(L, src, len);
  return 1;
}

/* canLoad(kind, where): in a sandbox, whether require may run the file at
 * `where` (a real path): never a C module, else only inside a folder of
 * sandbox_paths. */
static int l_can_load(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  const char *where = luaL_checkstring(L, 2);
  lode_runtime *rt = lode__rt(L);
  char buf[PATH_MAX];
  char **p;
  int ok = 0;
  if (strcmp(kind, "c") != 0 && rt->sandbox_paths && realpath(where, buf)) {
    for (p = rt->sandbox_paths; *p && !ok; p++)
      ok = strncmp(buf, *p, strlen(*p)) == 0;
  }
  lua_pushboolean(L, ok);
  return 1;
}

/* Writes a message about a failed boot where process output goes. */
static void boot_error(lode_runtime *rt, const char *what, const char *msg) {
  char line[1024];
  int n = snprintf(line, sizeof line, "lode: %s: %s\n", what, msg ? msg : "?");
  if (n > 0) lode__output(rt, 2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void push_strv(lua_State *L, char **v, int from) {
  int i;
  lua_newtable(L);
  for (i = 0; v && v[i]; i++) {
    lua_pushstring(L, v[i]);
    lua_rawseti(L, -2, i + from);
  }
}

/* options.slots: { NOW = 0, ... }, from the one list in internal.h. */
static void push_slots(lua_State *L) {
  int i = 0;
  lua_newtable(L);
#define LODE__PUSH_SLOT(name) (lua_pushinteger(L, i++), lua_setfield(L, -2, #name));
  LODE__SLOTS(LODE__PUSH_SLOT)
#undef LODE__PUSH_SLOT
}

#define LODE__HOOK_NAME(id, name) #name,
static const char *const hook_names[LODE__HOOK_COUNT] = { LODE__HOOKS(LODE__HOOK_NAME) };
#undef LODE__HOOK_NAME

int lode__bootstrap(lode_runtime *rt) {
  lua_State *L = rt->L;
  int i, handler;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->traceback_ref);
  handler = lua_gettop(L);
  lua_pushcfunction(L, l_builtin);
  lua_pushstring(L, "internal/bootstrap");
  if (lua_pcall(L, 1, 2, handler) != 0 || lua_isnil(L, -2)) {
    boot_error(rt, "cannot load the bootstrap", lua_tostring(L, -1));
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
  } else if (rt->sandbox) {
    push_strv(L, (char **)sandbox_modules, 1);
    lua_setfield(L, -2, "allowed");
  }
  lua_pushboolean(L, rt->sandbox);
  lua_setfield(L, -2, "sandbox");
  if (rt->sandbox) {
    lua_pushcfunction(L, l_can_load);
    lua_setfield(L, -2, "canLoad");
  }
  lua_pushcfunction(L, l_host_source);
  lua_setfield(L, -2, "hostSource");
  /* Lua's libraries as they were, for lode's own requires: a sandbox
   * takes some out of package.loaded. */
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.libs");
  lua_setfield(L, -2, "libs");
  lua_pushboolean(L, rt->handle_signals);
  lua_setfield(L, -2, "signals");
  lua_pushboolean(L, rt->own_stdio);
  lua_setfield(L, -2, "ownStdio");
  lua_pushlightuserdata(L, rt->shared);
  lua_setfield(L, -2, "shared");
  push_slots(L);
  lua_setfield(L, -2, "slots");
  lua_createtable(L, LODE__HOOK_COUNT, 0);
  for (i = 0; i < LODE__HOOK_COUNT; i++) {
    lua_pushstring(L, hook_names[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "hooks");
  lua_pushcfunction(L, l_builtins);
  lua_setfield(L, -2, "builtins");
  if (lua_pcall(L, 3, 1, handler) != 0) {
    lua_getfield(L, LUA_REGISTRYINDEX, "lode.traceback");
    boot_error(rt, "bootstrap failed", lua_tostring(L, -1));
    lua_settop(L, 0);
    return -1;
  }
  for (i = 0; i < LODE__HOOK_COUNT; i++) {
    lua_getfield(L, -1, hook_names[i]);
    if (!lua_isfunction(L, -1)) {
      boot_error(rt, "bootstrap gave no hook", hook_names[i]);
      lua_settop(L, 0);
      return -1;
    }
    rt->hooks[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_settop(L, 0);
  rt->booted = 1;
  return 0;
}
