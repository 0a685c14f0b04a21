/*
 * timer.c: the C side of timers and immediates.
 *
 * Every setTimeout and setInterval lives in Lua (lua/timers.lua keeps one
 * queue per duration, ordered by expiry); C owns one uv_timer_t that fires
 * when the earliest of them is due. setImmediate's queue is Lua's too: a
 * check handle runs it, and an idle handle, started while a ref'ed
 * immediate waits, keeps the poll phase from blocking.
 *
 * The three handles are the runtime's own (not listed as open); they are
 * made once per runtime, by init(), and closed with the runtime. Their Lua
 * callbacks live in their environments, like any handle's.
 */
#include "../runtime/internal.h"

#define MT "lode.timers"

/* The check handle carries the count of queued immediates, which Lua
 * writes through the FFI, so that an idle loop does not call into Lua. */
typedef struct {
  uv_check_t check;
  double immediates;
} check_state;

typedef struct {
  lode__handle *timer, *check, *idle;
} timers;

static timers *state(lua_State *L) {
  timers *t = (timers *)lua_touserdata(L, lua_upvalueindex(1));
  if (!t->timer)
    lode__argerror(L, "ERR_INVALID_STATE", "timers are not initialized");
  return t;
}

/* Runs a queue callback. A callback that raises leaves the queue where it
 * was (each entry leaves it before it runs); once the error has been
 * reported, the queue is run again for the rest. lode__call refuses to
 * run once the runtime stops, which ends this loop. */
static void run_queue(lode__handle *h) {
  while (lode__handle_push_cb(h, "onrun") && lode__call(h->rt, 0) != 0 && !lode__stopped(h->rt)) {}
}

static void on_timer(uv_timer_t *t) {
  run_queue((lode__handle *)t->data);
}

static void on_check(uv_check_t *c) {
  check_state *cs = (check_state *)(void *)c;
  if (cs->immediates != 0) run_queue((lode__handle *)c->data);
}

static void on_idle(uv_idle_t *i) {
  (void)i; /* Being active is its whole job. */
}

/* Makes one internal handle with its callback; leaves nothing on the
 * stack (the handle is kept by its registry reference until closed). */
static lode__handle *make(lua_State *L, size_t size, int cb) {
  lode__handle *h = lode__handle_new(L, MT, "timer", size);
  h->flags |= LODE__H_INTERNAL;
  if (cb) {
    lua_getfenv(L, -1);
    lua_pushvalue(L, cb);
    lua_setfield(L, -2, "onrun");
    lua_pop(L, 1);
  }
  return h;
}

/* init(ontimer, onimmediates): makes the handles; returns the address of
 * the count of queued immediates, for the FFI. */
static int l_init(lua_State *L) {
  timers *t = (timers *)lua_touserdata(L, lua_upvalueindex(1));
  lode_runtime *rt = lode__rt(L);
  int r;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (t->timer) return lode__argerror(L, "ERR_INVALID_STATE", "timers are already initialized");
  t->timer = make(L, sizeof(uv_timer_t), 1);
  if ((r = uv_timer_init(rt->loop, LODE__UV(t->timer, uv_timer_t))) != 0) {
    lode__handle_abort(L, t->timer);
    t->timer = NULL;
    return lode__uverr(L, r);
  }
  lua_pop(L, 1);
  t->check = make(L, sizeof(check_state), 2);
  if ((r = uv_check_init(rt->loop, LODE__UV(t->check, uv_check_t))) != 0) {
    lode__handle_abort(L, t->check);
    t->check = NULL;
    lode__handle_close(t->timer);
    t->timer = NULL;
    return lode__uverr(L, r);
  }
  lua_pop(L, 1);
  t->idle = make(L, sizeof(uv_idle_t), 0);
  if ((r = uv_idle_init(rt->loop, LODE__UV(t->idle, uv_idle_t))) != 0) {
    lode__handle_abort(L, t->idle);
    t->idle = NULL;
    lode__handle_close(t->timer);
    lode__handle_close(t->check);
    t->timer = t->check = NULL;
    return lode__uverr(L, r);
  }
  lua_pop(L, 1);
  /* The check handle runs setImmediate's queue but must not keep the
   * loop alive by itself (the idle handle does that while one waits). */
  if ((r = uv_check_start(LODE__UV(t->check, uv_check_t), on_check)) != 0)
    return lode__uverr(L, r);
  uv_unref(t->check->uv);
  lua_pushlightuserdata(L, &LODE__UV(t->check, check_state)->immediates);
  return 1;
}

/* start(ms): (re)arms the one timer to fire in ms milliseconds. */
static int l_start(lua_State *L) {
  timers *t = state(L);
  lua_Number ms = luaL_checknumber(L, 1);
  int r;
  if (!(ms >= 0)) ms = 0;
  r = uv_timer_start(LODE__UV(t->timer, uv_timer_t), on_timer, (uint64_t)ms, 0);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_stop(lua_State *L) {
  timers *t = state(L);
  int r = uv_timer_stop(LODE__UV(t->timer, uv_timer_t));
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* ref(on): whether the pending timers keep the loop alive. */
static int l_ref(lua_State *L) {
  timers *t = state(L);
  if (lua_toboolean(L, 1)) uv_ref(t->timer->uv);
  else uv_unref(t->timer->uv);
  return 0;
}

/* immediateRef(on): a ref'ed immediate is waiting, or none is. */
static int l_immediate_ref(lua_State *L) {
  timers *t = state(L);
  uv_idle_t *idle = LODE__UV(t->idle, uv_idle_t);
  int r = lua_toboolean(L, 1) ? uv_idle_start(idle, on_idle) : uv_idle_stop(idle);
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* The loop's time in ms, refreshed first, as Node's getLibuvNow(): a
 * timer set after long synchronous work still waits its whole delay.
 * Lua calls it through the FFI (see nowfn), so it takes the loop as a
 * plain pointer. */
static double fresh_now(void *p) {
  uv_loop_t *loop = (uv_loop_t *)p;
  uv_update_time(loop);
  return (double)uv_now(loop);
}

/* nowfn(): fresh_now and its argument, for ffi.cast. */
static int l_nowfn(lua_State *L) {
  lua_pushlightuserdata(L, (void *)(uintptr_t)fresh_now);
  lua_pushlightuserdata(L, lode__rt(L)->loop);
  return 2;
}

static const luaL_Reg funcs[] = {
  {"init", l_init},
  {"nowfn", l_nowfn},
  {"start", l_start},
  {"stop", l_stop},
  {"ref", l_ref},
  {"immediateRef", l_immediate_ref},
  {NULL, NULL},
};

static const luaL_Reg methods[] = {
  {NULL, NULL},
};

int luaopen_lode_timers(lua_State *L) {
  timers *t;
  lode__handle_meta(L, MT, methods);
  lua_newtable(L);
  t = (timers *)lua_newuserdata(L, sizeof *t);
  t->timer = t->check = t->idle = NULL;
  luaL_openlib(L, NULL, funcs, 1);
  return 1;
}
