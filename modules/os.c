/*
 * os.c: what libuv knows about the machine, for lua/os.lua. Each call
 * returns its value, or (nil, errno).
 */
#include "../runtime/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int l_hostname(lua_State *L) {
  char buf[UV_MAXHOSTNAMESIZE];
  size_t n = sizeof buf;
  int r = uv_os_gethostname(buf, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_pushlstring(L, buf, n);
  return 1;
}

/* uname(): sysname, release, version, machine. */
static int l_uname(lua_State *L) {
  uv_utsname_t u;
  int r = uv_os_uname(&u);
  if (r != 0) return lode__uverr(L, r);
  lua_pushstring(L, u.sysname);
  lua_pushstring(L, u.release);
  lua_pushstring(L, u.version);
  lua_pushstring(L, u.machine);
  return 4;
}

/* The shape of uv_os_homedir and uv_os_tmpdir. */
static int path_of(lua_State *L, int (*fn)(char *, size_t *)) {
  char buf[4096];
  size_t n = sizeof buf;
  int r = fn(buf, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_pushlstring(L, buf, n);
  return 1;
}

static int l_homedir(lua_State *L) { return path_of(L, uv_os_homedir); }
static int l_tmpdir(lua_State *L) { return path_of(L, uv_os_tmpdir); }

static int l_userinfo(lua_State *L) {
  uv_passwd_t p;
  int r = uv_os_get_passwd(&p);
  if (r != 0) return lode__uverr(L, r);
  lua_createtable(L, 0, 5);
  lua_pushnumber(L, (lua_Number)p.uid);
  lua_setfield(L, -2, "uid");
  lua_pushnumber(L, (lua_Number)p.gid);
  lua_setfield(L, -2, "gid");
  lua_pushstring(L, p.username);
  lua_setfield(L, -2, "username");
  lua_pushstring(L, p.homedir);
  lua_setfield(L, -2, "homedir");
  if (p.shell) lua_pushstring(L, p.shell);
  else lua_pushnil(L);
  lua_setfield(L, -2, "shell");
  uv_os_free_passwd(&p);
  return 1;
}

static int l_uptime(lua_State *L) {
  double t;
  int r = uv_uptime(&t);
  if (r != 0) return lode__uverr(L, r);
  lua_pushnumber(L, t);
  return 1;
}

static int l_loadavg(lua_State *L) {
  double a[3];
  uv_loadavg(a);
  lua_pushnumber(L, a[0]);
  lua_pushnumber(L, a[1]);
  lua_pushnumber(L, a[2]);
  return 3;
}

static int l_totalmem(lua_State *L) {
  lua_pushnumber(L, (lua_Number)uv_get_total_memory());
  return 1;
}

static int l_freemem(lua_State *L) {
  lua_pushnumber(L, (lua_Number)uv_get_free_memory());
  return 1;
}

static int l_parallelism(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_available_parallelism());
  return 1;
}

static int l_cpus(lua_State *L) {
  uv_cpu_info_t *c;
  int i, n, r = uv_cpu_info(&c, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, c[i].model);
    lua_setfield(L, -2, "model");
    lua_pushnumber(L, c[i].speed);
    lua_setfield(L, -2, "speed");
    lua_createtable(L, 0, 5);
#define T(k) (lua_pushnumber(L, (lua_Number)c[i].cpu_times.k), lua_setfield(L, -2, #k))
    T(user); T(nice); T(sys); T(idle); T(irq);
#undef T
    lua_setfield(L, -2, "times");
    lua_rawseti(L, -2, i + 1);
  }
  uv_free_cpu_info(c, n);
  return 1;
}

/* interfaces(): a list of {name, address, netmask, family, mac, internal,
 * scopeid}; lua/os.lua groups them by name. */
static int l_interfaces(lua_State *L) {
  uv_interface_address_t *a;
  int i, n, r = uv_interface_addresses(&a, &n);
  if (r != 0) return lode__uverr(L, r);
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    char ip[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN], mac[18];
    const unsigned char *m = (const unsigned char *)a[i].phys_addr;
    int v6 = a[i].address.address4.sin_family == AF_INET6;
    if (v6) {
      uv_ip6_name(&a[i].address.address6, ip, sizeof ip);
      uv_ip6_name(&a[i].netmask.netmask6, mask, sizeof mask);
    } else {
      uv_ip4_name(&a[i].address.address4, ip, sizeof ip);
      uv_ip4_name(&a[i].netmask.netmask4, mask, sizeof mask);
    }
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    lua_createtable(L, 0, 7);
    lua_pushstring(L, a[i].name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, ip);
    lua_setfield(L, -2, "address");
    lua_pushstring(L, mask);
    lua_setfield(L, -2, "netmask");
    lua_pushstring(L, v6 ? "IPv6" : "IPv4");
    lua_setfield(L, -2, "family");
    lua_pushstring(L, mac);
    lua_setfield(L, -2, "mac");
    lua_pushboolean(L, a[i].is_internal);
    lua_setfield(L, -2, "internal");
    if (v6) {
      lua_pushinteger(L, (lua_Integer)a[i].address.address6.sin6_scope_id);
      lua_setfield(L, -2, "scopeid");
    }
    lua_rawseti(L, -2, i + 1);
  }
  uv_free_interface_addresses(a, n);
  return 1;
}

