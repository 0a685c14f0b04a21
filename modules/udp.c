/*
 * udp.c: uv_udp_t handles for dgram sockets. No Node semantics here (the
 * bind queue, lookups and events live in lua/dgram.lua): bind, connect,
 * receive, send and the socket options, each returning (nil, errno) on
 * failure.
 *
 * Receiving: every socket of a runtime reads into the one buffer of that
 * runtime (a userdata kept by the binding), and a datagram reaches Lua as
 * a string copied once by lua_pushlstring. Sending: try_send first when
 * nothing is queued before it, so a burst of small datagrams costs no
 * allocation each; otherwise a request holding the bytes until libuv is
 * done with them.
 */
#include "addr.h"

#include <stdlib.h>
#include <string.h>

#define MT "lode.udp"
/* The largest UDP payload is 65507 bytes over IPv4 and 65527 over IPv6. */
#define RECV_SIZE 65536
/* Pieces of a list sent as one datagram without a heap array. */
#define SMALL_BUFS 16

/* A socket: the libuv handle, and where its reads go. */
typedef struct {
  uv_udp_t udp;
  char *recv_buf; /* the runtime's receive buffer, owned by the binding */
  int v6;         /* udp6: addresses are parsed as IPv6 only */
} udp_t;

/* A queued send: the request and its size in bytes, for the callback.
 * The bytes themselves are held by the lode__req (lode__req_hold). */
typedef struct {
  uv_udp_send_t req;
  size_t size;
} send_t;

static udp_t *check_udp(lua_State *L) {
  return LODE__UV(lode__handle_check(L, 1, MT), udp_t);
}

static void on_alloc(uv_handle_t *uh, size_t suggested, uv_buf_t *buf) {
  udp_t *u = (udp_t *)lode__mem(uh);
  (void)suggested;
  buf->base = u->recv_buf;
  buf->len = RECV_SIZE;
}

/* onmessage(data, rinfo) for a datagram, onmessage(nil, errno) for a
 * read error. */
static void on_recv(uv_udp_t *uu, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags) {
  lode__handle *h = (lode__handle *)uu->data;
  lua_State *L = h->rt->L;
  (void)flags;
  /* Nothing was read (EAGAIN), or the buffer goes back unused. */
  if (nread == 0 && addr == NULL) return;
  if (!lode__handle_push_cb(h, "onmessage")) return;
  if (nread < 0) {
    lua_pushnil(L);
    lua_pushinteger(L, (lua_Integer)nread);
  } else {
    lua_pushlstring(L, buf->base, (size_t)nread);
    lode__addr_push(L, addr);
    if (lua_istable(L, -1)) {
      lua_pushinteger(L, (lua_Integer)nread);
      lua_setfield(L, -2, "size");
    }
  }
  lode__call(h->rt, 2);
}

/* new(v6, bufferHolder): an unbound socket (no descriptor yet, as Node's
 * uv_udp_init). */
static int l_new(lua_State *L) {
  int v6 = lua_toboolean(L, 1);
  char *recv_buf = (char *)lua_touserdata(L, lua_upvalueindex(1));
  lode__handle *h = lode__handle_new(L, MT, "udp", sizeof(udp_t));
  udp_t *u = LODE__UV(h, udp_t);
  int r;
  u->recv_buf = recv_buf;
  u->v6 = v6;
  if ((r = uv_udp_init(h->rt->loop, &u->udp)) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, r);
  }
  return 1;
}

/* Fills ss with ip:port in the socket's family. Returns 0, UV_EINVAL for
 * an address of the other family, or 1 when ip is not numeric at all (it
 * needs a lookup). */
static int parse_addr(udp_t *u, const char *ip, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (u->v6) {
    if (uv_ip6_addr(ip, port, (struct sockaddr_in6 *)(void *)ss) == 0) return 0;
  } else {
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)(void *)ss) == 0) return 0;
  }
  return lode__addr_parse(ip, port, ss) == 0 ? UV_EINVAL : 1;
}

