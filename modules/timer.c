/*
 * timer.c: the C side of timers and immediates.
 *
 * Every setTimeout and setInterval lives in Lua (lua/timers.lua keeps one
 * queue per duration, ordered by expiry); C owns one uv_timer_t that fires
 * when the earliest of them is due. setImmediate's queue is Lua's too: the
 * check handle runs it, and the idle handle, started while a ref'ed
 * immediate waits, keeps the poll phase from blocking.
 */
#include "../runtime/internal.h"

static lode_runtime *rt_of(lua_State *L) {
  return (lode_runtime *)lua_touserdata(L, lua_upvalueindex(1));
}

/* Runs a queue hook. A callback that raises leaves the queue where it
 * was (each entry leaves it before it runs); once the error has been
 * reported, the hook is called again to run the rest. lode__call refuses
 * to run once the runtime stops, which ends this loop. */
static void run_queue(lode_runtime *rt, int hook) {
  do {
    lode__push_hook(rt, hook);
  } while (lode__call(rt, 0) != 0 && !(rt->exiting || rt->failed || rt->closed));
}

static void on_timer(uv_timer_t *t) {
  run_queue((lode_runtime *)t->data, LODE__HOOK_TIMERS);
}

static void on_check(uv_check_t *c) {
  lode_runtime *rt = (lode_runtime *)c->data;
  if (rt->shared[LODE__IMMEDIATES] != 0) run_queue(rt, LODE__HOOK_IMMEDIATES);
}

static void on_idle(uv_idle_t *i) {
  (void)i; /* Being active is its whole job. */
}

/* start(ms): (re)arms the one timer to fire in ms milliseconds. */
static int l_start(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  lua_Number ms = luaL_checknumber(L, 1);
  int r;
  if (ms < 0) ms = 0;
  r = uv_timer_start(&rt->timer, on_timer, (uint64_t)ms, 0);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_stop(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  int r = uv_timer_stop(&rt->timer);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* ref(on): whether the pending timers keep the loop alive. */
static int l_ref(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  if (lua_toboolean(L, 1)) uv_ref((uv_handle_t *)&rt->timer);
  else uv_unref((uv_handle_t *)&rt->timer);
  return 0;
}

/* immediateRef(on): a ref'ed immediate is waiting, or none is. */
static int l_immediate_ref(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  int r = lua_toboolean(L, 1) ? uv_idle_start(&rt->idle, on_idle)
                              : uv_idle_stop(&rt->idle);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* The loop's time in ms, refreshed first, as Node's getLibuvNow(): a
 * timer set after long synchronous work still waits its whole delay.
 * Lua calls it through the FFI (see nowfn), so it takes the runtime as a
 * plain pointer. */
static double fresh_now(void *p) {
  lode_runtime *rt = (lode_runtime *)p;
  uv_update_time(rt->loop);
  return (double)uv_now(rt->loop);
}

/* nowfn(): fresh_now and its argument, for ffi.cast. */
static int l_nowfn(lua_State *L) {
  lua_pushlightuserdata(L, (void *)(uintptr_t)fresh_now);
  lua_pushlightuserdata(L, rt_of(L));
  return 2;
}

static const luaL_Reg funcs[] = {
  {"nowfn", l_nowfn},
  {"start", l_start},
  {"stop", l_stop},
  {"ref", l_ref},
  {"immediateRef", l_immediate_ref},
  {NULL, NULL},
};

int lode__open_timers(lua_State *L) {
  lode_runtime *rt = lode__rt(L);
  int r;
  if (!uv_is_active((uv_handle_t *)&rt->check) &&
      (r = uv_check_start(&rt->check, on_check)) != 0)
    return luaL_error(L, "cannot start the check handle: %s", uv_strerror(r));
  lua_newtable(L);
  lua_pushlightuserdata(L, rt);
  luaL_setfuncs(L, funcs, 1);
  return 1;
}
