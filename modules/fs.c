/*
 * fs.c: the file system. For now, what the module system needs to find
 * files. These calls are synchronous: the loop is named because libuv
 * wants one, but no request is queued on it.
 */
#include "../runtime/internal.h"

#include <sys/stat.h>

/* realpath(p): the canonical absolute path, or nil and a status. */
static int l_realpath(lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  uv_fs_t req;
  int r = uv_fs_realpath(lode__rt(L)->loop, &req, p, NULL);
  if (r == 0) lua_pushstring(L, (const char *)req.ptr);
  uv_fs_req_cleanup(&req);
  return r == 0 ? 1 : lode__uverr(L, r);
}

/* kind(p): 'file', 'directory', 'other', or nil and a status. */
static int l_kind(lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  uv_fs_t req;
  int r = uv_fs_stat(lode__rt(L)->loop, &req, p, NULL);
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
  {NULL, NULL},
};

int luaopen_lode_fs(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
