/*
 * internal.h: what the runtime and the bindings in modules/ share.
 * Nothing here is part of the public API, and nothing here is exported
 * from liblode.so (the library is built with hidden visibility).
 *
 * Rules every binding follows:
 *
 *  - A binding is one file in modules/ defining
 *      int luaopen_lode_<name>(lua_State *L);
 *    The build finds it by that signature (CMakeLists.txt) and lua/ reaches
 *    it as binding('<name>'). Adding one edits nothing in runtime/.
 *  - Every argument is checked before anything is allocated or referenced:
 *    a handle or request is made last, just before the libuv call.
 *  - C returns libuv's negative codes as (nil, errno) (lode__uverr) and
 *    builds no messages; lua/internal/errors.lua makes Node's error tables.
 *  - No binding ever calls a Lua callback synchronously. When a libuv call
 *    fails at once, the binding frees what it made and returns (nil,
 *    errno); the Lua layer defers the callback (process.nextTick), as Node
 *    does. A callback only ever runs from the loop, through lode__call.
 *  - Bindings do not touch the fields of lode_runtime: they call the
 *    lode__ functions below. lode__rt(L) is the one way to find the
 *    runtime from Lua, h->rt and r->rt from a libuv callback.
 */
#ifndef LODE_INTERNAL_H
#define LODE_INTERNAL_H

#include "lode.h"
#include "compat.h"

#include <lauxlib.h>
#include <lualib.h>

/* The slots of the array of doubles that C and Lua both read and write
 * without a call (Lua reaches it through the FFI). This list is the only
 * place they are numbered: C hands the numbers to Lua at boot as
 * options.slots (bootstrap.lua, internal/ticks.lua, timers.lua read them
 * from there). */
#define LODE__SLOTS(X)                                                  \
  X(NOW)     /* uv_now() when the current callback started */           \
  X(TICKS)   /* nonzero while the nextTick or microtask queue has work */ \
  X(STOPPED) /* process.exit() or an unhandled error: run nothing */

/* The Lua functions the runtime calls, by the name under which a module
 * registers them in require('internal/hooks'). C hands the names to the
 * bootstrap, which returns each one; bindings keep their own callbacks
 * (in their handles' environments) and are not listed here. */
#define LODE__HOOKS(X)                                                  \
  X(RUN_MAIN, runMain)         /* runMain(kind, what, name) */          \
  X(TICKS, processTicks)       /* drains the nextTick queue */          \
  X(FATAL, fatal)              /* fatal(err): true when a listener took it */ \
  X(BEFORE_EXIT, beforeExit)   /* emits process 'beforeExit' */         \
  X(EXIT, exit)                /* emits process 'exit', returns the code */

#define LODE__ENUM_SLOT(name) LODE__##name,
enum { LODE__SLOTS(LODE__ENUM_SLOT) LODE__SHARED_SIZE };
#undef LODE__ENUM_SLOT

#define LODE__ENUM_HOOK(id, name) LODE__HOOK_##id,
enum { LODE__HOOKS(LODE__ENUM_HOOK) LODE__HOOK_COUNT };
#undef LODE__ENUM_HOOK

typedef struct lode__handle lode__handle;
typedef struct lode__post {
  void (*fn)(lode_runtime *rt, void *data);
  void *data;
} lode__post;
typedef struct lode__req lode__req;

/* libuv's handle and request types all begin with the fields of
 * uv_handle_t (uv_req_t), which is how libuv itself reads them; going
 * through void * says so to the compiler. */
static inline void *lode__mem(void *p) { return p; }

