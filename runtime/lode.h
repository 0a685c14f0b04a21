/*
 * lode.h: the whole public C API of liblode.
 *
 * A runtime is one lua_State and one uv_loop_t, driven from one thread.
 * Several runtimes may live in one process, one per thread. Nothing in the
 * library calls exit(): uncaught errors and process.exit() come back as
 * return values, and the host decides what to do.
 *
 * A typical host:
 *
 *   lode_options o;
 *   lode_options_init(&o);
 *   lode_runtime *rt = lode_new(&o);
 *   int st = lode_run_file(rt, "main.lua");
 *   if (st == LODE_OK) st = lode_run(rt);
 *   int code = lode_close(rt);
 *   lode_free(rt);
 *
 * A game steps the loop once per frame instead of calling lode_run:
 *
 *   while (playing) { lode_step(rt, UV_RUN_NOWAIT); ... }
 */
#ifndef LODE_H
#define LODE_H

#include <stddef.h>
#include <lua.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LODE_VERSION_MAJOR 0
#define LODE_VERSION_MINOR 1
#define LODE_VERSION_PATCH 0
#define LODE_VERSION "0.1.0"

/* Everything this header declares is exported from liblode.so, and
 * nothing else is: the library is built with hidden visibility. */
#if defined(__GNUC__)
#define LODE_EXTERN __attribute__((visibility("default")))
#else
#define LODE_EXTERN
#endif

typedef struct lode_runtime lode_runtime;

/* Status codes returned by the run functions. */
enum {
  LODE_OK = 0,     /* finished normally, or there is more to do (lode_step) */
  LODE_ERROR = -1, /* an uncaught error nobody handled: see lode_error() */
  LODE_EXIT = -2   /* process.exit() was called: see lode_exit_code() */
};

typedef struct lode_options {
  /* process.argv as Node numbers it: argv[0] the executable, argv[1] the
   * script, then its arguments. May be NULL. Copied by lode_new. */
  int argc;
  char **argv;
  /* NULL-terminated list of the built-in modules scripts may require
   * ("fs", "net", ...); NULL allows all of them. */
  const char *const *allowed_modules;
  /* Nonzero: uncaught errors are also printed to stderr (the CLI sets it). */
  int print_errors;
  /* Nonzero: process:on('SIGINT', ...) and friends may install signal
   * handlers. A host that owns its signals leaves it at 0. */
  int handle_signals;
  /* An existing loop to run on, owned by the host; NULL makes one. */
  uv_loop_t *loop;
  /* Called by process.exit(code) once the 'exit' listeners have run. A
   * host may end the process there, as the CLI does, so that exit never
   * returns, as in Node. When it returns (or is NULL), process.exit()
   * raises to unwind the script, no further callback runs, and the run
   * function returns LODE_EXIT. */
  void (*on_exit)(lode_runtime *rt, int code);
  /* Load lode's own lua/ files from this folder instead of the copy built
   * into the library (the CLI passes $LODE_LUA_DIR): for working on lode
   * itself without rebuilding. NULL: the built-in copy. Copied. */
  const char *lua_dir;
  /* Nonzero: the runtime owns file descriptors 0-2, and process.stdout,
   * process.stderr, print and console write to fds 1 and 2, as the CLI
   * wants. Zero (the default): the runtime writes to no descriptor it was
   * not handed; that output is dropped. */
  int own_stdio;
} lode_options;

/* Fills o with the defaults: no argv, every module, no printing, no
 * signals, a loop of the runtime's own. */
LODE_EXTERN void lode_options_init(lode_options *o);

/* Makes a runtime. Returns NULL when memory or the loop cannot be had. */
LODE_EXTERN lode_runtime *lode_new(const lode_options *o);

/* Runs a script file as the main module (require.main), then drains
 * process.nextTick's queue. Returns LODE_OK, LODE_ERROR or LODE_EXIT. */
LODE_EXTERN int lode_run_file(lode_runtime *rt, const char *path);

/* Runs a string as the main module; name appears in tracebacks. */
LODE_EXTERN int lode_run_string(lode_runtime *rt, const char *code, const char *name);

/* Runs the loop until nothing is left to do, emitting 'beforeExit' as Node
 * does. Returns LODE_OK, LODE_ERROR or LODE_EXIT. */
LODE_EXTERN int lode_run(lode_runtime *rt);

/* Runs the loop once in the given mode (UV_RUN_DEFAULT, UV_RUN_ONCE,
 * UV_RUN_NOWAIT). Returns 1 while the loop has more to do, 0 when it has
 * not, or LODE_ERROR / LODE_EXIT. */
LODE_EXTERN int lode_step(lode_runtime *rt, uv_run_mode mode);

/* Registers a host module: require(name) calls open and caches its result.
 * Returns 0, or -1 when the runtime is closed. */
LODE_EXTERN int lode_preload(lode_runtime *rt, const char *name, lua_CFunction open);

/* The runtime's Lua state and loop, for hosts that add their own things. */
LODE_EXTERN lua_State *lode_state(lode_runtime *rt);
LODE_EXTERN uv_loop_t *lode_loop(lode_runtime *rt);

/* The runtime that owns L, or NULL. */
LODE_EXTERN lode_runtime *lode_from_state(lua_State *L);

/* The last uncaught error with its traceback, or NULL. Owned by the
 * runtime; valid until the next run call or lode_free. */
LODE_EXTERN const char *lode_error(lode_runtime *rt);

/* process.exitCode, or the code given to process.exit(). */
LODE_EXTERN int lode_exit_code(lode_runtime *rt);

/* Emits process 'exit' (once), closes every handle the runtime made, runs
 * the loop until they are closed, closes Lua and, when the runtime owns it,
 * the loop. Returns the exit code. Calling it again does nothing and
 * returns the same code. */
LODE_EXTERN int lode_close(lode_runtime *rt);

/* Closes the runtime if needed and frees it. rt may be NULL. */
LODE_EXTERN void lode_free(lode_runtime *rt);

/* For C bindings: the bytes of a Lua string or a Buffer at idx, without a
 * copy. Raises ERR_INVALID_ARG_TYPE for anything else. The pointer is valid
 * while the value stays reachable from Lua. The Lua layer checks that a
 * cdata is a Buffer (ffi.istype) before it hands it to C: C cannot tell
 * one ctype from another. */
LODE_EXTERN const char *lode_checkbytes(lua_State *L, int idx, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* LODE_H */
