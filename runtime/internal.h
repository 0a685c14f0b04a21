/*
 * internal.h: what the runtime and the bindings in modules/ share.
 * Nothing here is part of the public API.
 */
#ifndef LODE_INTERNAL_H
#define LODE_INTERNAL_H

#include "lode.h"
#include "compat.h"

#include <lauxlib.h>
#include <lualib.h>

/* Slots of the array of doubles that C and the Lua side of the runtime
 * both read and write without a call (Lua reaches it through the FFI).
 * Only bootstrap.lua and timers.lua use it. */
enum {
  LODE__NOW = 0,        /* uv_now() when the current callback started */
  LODE__TICKS = 1,      /* nonzero while process.nextTick's queue has work */
  LODE__IMMEDIATES = 2, /* how many setImmediate callbacks are queued */
  LODE__STOPPED = 3,    /* process.exit() or an unhandled error: run nothing */
  LODE__SHARED_SIZE = 4
};

/* Lua functions the bootstrap hands back to C, kept as registry refs. */
enum {
  LODE__HOOK_RUN_MAIN,    /* runMain(kind, what): runs the main module */
  LODE__HOOK_TICKS,       /* processTicks(): drains the nextTick queue */
  LODE__HOOK_FATAL,       /* fatal(err): true when a listener took it */
  LODE__HOOK_BEFORE_EXIT, /* beforeExit(): emits process 'beforeExit' */
  LODE__HOOK_EXIT,        /* exit(): emits process 'exit', returns code */
  LODE__HOOK_TIMERS,      /* processTimers(): runs due timers */
  LODE__HOOK_IMMEDIATES,  /* processImmediates(): runs the check queue */
  LODE__HOOK_COUNT
};

typedef struct lode__handle lode__handle;

struct lode_runtime {
  lua_State *L;
  uv_loop_t *loop;
  uv_loop_t own_loop;
  int owns_loop;
  int print_errors;
  int handle_signals;
  int booted; /* the bootstrap ran and gave its hooks */
  int closed;
  /* Set by process.exit(): no further callback runs, loops stop. */
  int exiting;
  /* Set when an uncaught error had no listener. */
  int failed;
  int exit_code;
  int exit_emitted;
  void (*on_exit)(lode_runtime *rt, int code);
  char *error; /* last uncaught error with traceback, malloc'ed */
  int hooks[LODE__HOOK_COUNT];
  int traceback_ref; /* the message handler, a C function */
  /* Handles the runtime made, so it can close them all at shutdown even on
   * a loop it shares with a host. */
  lode__handle *handles;
  /* The timers and immediates machinery: one timer for every setTimeout
   * (the queue lives in Lua), a check handle for setImmediate and an idle
   * handle that keeps the loop from blocking while immediates wait. */
  uv_timer_t timer;
  uv_check_t check;
  uv_idle_t idle;
  double shared[LODE__SHARED_SIZE];
  /* argv as given, and which built-ins scripts may require. */
  int argc;
  char **argv;
  char **allowed;
};

/* A libuv handle owned by a Lua object (a full userdata holding a pointer
 * to this struct). While the handle is open the userdata is referenced
 * from the registry (ref), so the collector cannot take it while libuv
 * holds the handle; the close callback drops the reference. The struct is
 * freed by whichever of the close callback and __gc runs last. */
enum { LODE__H_CLOSING = 1, LODE__H_CLOSED = 2, LODE__H_COLLECTED = 4 };

struct lode__handle {
  lode__handle *next, *prev; /* the runtime's list of open handles */
  lode_runtime *rt;
  int ref;                   /* registry ref to the userdata while open */
  int flags;
  const char *type;          /* "signal", "tcp", ... for leak reports */
  union {
    uv_handle_t handle;
    uv_signal_t signal;
    uv_timer_t timer;
  } u;
};

/* The runtime that owns L (stored in the registry at creation). */
lode_runtime *lode__rt(lua_State *L);

/* The one path from C into Lua: calls the function below nargs arguments
 * on the stack with a traceback handler, then drains process.nextTick's
 * queue. An error goes to process 'uncaughtException' or stops the loop.
 * Pops the function and its arguments. Returns 0, or -1 when the call
 * failed (already reported). Does nothing once the runtime is exiting. */
int lode__call(lode_runtime *rt, int nargs);

/* Pushes the hook function. */
void lode__push_hook(lode_runtime *rt, int hook);

/* Stops the loop after process.exit() or an unhandled error. */
void lode__stop(lode_runtime *rt);

/* Makes a handle userdata of the given metatable name, registered in the
 * runtime's list and referenced from the registry. Leaves the userdata on
 * the stack. The caller then initializes h->u with libuv. */
lode__handle *lode__handle_new(lua_State *L, const char *mt, const char *type);
/* Undoes lode__handle_new when uv_*_init failed (the handle was never
 * given to libuv). */
void lode__handle_abort(lua_State *L, lode__handle *h);
/* The handle at idx, raising a clear error if it is closed or wrong. */
lode__handle *lode__handle_check(lua_State *L, int idx, const char *mt);
/* Starts closing; harmless when already closing or closed. */
void lode__handle_close(lode__handle *h);
/* The __gc metamethod shared by every handle type. */
int lode__handle_gc(lua_State *L);
/* Closes every handle in the runtime's list. */
void lode__handle_close_all(lode_runtime *rt);
/* Pushes the Lua table of callbacks of a handle (its fenv). */
void lode__handle_push_env(lua_State *L, lode__handle *h);

/* Raises an error table {code, message} the Lua layer understands. */
int lode__argerror(lua_State *L, const char *code, const char *fmt, ...);

/* Pushes nil and an error number (a negative libuv status): the shape every
 * binding returns on failure, turned into error tables in lua/. */
int lode__uverr(lua_State *L, int status);

/* The bundled Lua sources (bytecode). */
typedef struct lode__bundled {
  const char *name;
  const unsigned char *code;
  size_t size;
} lode__bundled;
extern const lode__bundled lode__bundle[];

/* C bindings, reached from lua/ with binding(name). */
int lode__open_uv(lua_State *L);
int lode__open_timers(lua_State *L);
int lode__open_process(lua_State *L);
int lode__open_signal(lua_State *L);

#endif