struct lode_runtime {
  lua_State *L;
  lua_Alloc allocf; /* LuaJIT's own allocator, which lode_alloc wraps */
  void *allocud;
  uv_loop_t *loop;
  uv_loop_t own_loop;
  int owns_loop;
  int print_errors;
  int handle_signals;
  int own_stdio;
  int booted; /* the bootstrap ran and gave its hooks */
  int closed;
  /* Set by process.exit(): no further callback runs, loops stop. */
  int exiting;
  /* Set when an uncaught error had no listener. */
  int failed;
  int exit_code;
  int exit_emitted;
  void (*on_exit)(lode_runtime *rt, int code);
  char *error;   /* last uncaught error with traceback, malloc'ed */
  char *lua_dir; /* load lua/ from this folder instead of the bundle */
  void (*on_output)(lode_runtime *rt, int fd, const char *data, size_t len);
  void (*on_error)(lode_runtime *rt, const char *traceback);
  void *userdata;
  int sandbox;
  /* Heap accounting of lode_alloc: bytes LuaJIT holds, and the limit
   * enforced while a callback runs (0: none). */
  size_t heap_used, heap_limit;
  int limit_on;
  int over_limit; /* the limit refused an allocation: headroom to handle it */
  /* Callback budget: nanoseconds, and the uv_hrtime() past which the count
   * hook raises ERR_SCRIPT_TIMEOUT (0 outside a call). */
  uint64_t budget_ns, deadline;
  int timed_out; /* the hook raised: the error does not stop the runtime */
  /* How many calls into Lua or the host's post callbacks are under way:
   * nonzero, lode_run/lode_step/lode_close would re-enter. */
  int depth;
  /* The host's loader (lode_set_loader). */
  lode_loader loader;
  void *loader_ud;
  char **sandbox_paths;
  /* lode_post and lode_stop: a queue under a mutex, woken by an async
   * handle that does not keep the loop alive. Posts are moved out of the
   * queue under the lock and run outside it, in order. stop_asked is read
   * and written under the lock too. */
  uv_async_t wake;
  uv_mutex_t lock;
  int wake_ready;   /* wake and lock were initialized */
  int post_closed;  /* lode_close began: lode_post refuses */
  int stop_asked;   /* lode_stop: the loop stops in its next iteration */
  int host_stopped; /* the loop stopped because of lode_stop */
  struct lode__post *posts, *spare;
  size_t nposts, cap, spare_cap;
  /* The ctype id of lua/buffer.lua's lode_buffer, and where a cdata keeps
   * its ctype id, in uint16_t units before its payload (set by the buffer
   * module through binding('runtime').bufferType; 0 until then, and then
   * lode_checkbytes takes no cdata at all). */
  int buffer_ctypeid, ctypeid_at;
  int hooks[LODE__HOOK_COUNT];
  int traceback_ref; /* the message handler, a C function */
  /* Handles and requests the runtime made, so that closing it can close
   * every handle and wait for (or cancel) every request, even on a loop
   * it shares with a host. */
  lode__handle *handles;
  lode__req *reqs;
  double shared[LODE__SHARED_SIZE];
  /* argv as given, and which built-ins scripts may require. */
  int argc;
  char **argv;
  char **allowed;
};

/* The runtime that owns L. */
lode_runtime *lode__rt(lua_State *L);

/* The one path from C into Lua: calls the function below nargs arguments
 * on the stack with a traceback handler, then drains process.nextTick's
 * queue. An error goes to process 'uncaughtException' or stops the loop.
 * Pops the function and its arguments. Returns 0, or -1 when the call
 * failed (already reported) or did not run because the runtime stops. */
int lode__call(lode_runtime *rt, int nargs);

/* Nonzero once process.exit() ran, an error went unhandled, or the
 * runtime is closing: a binding's loop over callbacks ends there. */
int lode__stopped(lode_runtime *rt);

/* process.exit(code): records the code, stops every further callback and
 * the loop, then calls the host's on_exit. */
void lode__exit(lode_runtime *rt, int code);

/* Writes process output (fd 1 or 2): to the descriptor when the runtime
 * owns stdio, else to the host's on_output, or nowhere. Returns 0 or a
 * negative libuv status. */
int lode__output(lode_runtime *rt, int fd, const char *data, size_t len);

/* Handles.
 *
 * A libuv handle owned by a Lua object: a full userdata holding a pointer
 * to a malloc'ed lode__handle, whose last member is the libuv handle,
 * sized for its type by the binding. While the handle is open the
 * userdata is referenced from the registry (ref), so the collector cannot
 * take it while libuv holds the handle; the close callback drops the
 * reference. The struct is freed by whichever of the close callback and
 * __gc runs last. The userdata's environment table holds the handle's Lua
 * callbacks (onsignal, onread, ...). */
enum {
  LODE__H_CLOSING = 1,
  LODE__H_CLOSED = 2,
  LODE__H_COLLECTED = 4,
  LODE__H_INTERNAL = 8 /* the runtime's own: not listed as open */
};

struct lode__handle {
  lode__handle *next, *prev; /* the runtime's list of open handles */
  lode_runtime *rt;
  int ref;                   /* registry ref to the userdata while open */
  int flags;
  const char *type;          /* "signal", "tcp", ... for leak reports */
  void (*on_close)(lode__handle *h); /* optional, before the ref drops */
  uv_handle_t uv[];          /* the handle, `size` bytes (see _new) */
};

/* The libuv handle of h as its own type: LODE__UV(h, uv_tcp_t). */
#define LODE__UV(h, T) ((T *)lode__mem((h)->uv))

/* Makes a handle userdata of the given metatable name with `size` bytes
 * for the libuv handle (sizeof(uv_tcp_t), or a binding's struct that
 * starts with one), registered in the runtime's list and referenced from
 * the registry. Leaves the userdata on the stack; raises only when memory
 * runs out, before anything is registered. The caller then initializes
 * the handle with libuv, and calls lode__handle_abort if that fails. */
lode__handle *lode__handle_new(lua_State *L, const char *mt, const char *type, size_t size);
/* Undoes lode__handle_new when uv_*_init failed (the handle was never
 * given to libuv). The userdata must be on the top of the stack. */
void lode__handle_abort(lua_State *L, lode__handle *h);
/* The open handle at idx, raising ERR_INVALID_ARG_TYPE when idx is not a
 * handle of type mt and ERR_INVALID_STATE when it is closed. */