static int status(lua_State *L, int r) {
  if (r < 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* bind(ip, port, flags) */
static int l_bind(lua_State *L) {
  udp_t *u = check_udp(L);
  const char *ip = luaL_checkstring(L, 2);
  int port = lode__addr_checkport(L, 3);
  unsigned flags = (unsigned)luaL_optinteger(L, 4, 0);
  struct sockaddr_storage ss;
  int r = parse_addr(u, ip, port, &ss);
  if (r != 0) return lode__uverr(L, UV_EINVAL);
  /* IPV6ONLY is an error on an IPv4 socket. */
  if (!u->v6) flags &= ~(unsigned)UV_UDP_IPV6ONLY;
  return status(L, uv_udp_bind(&u->udp, (const struct sockaddr *)(void *)&ss, flags));
}

/* open(fd): an existing descriptor. */
static int l_open(lua_State *L) {
  udp_t *u = check_udp(L);
  int fd = (int)luaL_checkinteger(L, 2);
  return status(L, uv_udp_open(&u->udp, (uv_os_sock_t)fd));
}

/* connect(ip, port) */
static int l_connect(lua_State *L) {
  udp_t *u = check_udp(L);
  const char *ip = luaL_checkstring(L, 2);
  int port = lode__addr_checkport(L, 3);
  struct sockaddr_storage ss;
  if (parse_addr(u, ip, port, &ss) != 0) return lode__uverr(L, UV_EINVAL);
  return status(L, uv_udp_connect(&u->udp, (const struct sockaddr *)(void *)&ss));
}

static int l_disconnect(lua_State *L) {
  return status(L, uv_udp_connect(&check_udp(L)->udp, NULL));
}

/* recvStart(onmessage) */
static int l_recv_start(lua_State *L) {
  lode__handle *h = lode__handle_check(L, 1, MT);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_getfenv(L, 1);
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "onmessage");
  lua_pop(L, 1);
  return status(L, uv_udp_recv_start(LODE__UV(h, uv_udp_t), on_alloc, on_recv));
}

static int l_recv_stop(lua_State *L) {
  return status(L, uv_udp_recv_stop(&check_udp(L)->udp));
}

static int push_name(lua_State *L, int r, struct sockaddr_storage *ss) {
  if (r < 0) return lode__uverr(L, r);
  lode__addr_push(L, (const struct sockaddr *)(void *)ss);
  return 1;
}

static int l_getsockname(lua_State *L) {
  udp_t *u = check_udp(L);
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  return push_name(L, uv_udp_getsockname(&u->udp, (struct sockaddr *)(void *)&ss, &len), &ss);
}

static int l_getpeername(lua_State *L) {
  udp_t *u = check_udp(L);
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  return push_name(L, uv_udp_getpeername(&u->udp, (struct sockaddr *)(void *)&ss, &len), &ss);
}

/* The bytes to send from the arguments at idx: a string or Buffer, with
 * an optional 1-based start and a length (checked by the caller, clamped
 * here so that no read leaves the value), or a list of strings and
 * Buffers. Returns the number of pieces; *total is their size. bufs has
 * room for `room` pieces; a longer list returns -n, and the caller asks
 * again with room for n. */
static int gather(lua_State *L, int idx, uv_buf_t *bufs, int room, size_t *total) {
  size_t len;
  const char *p;
  *total = 0;
  if (lua_type(L, idx) == LUA_TTABLE) {
    int n = (int)lua_objlen(L, idx), i;
    if (n > room) return -n;
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, idx, i + 1);
      p = lode_checkbytes(L, -1, &len);
      lua_pop(L, 1); /* the list keeps it alive */
      bufs[i] = uv_buf_init((char *)(uintptr_t)p, (unsigned)len);
      *total += len;
    }
    return n;
  }
  p = lode_checkbytes(L, idx, &len);
  if (!lua_isnoneornil(L, idx + 1)) {
    size_t start = (size_t)luaL_checkinteger(L, idx + 1) - 1;
    size_t n = (size_t)luaL_checkinteger(L, idx + 2);
    if (start > len) start = len;
    if (n > len - start) n = len - start;
    p += start;
    len = n;
  }
  bufs[0] = uv_buf_init((char *)(uintptr_t)p, (unsigned)len);
  *total = len;
  return 1;
}

/* Holds every piece being sent, not the list: the script may change the
 * list while the request is in flight. */
