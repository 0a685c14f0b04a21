/*
 * addr.c: socket addresses to and from Lua, for tcp, udp and dns.
 */
#include "addr.h"

#include <string.h>
#include <sys/un.h>

void lode__addr_push(lua_State *L, const struct sockaddr *sa) {
  char ip[INET6_ADDRSTRLEN + 1 + UV_IF_NAMESIZE];
  int port;
  if (!sa) {
    lua_pushnil(L);
    return;
  }
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, "IPv4");
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
    uv_ip6_name(a, ip, INET6_ADDRSTRLEN);
    if (a->sin6_scope_id != 0) {
      size_t n = strlen(ip), room = sizeof ip - n - 1;
      ip[n] = '%';
      if (uv_if_indextoname(a->sin6_scope_id, ip + n + 1, &room) != 0)
        ip[n] = '\0';
    }
    port = ntohs(a->sin6_port);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, "IPv6");
  } else if (sa->sa_family == AF_UNIX) {
    const struct sockaddr_un *a = (const struct sockaddr_un *)(const void *)sa;
    lua_createtable(L, 0, 1);
    lua_pushstring(L, a->sun_path);
    lua_setfield(L, -2, "address");
    return;
  } else {
    lua_pushnil(L);
    return;
  }
  lua_setfield(L, -2, "family");
  lua_pushstring(L, ip);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, port);
  lua_setfield(L, -2, "port");
}

int lode__addr_parse(const char *host, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)(void *)ss) == 0) return 0;
  if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)(void *)ss) == 0) return 0;
  return UV_EINVAL;
}

int lode__addr_checkport(lua_State *L, int idx) {
  lua_Number n;
  if (lua_type(L, idx) != LUA_TNUMBER)
    return lode__argerror(L, "ERR_SOCKET_BAD_PORT",
                          "Port should be >= 0 and < 65536. Received type %s.", luaL_typename(L, idx));
  n = lua_tonumber(L, idx);
  if (!(n >= 0 && n <= 65535) || n != (int)n) {
    lua_pushvalue(L, idx);
    return lode__argerror(L, "ERR_SOCKET_BAD_PORT",
                          "Port should be >= 0 and < 65536. Received type number (%s).", lua_tostring(L, -1));
  }
  return (int)n;
}