lode__handle *lode__handle_check(lua_State *L, int idx, const char *mt);
/* The handle at idx whether or not it is open (NULL once collected). */
lode__handle *lode__handle_get(lua_State *L, int idx, const char *mt);
/* Starts closing; harmless when already closing or closed. */
void lode__handle_close(lode__handle *h);
/* The __gc metamethod shared by every handle type. */
int lode__handle_gc(lua_State *L);
/* Closes every handle in the runtime's list. */
void lode__handle_close_all(lode_runtime *rt);
/* Pushes the Lua table of callbacks of a handle (its environment). */
void lode__handle_push_env(lua_State *L, lode__handle *h);
/* Pushes the callback `name` of h; returns 0 (and pushes nothing) when it
 * has none or the runtime stops, so the caller simply returns. */
int lode__handle_push_cb(lode__handle *h, const char *name);
/* Pushes a list of the types of the open handles made for scripts. */
void lode__handle_push_open(lua_State *L, lode_runtime *rt);
/* Makes a metatable for a handle type: methods as __index, the shared
 * __gc. Leaves nothing on the stack. */
void lode__handle_meta(lua_State *L, const char *mt, const luaL_Reg *methods);

/* Requests.
 *
 * One lifetime for every libuv request (uv_fs_t, uv_write_t, uv_connect_t,
 * uv_shutdown_t, uv_udp_send_t, uv_getaddrinfo_t, ...): made after every
 * argument check, it holds its Lua callback and the values it needs alive
 * (the string or Buffer being written) until it completes; its callback
 * runs through lode__call, and it frees itself after. The runtime keeps a
 * list of requests in flight: lode_close cancels those libuv can cancel
 * and runs the loop until every one has come back, before Lua closes. */
struct lode__req {
  lode__req *next, *prev; /* the runtime's list of requests in flight */
  lode_runtime *rt;
  int cb_ref;             /* the Lua callback, or LUA_NOREF */
  int hold_ref;           /* what is kept alive, or LUA_NOREF */
  int held;               /* how many values hold_ref keeps */
  const char *type;
  uv_req_t uv[];          /* the request, `size` bytes (see _new) */
};

#define LODE__REQ(r, T) ((T *)lode__mem((r)->uv))

/* Makes a request with `size` bytes for the libuv request (sizeof
 * (uv_fs_t), or a binding's struct that starts with one: a uv_write_t
 * followed by its uv_buf_t array). cb is the stack index of its Lua
 * callback, or 0 for none. r->uv->data is set to r. Raises only when
 * memory runs out, before anything is referenced. */
lode__req *lode__req_new(lua_State *L, int cb, const char *type, size_t size);
/* Keeps the value at idx alive until the request is freed. */
void lode__req_hold(lua_State *L, lode__req *r, int idx);
/* The request a libuv request belongs to. */
#define lode__req_of(uvreq) ((lode__req *)(uvreq)->data)
/* In the libuv callback: pushes the Lua callback and returns the state
 * to push its arguments on, or returns NULL (nothing pushed) when there
 * is no callback or the runtime stops; then the caller frees r. */
lua_State *lode__req_push_cb(lode__req *r);
/* Calls the callback pushed by lode__req_push_cb with the nargs values
 * pushed after it, through lode__call, then frees r. */
void lode__req_call(lode__req *r, int nargs);
/* Drops every reference r holds, unlinks and frees it. Also undoes
 * lode__req_new when the libuv call failed at once. */
void lode__req_free(lode__req *r);
/* The whole callback of a request whose result is a status (connect,
 * shutdown): calls back cb(status), or frees r when no callback may run. */
void lode__req_status(lode__req *r, int status);
/* Asks libuv to cancel every request in flight that it can cancel. */
void lode__req_cancel_all(lode_runtime *rt);

/* Raises an error table {code, message} the Lua layer understands. */
int lode__argerror(lua_State *L, const char *code, const char *fmt, ...);

/* The same with the name "Error" (ERR_ACCESS_DENIED, ERR_SCRIPT_TIMEOUT). */
int lode__error(lua_State *L, const char *code, const char *fmt, ...);

/* Pushes nil and an error number (a negative libuv status): the shape every
 * binding returns on failure, turned into error tables in lua/. */
int lode__uverr(lua_State *L, int status);

/* Between the files of runtime/ only. */
int lode__traceback(lua_State *L);           /* the message handler */
void lode__push_hook(lode_runtime *rt, int hook);
void lode__stop(lode_runtime *rt);           /* stops callbacks and the loop */
void lode__fail(lode_runtime *rt, int code); /* an error nobody handled */
int lode__bootstrap(lode_runtime *rt);       /* runs internal/bootstrap */
void lode__sandbox_c(lode_runtime *rt);      /* C half of the sandbox */
void lode__budget_start(lode_runtime *rt);   /* before a call into Lua */
void lode__budget_end(lode_runtime *rt);     /* after it */
char *lode__strdup(const char *s);

/* The bundled Lua sources (bytecode), generated by the build. */
typedef struct lode__bundled {
  const char *name;
  const unsigned char *code;
  size_t size;
} lode__bundled;
extern const lode__bundled lode__bundle[];

/* The C bindings, generated by the build from the files in modules/. */
typedef struct lode__binding {
  const char *name;
  lua_CFunction open;
} lode__binding;
extern const lode__binding lode__bindings[];

#endif
