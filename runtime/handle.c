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

lode__handle *lode__handle_new(lua_State *L, const char *mt, const char *type) {
  lode_runtime *rt = lode__rt(L);
  lode__handle **ud;
  lode__handle *h;
  ud = (lode__handle **)lua_newuserdata(L, sizeof *ud);
  *ud = NULL;
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
  h = (lode__handle *)calloc(1, sizeof *h);
  if (!h) {
    luaL_error(L, "out of memory");
    return NULL;
  }
  *ud = h;
  h->rt = rt;
  h->type = type;
  h->u.handle.data = h;
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
  if (ud) *ud = NULL;
  free(h);
}

lode__handle *lode__handle_check(lua_State *L, int idx, const char *mt) {
  lode__handle **ud = (lode__handle **)luaL_checkudata(L, idx, mt);
  if (!*ud || ((*ud)->flags & (LODE__H_CLOSING | LODE__H_CLOSED)))
    lode__argerror(L, "ERR_INVALID_STATE", "the %s handle is closed", mt);
  return *ud;
}

static void on_close(uv_handle_t *uh) {
  lode__handle *h = (lode__handle *)uh->data;
  lode_runtime *rt = h->rt;
  h->flags |= LODE__H_CLOSED;
  unlink_handle(h);
  if (rt->L && h->ref != LUA_NOREF) {
    luaL_unref(rt->L, LUA_REGISTRYINDEX, h->ref);
    h->ref = LUA_NOREF;
  }
  if (h->flags & LODE__H_COLLECTED) free(h);
}

void lode__handle_close(lode__handle *h) {
  if (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED)) return;
  h->flags |= LODE__H_CLOSING;
  uv_close(&h->u.handle, on_close);
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
