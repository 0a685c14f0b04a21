/*
 * tcp.c: uv_tcp_t handles for net. What is TCP's own (bind, connect,
 * addresses, Nagle, keep-alive, reset) is here; reading, writing and
 * listening are the shared stream methods (stream.c).
 */
#include "stream.h"
#include "addr.h"

#include <string.h>
#include <sys/socket.h>

#define MT LODE__MT_TCP

/* new(): an unbound, unconnected TCP handle. */
static int l_new(lua_State *L) {
  lode__handle *h = lode__stream_new(L, MT, "tcp", UV_TCP);
  int st = uv_tcp_init(h->rt->loop, LODE__UV(h, uv_tcp_t));
  if (st != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, st);
  }
  return 1;
}

static int l_open(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int st = uv_tcp_open(LODE__UV(h, uv_tcp_t), (uv_os_sock_t)luaL_checkinteger(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* bind(host, port, ipv6only): host a numeric address. libuv reports some
 * failures (EADDRINUSE) only at listen. */
static int l_bind(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  const char *host = luaL_checkstring(L, 2);
  int port = lode__addr_checkport(L, 3);
  struct sockaddr_storage ss;
  int st = lode__addr_parse(host, port, &ss);
  if (st == 0)
    st = uv_tcp_bind(LODE__UV(h, uv_tcp_t), (struct sockaddr *)&ss, lua_toboolean(L, 4) ? UV_TCP_IPV6ONLY : 0);
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static void on_connect(uv_connect_t *c, int status) {
  lode__req_status(lode__req_of(c), status);
}

/* connect(host, port, cb): cb(status) once connected or failed. */
static int l_connect(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  const char *host = luaL_checkstring(L, 2);
  int port = lode__addr_checkport(L, 3);
  struct sockaddr_storage ss;
  lode__req *r;
  int st;
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if ((st = lode__addr_parse(host, port, &ss)) != 0) return lode__uverr(L, st);
  r = lode__req_new(L, 4, "connect", sizeof(uv_connect_t));
  st = uv_tcp_connect(LODE__REQ(r, uv_connect_t), LODE__UV(h, uv_tcp_t), (struct sockaddr *)&ss, on_connect);
  if (st != 0) {
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int push_name(lua_State *L, int peer) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  struct sockaddr_storage ss;
  int len = (int)sizeof ss, st;
  st = peer ? uv_tcp_getpeername(LODE__UV(h, uv_tcp_t), (struct sockaddr *)&ss, &len)
            : uv_tcp_getsockname(LODE__UV(h, uv_tcp_t), (struct sockaddr *)&ss, &len);
  if (st != 0) return lode__uverr(L, st);
  lode__addr_push(L, (struct sockaddr *)&ss);
  return 1;
}

static int l_getsockname(lua_State *L) { return push_name(L, 0); }
static int l_getpeername(lua_State *L) { return push_name(L, 1); }

static int l_nodelay(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  int st = uv_tcp_nodelay(LODE__UV(h, uv_tcp_t), lua_toboolean(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* keepalive(on, delay): delay in seconds before the first probe. */
static int l_keepalive(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  lua_Integer delay = luaL_optinteger(L, 3, 0);
  int st = uv_tcp_keepalive(LODE__UV(h, uv_tcp_t), lua_toboolean(L, 2), delay > 0 ? (unsigned)delay : 1);
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* reset([notify]): closes with a RST instead of a FIN: linger zero, then the
 * handle's usual close (uv_tcp_close_reset does the same). */
static int l_reset(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  uv_os_fd_t fd;
  if (uv_fileno(h->uv, &fd) == 0) {
    struct linger l = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  lode__stream_close(L, h, 2);
  return 0;
}

static const luaL_Reg funcs[] = {
  {"new", l_new},
  {NULL, NULL},
};

static const luaL_Reg methods[] = {
  {"open", l_open},
  {"bind", l_bind},
  {"connect", l_connect},
  {"getsockname", l_getsockname},
  {"getpeername", l_getpeername},
  {"nodelay", l_nodelay},
  {"keepalive", l_keepalive},
  {"reset", l_reset},
  {NULL, NULL},
};

int luaopen_lode_tcp(lua_State *L) {
  lode__stream_meta(L, MT, methods);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lode__stream_codes(L);
  return 1;
}
