/*
 * dns.c: name resolution through libuv's thread pool (getaddrinfo and
 * getnameinfo), and the address checks dns, net and dgram share.
 */
#include "addr.h"

#include <netdb.h>
#include <string.h>

/* A getaddrinfo request and how to order its answers. */
typedef struct {
  uv_getaddrinfo_t req;
  int verbatim; /* 0: IPv4 answers first, as Node's verbatim = false */
} lookup_req;

/* 4, 6 or 0 for the text of a numeric address. */
static int ip_family(const char *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  char tmp[INET6_ADDRSTRLEN + UV_IF_NAMESIZE + 1];
  const char *pct;
  if (uv_inet_pton(AF_INET, s, buf) == 0) return 4;
  /* A scope id ('fe80::1%eth0') is part of an IPv6 address for Node. */
  pct = strchr(s, '%');
  if (pct && (size_t)(pct - s) < INET6_ADDRSTRLEN) {
    memcpy(tmp, s, (size_t)(pct - s));
    tmp[pct - s] = '\0';
    s = tmp;
  }
  if (uv_inet_pton(AF_INET6, s, buf) == 0) return 6;
  return 0;
}

/* Pushes the answers of one family (or both, when family is 0) onto the
 * flat list at -1 from position *n on: address, family, address, ... */
static void push_answers(lua_State *L, const struct addrinfo *res, int family, int *n) {
  char ip[INET6_ADDRSTRLEN];
  const struct addrinfo *ai;
  for (ai = res; ai; ai = ai->ai_next) {
    int fam;
    if (ai->ai_family == AF_INET) {
      fam = 4;
      uv_ip4_name((const struct sockaddr_in *)(const void *)ai->ai_addr, ip, sizeof ip);
    } else if (ai->ai_family == AF_INET6) {
      fam = 6;
      uv_ip6_name((const struct sockaddr_in6 *)(const void *)ai->ai_addr, ip, sizeof ip);
    } else {
      continue;
    }
    if (family != 0 && fam != family) continue;
    lua_pushstring(L, ip);
    lua_rawseti(L, -2, ++*n);
    lua_pushinteger(L, fam);
    lua_rawseti(L, -2, ++*n);
  }
}

/* Calls cb(status, {address, family, ...}); res is freed here, whether or
 * not a callback runs. */
static void on_getaddrinfo(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  lode__req *r = lode__req_of(req);
  lookup_req *lr = LODE__REQ(r, lookup_req);
  lua_State *L = lode__req_push_cb(r);
  int n = 0;
  if (!L) {
    uv_freeaddrinfo(res);
    lode__req_free(r);
    return;
  }
  lua_pushinteger(L, status);
  lua_newtable(L);
  if (status == 0) {
    if (lr->verbatim) {
      push_answers(L, res, 0, &n);
    } else {
      push_answers(L, res, 4, &n);
      push_answers(L, res, 6, &n);
    }
  }
  uv_freeaddrinfo(res);
  lode__req_call(r, 2);
}

/* getaddrinfo(host, family, hints, verbatim, cb): true, or nil, errno
 * when libuv refused at once. family is 0, 4 or 6. */
static int l_getaddrinfo(lua_State *L) {
  const char *host = luaL_checkstring(L, 1);
  int family = (int)luaL_checkinteger(L, 2);
  int hints = (int)luaL_checkinteger(L, 3);
  int verbatim = lua_toboolean(L, 4);
  struct addrinfo ai;
  lode__req *r;
  int st;
  luaL_checktype(L, 5, LUA_TFUNCTION);
  memset(&ai, 0, sizeof ai);
  ai.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  /* One answer per address, as Node asks for (not one per socket type). */
  ai.ai_socktype = SOCK_STREAM;
  ai.ai_flags = hints;
  r = lode__req_new(L, 5, "getaddrinfo", sizeof(lookup_req));
  LODE__REQ(r, lookup_req)->verbatim = verbatim;
  st = uv_getaddrinfo(r->rt->loop, LODE__REQ(r, uv_getaddrinfo_t), on_getaddrinfo, host, NULL, &ai);
  if (st != 0) {
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Calls cb(status, hostname, service). */
static void on_getnameinfo(uv_getnameinfo_t *req, int status, const char *host, const char *service) {
  lode__req *r = lode__req_of(req);
  lua_State *L = lode__req_push_cb(r);
  if (!L) {
    lode__req_free(r);
    return;
  }
  lua_pushinteger(L, status);
  if (status == 0) {
    lua_pushstring(L, host);
    lua_pushstring(L, service);
  } else {
    lua_pushnil(L);
    lua_pushnil(L);
  }
  lode__req_call(r, 3);
}

/* getnameinfo(address, port, cb): true, or nil, errno. */
static int l_getnameinfo(lua_State *L) {
  const char *host = luaL_checkstring(L, 1);
  int port = lode__addr_checkport(L, 2);
  struct sockaddr_storage ss;
  lode__req *r;
  int st;
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if ((st = lode__addr_parse(host, port, &ss)) != 0) return lode__uverr(L, st);
  r = lode__req_new(L, 3, "getnameinfo", sizeof(uv_getnameinfo_t));
  st = uv_getnameinfo(r->rt->loop, LODE__REQ(r, uv_getnameinfo_t), on_getnameinfo,
                      (const struct sockaddr *)(const void *)&ss, NI_NAMEREQD);
  if (st != 0) {
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* isIP(s): 4, 6 or 0; 0 for anything but a string. */
static int l_isip(lua_State *L) {
  lua_pushinteger(L, lua_type(L, 1) == LUA_TSTRING ? ip_family(lua_tostring(L, 1)) : 0);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"getaddrinfo", l_getaddrinfo},
  {"getnameinfo", l_getnameinfo},
  {"isIP", l_isip},
  {NULL, NULL},
};

int luaopen_lode_dns(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushinteger(L, AI_ADDRCONFIG);
  lua_setfield(L, -2, "ADDRCONFIG");
  lua_pushinteger(L, AI_V4MAPPED);
  lua_setfield(L, -2, "V4MAPPED");
  lua_pushinteger(L, AI_ALL);
  lua_setfield(L, -2, "ALL");
  lua_pushinteger(L, UV_EAI_NODATA);
  lua_setfield(L, -2, "EAI_NODATA");
  lua_pushinteger(L, UV_EAI_NONAME);
  lua_setfield(L, -2, "EAI_NONAME");
  return 1;
}
