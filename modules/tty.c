/*
 * tty.c: terminals: what kind of thing a descriptor is, and uv_tty_t
 * handles (window size, raw mode). Reading and writing are the shared
 * stream methods (stream.c).
 */
#include "stream.h"

#define MT LODE__MT_TTY

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

/* new(fd): a tty handle on fd. */
static int l_new(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  lode__handle *h;
  int st;
  if (fd < 0 || fd > 0x7fffffff)
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "The value of \"fd\" is out of range. Received %d", (int)fd);
  h = lode__stream_new(L, MT, "tty", UV_TTY);
  if ((st = uv_tty_init(h->rt->loop, LODE__UV(h, uv_tty_t), (uv_file)fd, 0)) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, st);
  }
  return 1;
}

/* getWindowSize(): columns, rows. */
static int l_get_window_size(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int w, r, st = uv_tty_get_winsize(LODE__UV(h, uv_tty_t), &w, &r);
  if (st != 0) return lode__uverr(L, st);
  lua_pushinteger(L, w);
  lua_pushinteger(L, r);
  return 2;
}

/* setMode(mode): 0 normal, 1 raw, 2 raw for binary-safe I/O. */
static int l_set_mode(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  lua_Integer mode = luaL_checkinteger(L, 2);
  int st;
  if (mode < 0 || mode > 2)
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "The value of \"mode\" is out of range. It must be 0, 1 or 2");
  if ((st = uv_tty_set_mode(LODE__UV(h, uv_tty_t), (uv_tty_mode_t)mode)) != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* resetMode(): puts every terminal libuv changed back as it was. */
static int l_reset_mode(lua_State *L) {
  int st = uv_tty_reset_mode();
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"guess", l_guess},
  {"new", l_new},
  {"resetMode", l_reset_mode},
  {NULL, NULL},
};

static const luaL_Reg methods[] = {
  {"getWindowSize", l_get_window_size},
  {"setMode", l_set_mode},
  {NULL, NULL},
};

int luaopen_lode_tty(lua_State *L) {
  lode__stream_meta(L, MT, methods);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
