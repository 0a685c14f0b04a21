/*
 * handle.c: the life of a libuv handle owned by a Lua object.
 *
 * open -> closing -> closed. The Lua object is a full userdata holding a
 * pointer to a malloc'ed lode__handle (libuv may hold the handle after Lua
 * lets go of the object). A registry reference keeps the userdata alive
 * while the handle is open; the close callback drops it. The memory is
 * freed by whichever of the close callback and __gc comes last.
 */
#include "internal.h"

#include <stdlib.h>

static void unlink_handle(lode__handle *h) {
  lode_runtime *rt = h->rt;
  if (h->prev) h->prev->next = h->next;
  else if (rt->handles == h) rt->handles = h->next;
  if (h->next) h->next->prev = h->prev;
  h->next = h->prev = NULL;
}

lode__handle *lode__handle_new(lua_State *L, const char *mt, const char *type, size_t size) {
  lode_runtime *rt = lode__rt(L);
  lode__handle **ud;
  lode__handle *h;
  ud = (lode__handle **)lua_newuserdata(L, sizeof *ud);
  *ud = NULL;
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
  if (size < sizeof(uv_handle_t)) size = sizeof(uv_handle_t);
  h = (lode__handle *)calloc(1, sizeof *h + size);
  if (!h) {
    luaL_error(L, "not enough memory");
    return NULL;
  }
  *ud = h;
  h->rt = rt;
  h->type = type;
  h->uv->data = h;
  /* The table of Lua callbacks (onsignal, ...) is the userdata's fenv. */
  lua_newtable(L);
  lua_setfenv(L, -2);
  lua_pushvalue(L, -1);
  h->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  h->next = rt->handles;
  if (rt->handles) rt->handles->prev = h;
  rt->handles = h;
  return h;
}

void lode__handle_abort(lua_State *L, lode__handle *h) {
  lode__handle **ud = (lode__handle **)lua_touserdata(L, -1);
  unlink_handle(h);
  luaL_unref(L, LUA_REGISTRYINDEX, h->ref);
  if (ud && *ud == h) *ud = NULL;
  free(h);
}

/* The userdata at idx when its metatable is mt's, else NULL. */
static lode__handle **to_ud(lua_State *L, int idx, const char *mt) {
  void *p = lua_touserdata(L, idx);
  int same;
  if (!p || !lua_getmetatable(L, idx)) return NULL;
  luaL_getmetatable(L, mt);
  same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? (lode__handle **)p : NULL;
}

lode__handle *lode__handle_get(lua_State *L, int idx, const char *mt) {
  lode__handle **ud = to_ud(L, idx, mt);
  if (!ud)
    lode__argerror(L, "ERR_INVALID_ARG_TYPE", "The \"handle\" argument must be a %s handle. Received type %s",
                   mt, luaL_typename(L, idx));
  return *ud;
}

lode__handle *lode__handle_check(lua_State *L, int idx, const char *mt) {
  lode__handle *h = lode__handle_get(L, idx, mt);
  if (!h || (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED)))
    lode__argerror(L, "ERR_INVALID_STATE", "the %s handle is closed", mt);
  return h;
}

static void on_close(uv_handle_t *uh) {
  lode__handle *h = (lode__handle *)uh->data;
  lode_runtime *rt = h->rt;
  h->flags |= LODE__H_CLOSED;
  unlink_handle(h);
  if (h->on_close) h->on_close(h);
  if (rt->L && h->ref != LUA_NOREF) {
    luaL_unref(rt->L, LUA_REGISTRYINDEX, h->ref);
    h->ref = LUA_NOREF;
  }
  if (h->flags & LODE__H_COLLECTED) free(h);
}

void lode__handle_close(lode__handle *h) {
  if (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED)) return;
  h->flags |= LODE__H_CLOSING;
  uv_close(h->uv, on_close);
}

void lode__handle_close_all(lode_runtime *rt) {
  lode__handle *h;
  for (h = rt->handles; h; h = h->next) lode__handle_close(h);
}

int lode__handle_gc(lua_State *L) {
  lode__handle **ud = (lode__handle **)lua_touserdata(L, 1);
  lode__handle *h = ud ? *ud : NULL;
  if (!h) return 0;
  *ud = NULL;
  h->flags |= LODE__H_COLLECTED;
  if (h->flags & LODE__H_CLOSED) free(h);
  else lode__handle_close(h); /* only at lua_close: open handles are referenced */
  return 0;
}

void lode__handle_push_env(lua_State *L, lode__handle *h) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ref);
  lua_getfenv(L, -1);
  lua_remove(L, -2);
}

int lode__handle_push_cb(lode__handle *h, const char *name) {
  lua_State *L = h->rt->L;
  if (lode__stopped(h->rt) || h->ref == LUA_NOREF) return 0;
  lode__handle_push_env(L, h);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

void lode__handle_push_open(lua_State *L, lode_runtime *rt) {
  lode__handle *h;
  int n = 0;
  lua_newtable(L);
  for (h = rt->handles; h; h = h->next) {
    if (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED | LODE__H_INTERNAL)) continue;
    lua_pushstring(L, h->type);
    lua_rawseti(L, -2, ++n);
  }
}

void lode__handle_meta(lua_State *L, const char *mt, const luaL_Reg *methods) {
  luaL_newmetatable(L, mt);
  lua_newtable(L);
  luaL_register(L, NULL, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lode__handle_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}
