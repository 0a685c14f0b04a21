/*
 * tty.c: terminals. For now, what kind of thing a descriptor is.
 */
#include "../runtime/internal.h"

/* guess(fd): 'tty', 'pipe', 'file', 'tcp', 'udp' or 'unknown'. */
static int l_guess(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  const char *s = "unknown";
  if (fd < 0 || fd > 0x7fffffff)
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. Received %d", (int)fd);
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

static const luaL_Reg funcs[] = {
  {"guess", l_guess},
  {NULL, NULL},
};

int luaopen_lode_tty(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
