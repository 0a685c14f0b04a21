/*
 * req.c: the life of a libuv request (uv_fs_t, uv_write_t, ...).
 *
 * made (after every argument check) -> in flight -> its callback ran ->
 * freed. While in flight it holds registry references to its Lua callback
 * and to the values whose bytes libuv reads (a string or Buffer being
 * written), and sits in the runtime's list so that lode_close can cancel
 * it or wait for it. It is freed right after its Lua callback ran, or when
 * the runtime stops and no callback may run.
 */
#include "internal.h"

#include <stdlib.h>

lode__req *lode__req_new(lua_State *L, int cb, const char *type, size_t size) {
  lode_runtime *rt = lode__rt(L);
  lode__req *r;
  if (cb != 0) cb = lode__absindex(L, cb);
  if (size < sizeof(uv_req_t)) size = sizeof(uv_req_t);
  r = (lode__req *)calloc(1, sizeof *r + size);
  if (!r) {
    luaL_error(L, "not enough memory");
    return NULL;
  }
  r->rt = rt;
  r->type = type;
  r->uv->data = r;
  r->hold_ref = LUA_NOREF;
  if (cb != 0 && !lua_isnoneornil(L, cb)) {
    lua_pushvalue(L, cb);
    r->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    r->cb_ref = LUA_NOREF;
  }
  r->next = rt->reqs;
  if (rt->reqs) rt->reqs->prev = r;
  rt->reqs = r;
  return r;
}

void lode__req_hold(lua_State *L, lode__req *r, int idx) {
  idx = lode__absindex(L, idx);
  if (r->held == 0) {
    /* The common case, one string or Buffer, costs no table. */
    lua_pushvalue(L, idx);
    r->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    if (r->held == 1) {
      lua_createtable(L, 2, 0);
      lua_rawgeti(L, LUA_REGISTRYINDEX, r->hold_ref);
      lua_rawseti(L, -2, 1);
      luaL_unref(L, LUA_REGISTRYINDEX, r->hold_ref);
      lua_pushvalue(L, -1);
      r->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
      lua_rawgeti(L, LUA_REGISTRYINDEX, r->hold_ref);
    }
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, r->held + 1);
    lua_pop(L, 1);
  }
  r->held++;
}

lua_State *lode__req_push_cb(lode__req *r) {
  lode_runtime *rt = r->rt;
  if (r->cb_ref == LUA_NOREF || lode__stopped(rt) || !rt->L) return NULL;
  lua_rawgeti(rt->L, LUA_REGISTRYINDEX, r->cb_ref);
  return rt->L;
}

void lode__req_free(lode__req *r) {
  lode_runtime *rt = r->rt;
  if (rt->L) {
    luaL_unref(rt->L, LUA_REGISTRYINDEX, r->cb_ref);
    luaL_unref(rt->L, LUA_REGISTRYINDEX, r->hold_ref);
  }
  if (r->prev) r->prev->next = r->next;
  else if (rt->reqs == r) rt->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  free(r);
}

void lode__req_call(lode__req *r, int nargs) {
  /* The request leaves the list before its callback runs, so a callback
   * that starts the next request of a chain never sees this one. */
  lode_runtime *rt = r->rt;
  lode__req_free(r);
  lode__call(rt, nargs);
}

void lode__req_status(lode__req *r, int status) {
  lua_State *L = lode__req_push_cb(r);
  if (!L) {
    lode__req_free(r);
    return;
  }
  lua_pushinteger(L, status);
  lode__req_call(r, 1);
}

void lode__req_cancel_all(lode_runtime *rt) {
  lode__req *r;
  for (r = rt->reqs; r; r = r->next) {
    /* Only thread-pool requests (fs, getaddrinfo, work) can be cancelled,
     * and only before a thread picked them up: uv_cancel says EBUSY or
     * EINVAL otherwise, and then the request comes back by itself (stream
     * requests when their handle closes). Either way the loop is run
     * until the list is empty, so the result needs no handling. */
    int st = uv_cancel(r->uv);
    (void)st;
  }
}
