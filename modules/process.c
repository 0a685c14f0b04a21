/*
 * process.c: what lua/process.lua needs from the operating system. Every
 * function returns its result, or nil and a negative libuv status that the
 * Lua side turns into an error table.
 */
#include "../runtime/internal.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Signal names and numbers, as os.constants.signals has them. */
static const struct {
  const char *name;
  int num;
} signals[] = {
  {"SIGHUP", SIGHUP}, {"SIGINT", SIGINT}, {"SIGQUIT", SIGQUIT},
  {"SIGILL", SIGILL}, {"SIGTRAP", SIGTRAP}, {"SIGABRT", SIGABRT},
  {"SIGIOT", SIGIOT}, {"SIGBUS", SIGBUS}, {"SIGFPE", SIGFPE},
  {"SIGKILL", SIGKILL}, {"SIGUSR1", SIGUSR1}, {"SIGSEGV", SIGSEGV},
  {"SIGUSR2", SIGUSR2}, {"SIGPIPE", SIGPIPE}, {"SIGALRM", SIGALRM},
  {"SIGTERM", SIGTERM}, {"SIGCHLD", SIGCHLD}, {"SIGSTKFLT", SIGSTKFLT},
  {"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP}, {"SIGTSTP", SIGTSTP},
  {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU}, {"SIGURG", SIGURG},
  {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ}, {"SIGVTALRM", SIGVTALRM},
  {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},
  {"SIGPOLL", SIGPOLL}, {"SIGPWR", SIGPWR}, {"SIGSYS", SIGSYS},
  {NULL, 0},
};

static int ok(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

/* Calls a libuv getter that fills a buffer of *size bytes. */
typedef int (*getter)(char *buf, size_t *size);

static int push_got(lua_State *L, getter get) {
  char buf[4096];
  size_t n = sizeof buf;
  int r = get(buf, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_pushlstring(L, buf, n);
  return 1;
}

static int l_cwd(lua_State *L) { return push_got(L, uv_cwd); }
static int l_execpath(lua_State *L) { return push_got(L, uv_exepath); }

static int l_chdir(lua_State *L) {
  int r = uv_chdir(luaL_checkstring(L, 1));
  return r ? lode__uverr(L, r) : ok(L);
}

static int l_getenv(lua_State *L) {
  const char *k = luaL_checkstring(L, 1);
  const char *v = getenv(k);
  if (!v) return 0;
  lua_pushstring(L, v);
  return 1;
}

static int l_setenv(lua_State *L) {
  int r = uv_os_setenv(luaL_checkstring(L, 1), luaL_checkstring(L, 2));
  return r ? lode__uverr(L, r) : ok(L);
}

static int l_unsetenv(lua_State *L) {
  int r = uv_os_unsetenv(luaL_checkstring(L, 1));
  return r ? lode__uverr(L, r) : ok(L);
}

/* environ(): a table of every variable, read fresh each time. */
static int l_environ(lua_State *L) {
  uv_env_item_t *items;
  int n, i, r = uv_os_environ(&items, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_createtable(L, 0, n);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, items[i].value);
    lua_setfield(L, -2, items[i].name);
  }
  uv_os_free_environ(items, n);
  return 1;
}

static int l_pid(lua_State *L) {
  lua_pushinteger(L, uv_os_getpid());
  return 1;
}

static int l_ppid(lua_State *L) {
  lua_pushinteger(L, uv_os_getppid());
  return 1;
}

static int l_signals(lua_State *L) {
  int i;
  lua_newtable(L);
  for (i = 0; signals[i].name; i++) {
    lua_pushinteger(L, signals[i].num);
    lua_setfield(L, -2, signals[i].name);
  }
  return 1;
}

/* kill(pid, signum) */
static int l_kill(lua_State *L) {
  lua_Number pid = luaL_checknumber(L, 1), sig = luaL_checknumber(L, 2);
  int r;
  /* No value may wrap around to 0 (the process group) or another pid. */
  if (!(pid >= INT_MIN && pid <= INT_MAX && sig >= INT_MIN && sig <= INT_MAX))
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "pid or signal out of range");
  r = uv_kill((int)pid, (int)sig);
  return r ? lode__uverr(L, r) : ok(L);
}

/* rss(): the resident set size in bytes. */
static int l_rss(lua_State *L) {
  size_t rss;
  int r = uv_resident_set_memory(&rss);
  if (r != 0) return lode__uverr(L, r);
  lua_pushnumber(L, (lua_Number)rss);
  return 1;
}

static lua_Number usec(uv_timeval_t t) {
  return (lua_Number)t.tv_sec * 1e6 + (lua_Number)t.tv_usec;
}

/* rusage(): Node's resourceUsage() fields (times in microseconds). */
static int l_rusage(lua_State *L) {
  uv_rusage_t ru;
  int r = uv_getrusage(&ru);
  if (r != 0) return lode__uverr(L, r);
  lua_createtable(L, 0, 16);
#define F(name, v) (lua_pushnumber(L, (lua_Number)(v)), lua_setfield(L, -2, name))
  F("userCPUTime", usec(ru.ru_utime));
  F("systemCPUTime", usec(ru.ru_stime));
  F("maxRSS", ru.ru_maxrss);
  F("sharedMemorySize", ru.ru_ixrss);
  F("unsharedDataSize", ru.ru_idrss);
  F("unsharedStackSize", ru.ru_isrss);
  F("minorPageFault", ru.ru_minflt);
  F("majorPageFault", ru.ru_majflt);
  F("swappedOut", ru.ru_nswap);
  F("fsRead", ru.ru_inblock);
  F("fsWrite", ru.ru_oublock);
  F("ipcSent", ru.ru_msgsnd);
  F("ipcReceived", ru.ru_msgrcv);
  F("signalsCount", ru.ru_nsignals);
  F("voluntaryContextSwitches", ru.ru_nvcsw);
  F("involuntaryContextSwitches", ru.ru_nivcsw);
#undef F
  return 1;
}

static int l_umask(lua_State *L) {
  mode_t old;
  if (lua_isnoneornil(L, 1)) {
    old = umask(0);
    umask(old);
  } else {
    old = umask((mode_t)luaL_checkinteger(L, 1));
  }
  lua_pushinteger(L, (lua_Integer)old);
  return 1;
}

static int l_gettitle(lua_State *L) {
  char buf[512];
  int r = uv_get_process_title(buf, sizeof buf);
  if (r != 0) return lode__uverr(L, r);
  lua_pushstring(L, buf);
  return 1;
}

static int l_settitle(lua_State *L) {
  int r = uv_set_process_title(luaL_checkstring(L, 1));
  return r ? lode__uverr(L, r) : ok(L);
}

static int l_uname(lua_State *L) {
  uv_utsname_t u;
  int r = uv_os_uname(&u);
  if (r != 0) return lode__uverr(L, r);
  lua_pushstring(L, u.sysname);
  lua_pushstring(L, u.machine);
  lua_pushstring(L, u.release);
  return 3;
}

/* fnptrs(): C functions that Lua calls through the FFI on hot paths. */
static int l_fnptrs(lua_State *L) {
  lua_newtable(L);
  lua_pushlightuserdata(L, (void *)(uintptr_t)uv_hrtime);
  lua_setfield(L, -2, "hrtime");
  return 1;
}

static const luaL_Reg funcs[] = {
  {"cwd", l_cwd},
  {"chdir", l_chdir},
  {"execpath", l_execpath},
  {"getenv", l_getenv},
  {"setenv", l_setenv},
  {"unsetenv", l_unsetenv},
  {"environ", l_environ},
  {"pid", l_pid},
  {"ppid", l_ppid},
  {"signals", l_signals},
  {"kill", l_kill},
  {"rss", l_rss},
  {"rusage", l_rusage},
  {"umask", l_umask},
  {"gettitle", l_gettitle},
  {"settitle", l_settitle},
  {"uname", l_uname},
  {"fnptrs", l_fnptrs},
  {NULL, NULL},
};

int luaopen_lode_process(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