static void hold_pieces(lua_State *L, lode__req *r, int idx) {
  int i, n;
  if (lua_type(L, idx) != LUA_TTABLE) {
    lode__req_hold(L, r, idx);
    return;
  }
  n = (int)lua_objlen(L, idx);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    lode__req_hold(L, r, -1);
    lua_pop(L, 1);
  }
}

static void on_send(uv_udp_send_t *req, int st) {
  lode__req *r = lode__req_of(req);
  size_t size = LODE__REQ(r, send_t)->size;
  lua_State *L = lode__req_push_cb(r);
  if (!L) {
    lode__req_free(r);
    return;
  }
  lua_pushinteger(L, st);
  lua_pushinteger(L, (lua_Integer)size);
  lode__req_call(r, 2);
}

/* send(ip|nil, port, cb|nil, data, [start, length]) sends one datagram
 * (ip nil on a connected socket). Returns the bytes sent when try_send
 * took it at once; true when it was queued, cb(status, bytes) then runs
 * once it is sent; false when ip is not a numeric address (the caller
 * resolves it and asks again); nil, errno on failure. Without cb nothing
 * is queued: EAGAIN says the caller must pass one. */
static int l_send(lua_State *L) {
  udp_t *u = check_udp(L);
  const char *ip = lua_isnil(L, 2) ? NULL : luaL_checkstring(L, 2);
  int port = ip ? lode__addr_checkport(L, 3) : 0;
  int has_cb = !lua_isnoneornil(L, 4);
  uv_buf_t small[SMALL_BUFS], *bufs = small;
  struct sockaddr_storage ss;
  const struct sockaddr *sa = NULL;
  size_t total;
  lode__req *r;
  int n, st;
  if (has_cb) luaL_checktype(L, 4, LUA_TFUNCTION);
  if (ip) {
    st = parse_addr(u, ip, port, &ss);
    if (st == 1) {
      lua_pushboolean(L, 0);
      return 1;
    }
    if (st != 0) return lode__uverr(L, st);
    sa = (const struct sockaddr *)(void *)&ss;
  }
  n = gather(L, 5, small, SMALL_BUFS, &total);
  if (n < 0) {
    /* A long list: its array lives in a userdata the collector takes. */
    bufs = (uv_buf_t *)lua_newuserdata(L, sizeof(uv_buf_t) * (size_t)-n);
    n = gather(L, 5, bufs, -n, &total);
  }
  /* Only when nothing waits in libuv's queue, or the order would break. */
  if (uv_udp_get_send_queue_count(&u->udp) == 0) {
    st = uv_udp_try_send(&u->udp, bufs, (unsigned)n, sa);
    if (st >= 0) {
      lua_pushinteger(L, st);
      return 1;
    }
    if (st != UV_EAGAIN) return lode__uverr(L, st);
  }
  if (!has_cb) return lode__uverr(L, UV_EAGAIN);
  r = lode__req_new(L, 4, "udp_send", sizeof(send_t));
  LODE__REQ(r, send_t)->size = total;
  hold_pieces(L, r, 5);
  /* libuv copies the uv_buf_t array; the bytes stay held by r. */
  st = uv_udp_send(LODE__REQ(r, uv_udp_send_t), &u->udp, bufs, (unsigned)n, sa, on_send);
  if (st != 0) {
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int l_set_broadcast(lua_State *L) {
  return status(L, uv_udp_set_broadcast(&check_udp(L)->udp, lua_toboolean(L, 2)));
}

static int l_set_ttl(lua_State *L) {
  udp_t *u = check_udp(L);
  return status(L, uv_udp_set_ttl(&u->udp, (int)luaL_checkinteger(L, 2)));
}

static int l_set_multicast_ttl(lua_State *L) {
  udp_t *u = check_udp(L);
  return status(L, uv_udp_set_multicast_ttl(&u->udp, (int)luaL_checkinteger(L, 2)));
}

static int l_set_multicast_loopback(lua_State *L) {
  return status(L, uv_udp_set_multicast_loop(&check_udp(L)->udp, lua_toboolean(L, 2)));
}

static int l_set_multicast_interface(lua_State *L) {
  udp_t *u = check_udp(L);
  return status(L, uv_udp_set_multicast_interface(&u->udp, luaL_checkstring(L, 2)));
}

/* membership(group, iface|nil, join) */
static int l_membership(lua_State *L) {
  udp_t *u = check_udp(L);
  const char *group = luaL_checkstring(L, 2);
  const char *iface = luaL_optstring(L, 3, NULL);
  uv_membership m = lua_toboolean(L, 4) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return status(L, uv_udp_set_membership(&u->udp, group, iface, m));
}

/* sourceMembership(source, group, iface|nil, join) */
static int l_source_membership(lua_State *L) {
  udp_t *u = check_udp(L);
  const char *source = luaL_checkstring(L, 2);
  const char *group = luaL_checkstring(L, 3);
  const char *iface = luaL_optstring(L, 4, NULL);
  uv_membership m = lua_toboolean(L, 5) ? UV_JOIN_GROUP : UV_LEAVE_GROUP;
  return status(L, uv_udp_set_source_membership(&u->udp, group, iface, source, m));
}

/* bufferSize(size, recv): the size after setting it (0 only reads). */
static int l_buffer_size(lua_State *L) {
  udp_t *u = check_udp(L);
  int value = (int)luaL_checkinteger(L, 2);
  int r = lua_toboolean(L, 3) ? uv_recv_buffer_size((uv_handle_t *)lode__mem(&u->udp), &value)
                              : uv_send_buffer_size((uv_handle_t *)lode__mem(&u->udp), &value);
  if (r < 0) return lode__uverr(L, r);
  lua_pushinteger(L, value);
  return 1;
}

static int l_send_queue_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_size(&check_udp(L)->udp));
  return 1;
}

