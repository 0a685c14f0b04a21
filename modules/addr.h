/*
 * addr.h: socket addresses, shared by the tcp, udp and dns bindings (as
 * Node's AddressToJS in tcp_wrap.cc serves them all). Not a binding.
 */
#ifndef LODE_ADDR_H
#define LODE_ADDR_H

#include "../runtime/internal.h"

/* Pushes { address = '127.0.0.1', family = 'IPv4', port = 80 } for an
 * AF_INET or AF_INET6 address (IPv6 with a scope id keeps it as
 * 'fe80::1%eth0', as Node does), or a table without a port for AF_UNIX
 * (address = the path) ; nil for any other family. */
void lode__addr_push(lua_State *L, const struct sockaddr *sa);

/* Fills ss from a numeric address and a port: IPv4 first, then IPv6.
 * Returns 0, or UV_EINVAL when host is not a numeric address. */
int lode__addr_parse(const char *host, int port, struct sockaddr_storage *ss);

/* Checks that the argument at idx is a port number: an integer in
 * 0..65535, raising ERR_SOCKET_BAD_PORT otherwise. */
int lode__addr_checkport(lua_State *L, int idx);

#endif
