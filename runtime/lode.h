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
  LODE_EXIT = -2,  /* process.exit() was called: see lode_exit_code() */
  /* Misuse, never a crash: a NULL or closed runtime, a module name
   * registered twice, or a call that would re-enter the loop (lode_run,
   * lode_step, a run or close function called from inside one of the same
   * runtime's callbacks). */
  LODE_EMISUSE = -3
};

typedef struct lode_options {
  /* process.argv as Node numbers it: argv[0] the executable, argv[1] the
   * script, then its arguments. May be NULL. Copied by lode_new. */
  int argc;
  char **argv;
  /* NULL-terminated list of the built-in modules scripts may require
   * ("fs", "net", ...); NULL allows all of them. */
  const char *const *allowed_modules;
  /* Nonzero: the traceback of each uncaught error nobody handled is also
   * written as process output on fd 2: to stderr with own_stdio (the CLI
   * sets both), else to on_output. */
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
   * wants. Zero (the default): the runtime writes to no descriptor; that
   * output goes to on_output, or nowhere. */
  int own_stdio;
  /* With own_stdio zero: receives what print, console.* and
   * process.stdout/stderr:write produce (fd 1 or 2), and, with
   * print_errors, the traceback of each uncaught error (fd 2). The bytes
   * are the runtime's, valid during the call. Runs on the runtime's
   * thread; it must not call lode_run, lode_step or lode_close. */
  void (*on_output)(lode_runtime *rt, int fd, const char *data, size_t len);
  /* Each uncaught error that no process 'uncaughtException' listener
   * took, with its traceback (valid during the call). When set, the host
   * has handled the error: the runtime goes on serving its other
   * callbacks, as a listener would. NULL: an uncaught error stops the
   * runtime and the run function returns LODE_ERROR, as Node exits. */
  void (*on_error)(lode_runtime *rt, const char *traceback);
  /* The host's own pointer, returned by lode_userdata. */
  void *userdata;
  /* Nonzero: scripts are not trusted. They see only allowed_modules, no
   * ffi, io, jit, os.execute/exit/remove/rename/getenv/tmpname, no
   * package.loadlib or C modules, debug.traceback alone, no bytecode (in
   * load, loadstring, lode_run_buffer or a required file), no dofile,
   * loadfile, getfenv, setfenv or string.dump, an empty process.env, and
   * no require of files outside sandbox_paths. See docs/embedding.md. */
  int sandbox;
  /* Bytes of Lua heap a script may hold; past it an allocation fails and
   * the script gets Lua's "not enough memory" error. 0: no limit. */
  size_t heap_limit;
  /* Longest time in milliseconds a single callback into Lua may run;
   * past it the callback raises an error with code ERR_SCRIPT_TIMEOUT.
   * A callback cut short does not stop the runtime. Nonzero turns
   * LuaJIT's compiler off for this runtime (its compiled loops run no
   * hooks). 0: no budget. */
  unsigned callback_budget_ms;
  /* With sandbox: NULL-terminated list of folders whose files (and
   * sub-folders' files) a script may require. NULL: no file at all, only
   * host modules (lode_preload, lode_preload_source, lode_set_loader).
   * The main script given to lode_run_file is always allowed. Copied. */
  const char *const *sandbox_paths;
} lode_options;

/* A host's source of modules: returns the Lua source (or, outside a
 * sandbox, bytecode) of the module `name` and its length in *len, or NULL
 * when it has none. The bytes stay the host's and must stay valid until
 * the loader's next call. */
typedef const char *(*lode_loader)(void *ud, const char *name, size_t *len);

/* Fills o with the defaults: no argv, every module, no printing, no
 * signals, a loop of the runtime's own, no stdio, no sandbox, no limits. */
LODE_EXTERN void lode_options_init(lode_options *o);

/* Makes a runtime. Returns NULL when memory or the loop cannot be had. */
LODE_EXTERN lode_runtime *lode_new(const lode_options *o);

/* Runs a script file as the main module (require.main), then drains
 * process.nextTick's queue. Returns LODE_OK, LODE_ERROR, LODE_EXIT or
 * LODE_EMISUSE. */