static int l_send_queue_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_udp_get_send_queue_count(&check_udp(L)->udp));
  return 1;
}

static int l_ref(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, MT);
  if (h && !(h->flags & (LODE__H_CLOSING | LODE__H_CLOSED))) {
    if (lua_toboolean(L, 2)) uv_ref(h->uv);
    else uv_unref(h->uv);
  }
  return 0;
}

static int l_close(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, MT);
  if (h) lode__handle_close(h);
  return 0;
}

static const luaL_Reg methods[] = {
  {"bind", l_bind},
  {"open", l_open},
  {"connect", l_connect},
  {"disconnect", l_disconnect},
  {"recvStart", l_recv_start},
  {"recvStop", l_recv_stop},
  {"getsockname", l_getsockname},
  {"getpeername", l_getpeername},
  {"send", l_send},
  {"setBroadcast", l_set_broadcast},
  {"setTTL", l_set_ttl},
  {"setMulticastTTL", l_set_multicast_ttl},
  {"setMulticastLoopback", l_set_multicast_loopback},
  {"setMulticastInterface", l_set_multicast_interface},
  {"membership", l_membership},
  {"sourceMembership", l_source_membership},
  {"bufferSize", l_buffer_size},
  {"sendQueueSize", l_send_queue_size},
  {"sendQueueCount", l_send_queue_count},
  {"ref", l_ref},
  {"close", l_close},
  {NULL, NULL},
};

int luaopen_lode_udp(lua_State *L) {
  lode__handle_meta(L, MT, methods);
  lua_newtable(L);
  /* The receive buffer of this runtime: a userdata the binding table keeps
   * (every handle closes before Lua does, so no read outlives it). */
  lua_newuserdata(L, RECV_SIZE);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "_recvBuffer");
  lua_pushcclosure(L, l_new, 1);
  lua_setfield(L, -2, "new");
  lua_pushinteger(L, UV_UDP_REUSEADDR);
  lua_setfield(L, -2, "REUSEADDR");
  lua_pushinteger(L, UV_UDP_IPV6ONLY);
  lua_setfield(L, -2, "IPV6ONLY");
  lua_pushinteger(L, UV_EAGAIN);
  lua_setfield(L, -2, "EAGAIN");
  lua_pushinteger(L, UV_EBADF);
  lua_setfield(L, -2, "EBADF");
  lua_pushinteger(L, UV_EINVAL);
  lua_setfield(L, -2, "EINVAL");
  return 1;
}
