/*
 * uv.c: the runtime's own binding: libuv error names, the exit switch,
 * the list of open handles (for leak checks), and stdio kinds.
 */
#include "../runtime/internal.h"

#include <luajit.h>
#include <string.h>
#include <sys/stat.h>

static lode_runtime *rt_of(lua_State *L) {
  return (lode_runtime *)lua_touserdata(L, lua_upvalueindex(1));
}

static int check_errno(lua_State *L) {
  lua_Number n = luaL_checknumber(L, 1);
  if (n >= 0 || n < -4096 || n != (int)n)
    return lode__argerror(L, "ERR_OUT_OF_RANGE",
                          "The value of \"err\" is out of range. It must be a negative integer. Received %f", n);
  return (int)n;
}

static int l_errname(lua_State *L) {
  lua_pushstring(L, uv_err_name(check_errno(L)));
  return 1;
}

static int l_strerror(lua_State *L) {
  lua_pushstring(L, uv_strerror(check_errno(L)));
  return 1;
}

/* exit(code): process.exit() was called. No further callback runs and
 * the loop stops at the end of its current round. */
static int l_exit(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  rt->exit_code = (int)luaL_optinteger(L, 1, 0);
  rt->exiting = 1;
  rt->exit_emitted = 1;
  lode__stop(rt);
  if (rt->on_exit) rt->on_exit(rt, rt->exit_code);
  return 0;
}

/* handles(): the type of every open, not closing handle the runtime made
 * for scripts, ref'ed or not. */
static int l_handles(lua_State *L) {
  lode_runtime *rt = rt_of(L);
  lode__handle *h;
  int n = 0;
  lua_newtable(L);
  for (h = rt->handles; h; h = h->next) {
    if (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED)) continue;
    lua_pushstring(L, h->type);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* setErrorMeta(mt): the metatable of error tables, so errors raised from
 * C print like the ones made in Lua. */
static int l_set_error_meta(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.Error");
  return 0;
}

/* guess(fd): 'tty', 'pipe', 'file', 'tcp', 'udp' or 'unknown'. */
static int l_guess(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  const char *s = "unknown";
  if (fd < 0) return lode__argerror(L, "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. Received %d", (int)fd);
  switch (uv_guess_handle((uv_file)fd)) {
    case UV_TTY: s = "tty"; break;
    case UV_NAMED_PIPE: s = "pipe"; break;
    case UV_FILE: s = "file"; break;
    case UV_TCP: s = "tcp"; break;
    case UV_UDP: s = "udp"; break;
    default: break;
  }
  lua_pushstring(L, s);
  return 1;
}

/* realpath(p): the canonical absolute path, or nil and a status. */
static int l_realpath(lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  uv_fs_t req;
  int r = uv_fs_realpath(rt_of(L)->loop, &req, p, NULL);
  if (r == 0) lua_pushstring(L, (const char *)req.ptr);
  uv_fs_req_cleanup(&req);
  return r == 0 ? 1 : lode__uverr(L, r);
}

/* kind(p): 'file', 'directory', 'other', or nil when p does not exist. */
static int l_kind(lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  uv_fs_t req;
  int r = uv_fs_stat(rt_of(L)->loop, &req, p, NULL);
  if (r == 0) {
    uint64_t m = req.statbuf.st_mode & S_IFMT;
    lua_pushstring(L, m == S_IFREG ? "file" : m == S_IFDIR ? "directory" : "other");
  }
  uv_fs_req_cleanup(&req);
  return r == 0 ? 1 : lode__uverr(L, r);
}

static const luaL_Reg funcs[] = {
  {"realpath", l_realpath},
  {"kind", l_kind},
  {"errname", l_errname},
  {"strerror", l_strerror},
  {"exit", l_exit},
  {"handles", l_handles},
  {"setErrorMeta", l_set_error_meta},
  {"guess", l_guess},
  {NULL, NULL},
};

int lode__open_uv(lua_State *L) {
  lua_newtable(L);
  lua_pushlightuserdata(L, lode__rt(L));
  luaL_setfuncs(L, funcs, 1);
  lua_pushstring(L, uv_version_string());
  lua_setfield(L, -2, "version");
  lua_pushstring(L, LUAJIT_VERSION);
  lua_setfield(L, -2, "luajit");
  lua_pushstring(L, LODE_VERSION);
  lua_setfield(L, -2, "lode");
  return 1;
}