LODE_EXTERN int lode_run_file(lode_runtime *rt, const char *path);

/* Runs a string as the main module; name appears in tracebacks. */
LODE_EXTERN int lode_run_string(lode_runtime *rt, const char *code, const char *name);

/* Runs len bytes from memory as the main module: Lua source, or LuaJIT
 * bytecode outside a sandbox. name appears in tracebacks (NULL:
 * "[buffer]"). Returns like lode_run_file. */
LODE_EXTERN int lode_run_buffer(lode_runtime *rt, const char *code, size_t len, const char *name);

/* Runs the loop until nothing is left to do, emitting 'beforeExit' as Node
 * does, or until lode_stop. Returns LODE_OK, LODE_ERROR, LODE_EXIT or
 * LODE_EMISUSE. */
LODE_EXTERN int lode_run(lode_runtime *rt);

/* Runs the loop once in the given mode (UV_RUN_DEFAULT, UV_RUN_ONCE,
 * UV_RUN_NOWAIT). Returns 1 while the loop has more to do, 0 when it has
 * not, or LODE_ERROR / LODE_EXIT / LODE_EMISUSE. */
LODE_EXTERN int lode_step(lode_runtime *rt, uv_run_mode mode);

/* Thread-safe: the running lode_run or lode_step returns soon with
 * LODE_OK (when none runs, the next one does), and the runtime may be run
 * again later. Returns 0, or LODE_EMISUSE after close. */
LODE_EXTERN int lode_stop(lode_runtime *rt);

/* Thread-safe: fn(rt, data) runs on the runtime's thread in its next loop
 * iteration. Every post runs exactly once, in the order posted; posts
 * still queued when the runtime closes run in lode_close. A post does not
 * keep the loop alive by itself. Returns 0, or LODE_EMISUSE once closed
 * (or when memory runs out). Never call it after lode_free. */
LODE_EXTERN int lode_post(lode_runtime *rt, void (*fn)(lode_runtime *rt, void *data), void *data);

/* Registers a host module: require(name) calls open once and caches its
 * result. Returns 0, or LODE_EMISUSE for a NULL argument, a closed
 * runtime, or a name already registered. */
LODE_EXTERN int lode_preload(lode_runtime *rt, const char *name, lua_CFunction open);

/* Registers a Lua module held in memory (a game's pack file): require(name)
 * runs it as a module (module, exports, require.cache[name]). The bytes
 * are copied. Returns 0 or LODE_EMISUSE (as lode_preload). */
LODE_EXTERN int lode_preload_source(lode_runtime *rt, const char *name, const char *code, size_t len);

/* Sets the host's loader: require asks it for a module's source by name
 * before looking on disk (after host modules and built-ins). fn NULL
 * removes it. Returns 0 or LODE_EMISUSE. */
LODE_EXTERN int lode_set_loader(lode_runtime *rt, lode_loader fn, void *ud);

/* libuv's uv_backend_fd and uv_backend_timeout of the runtime's loop, so
 * a host can poll it from its own loop and call lode_step(UV_RUN_NOWAIT)
 * when the fd is readable or the timeout passed. -1 for a NULL or closed
 * runtime. */
LODE_EXTERN int lode_backend_fd(lode_runtime *rt);
LODE_EXTERN int lode_backend_timeout(lode_runtime *rt);

/* 1 while the loop has work left (uv_loop_alive), else 0; LODE_EMISUSE for
 * a NULL or closed runtime. */
LODE_EXTERN int lode_alive(lode_runtime *rt);

/* The host's pointer from lode_options.userdata (NULL for NULL). */
LODE_EXTERN void *lode_userdata(lode_runtime *rt);

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

/* Emits process 'exit' (once), runs the posts still queued, closes every
 * handle the runtime made, runs the loop until they are closed, closes
 * Lua and, when the runtime owns it, the loop. Returns the exit code.
 * Calling it again does nothing and returns the same code. From inside
 * one of the runtime's callbacks it does nothing and returns
 * LODE_EMISUSE. */
LODE_EXTERN int lode_close(lode_runtime *rt);

/* Closes the runtime if needed and frees it. rt may be NULL. From inside
 * one of the runtime's callbacks it does nothing. */
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