static int l_getpriority(lua_State *L) {
  int prio, r = uv_os_getpriority((uv_pid_t)luaL_checknumber(L, 1), &prio);
  if (r != 0) return lode__uverr(L, r);
  lua_pushinteger(L, prio);
  return 1;
}

static int l_setpriority(lua_State *L) {
  int r = uv_os_setpriority((uv_pid_t)luaL_checknumber(L, 1), (int)luaL_checknumber(L, 2));
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

/* errnos(): the system's positive errno values by name, as Node's
 * os.constants.errno has them. */
static int l_errnos(lua_State *L) {
  static const struct {
    const char *name;
    int num;
  } e[] = {
#define E(x) {#x, x},
    E(E2BIG) E(EACCES) E(EADDRINUSE) E(EADDRNOTAVAIL) E(EAFNOSUPPORT) E(EAGAIN)
    E(EALREADY) E(EBADF) E(EBADMSG) E(EBUSY) E(ECANCELED) E(ECHILD) E(ECONNABORTED)
    E(ECONNREFUSED) E(ECONNRESET) E(EDEADLK) E(EDESTADDRREQ) E(EDOM) E(EDQUOT) E(EEXIST)
    E(EFAULT) E(EFBIG) E(EHOSTUNREACH) E(EIDRM) E(EILSEQ) E(EINPROGRESS) E(EINTR)
    E(EINVAL) E(EIO) E(EISCONN) E(EISDIR) E(ELOOP) E(EMFILE) E(EMLINK) E(EMSGSIZE)
    E(EMULTIHOP) E(ENAMETOOLONG) E(ENETDOWN) E(ENETRESET) E(ENETUNREACH) E(ENFILE)
    E(ENOBUFS) E(ENODATA) E(ENODEV) E(ENOENT) E(ENOEXEC) E(ENOLCK) E(ENOLINK) E(ENOMEM)
    E(ENOMSG) E(ENOPROTOOPT) E(ENOSPC) E(ENOSR) E(ENOSTR) E(ENOSYS) E(ENOTCONN)
    E(ENOTDIR) E(ENOTEMPTY) E(ENOTSOCK) E(ENOTSUP) E(ENOTTY) E(ENXIO) E(EOPNOTSUPP)
    E(EOVERFLOW) E(EPERM) E(EPIPE) E(EPROTO) E(EPROTONOSUPPORT) E(EPROTOTYPE) E(ERANGE)
    E(EROFS) E(ESPIPE) E(ESRCH) E(ESTALE) E(ETIME) E(ETIMEDOUT) E(ETXTBSY)
    E(EWOULDBLOCK) E(EXDEV)
#undef E
    {NULL, 0},
  };
  int i;
  lua_newtable(L);
  for (i = 0; e[i].name; i++) {
    lua_pushinteger(L, e[i].num);
    lua_setfield(L, -2, e[i].name);
  }
  return 1;
}

static int l_priorities(lua_State *L) {
  lua_newtable(L);
#define P(k, v) (lua_pushinteger(L, v), lua_setfield(L, -2, k))
  P("PRIORITY_LOW", UV_PRIORITY_LOW);
  P("PRIORITY_BELOW_NORMAL", UV_PRIORITY_BELOW_NORMAL);
  P("PRIORITY_NORMAL", UV_PRIORITY_NORMAL);
  P("PRIORITY_ABOVE_NORMAL", UV_PRIORITY_ABOVE_NORMAL);
  P("PRIORITY_HIGH", UV_PRIORITY_HIGH);
  P("PRIORITY_HIGHEST", UV_PRIORITY_HIGHEST);
#undef P
  return 1;
}

static const luaL_Reg funcs[] = {
  {"hostname", l_hostname},
  {"uname", l_uname},
  {"homedir", l_homedir},
  {"tmpdir", l_tmpdir},
  {"userInfo", l_userinfo},
  {"uptime", l_uptime},
  {"loadavg", l_loadavg},
  {"totalmem", l_totalmem},
  {"freemem", l_freemem},
  {"availableParallelism", l_parallelism},
  {"cpus", l_cpus},
  {"interfaces", l_interfaces},
  {"getPriority", l_getpriority},
  {"setPriority", l_setpriority},
  {"errnos", l_errnos},
  {"priorities", l_priorities},
  {NULL, NULL},
};

int luaopen_lode_os(lua_State *L) {
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
