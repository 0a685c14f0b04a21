/*
 * stream.c: the uv_stream_t methods shared by tcp, pipe and tty handles.
 *
 * A stream handle's environment is its owner, the Lua object that uses
 * it (a net.Socket, a Server, a stdio stream: setowner), and C calls the
 * owner's methods, so a socket costs no closure and no table of
 * callbacks:
 *   owner:_onread(data) for bytes, owner:_onread(nil, errno) at EOF
 *     (UV_EOF) or on an error;
 *   owner:_onwrite(status, nbytes) when a queued write request completes;
 *   owner:_onconnection(nil, client) or (errno) on a listening handle;
 *   owner:_onclose() once the handle is closed, when close(true) asked.
 *
 * Reads go into one 64 KiB buffer per runtime (libuv calls alloc and read
 * back to back for one handle, so they never overlap), and reach Lua as a
 * string copied once by lua_pushlstring. Writes try uv_try_write first and
 * queue a uv_write_t only for what is left, so a writable socket costs no
 * allocation per message.
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define READ_SIZE 65536

/* Kept after the libuv handle, whose size depends on its type. */
typedef struct {
  char *rbuf; /* the runtime's read buffer, a userdata in the registry */
} stream_ext;

/* A queued write: the request and how many bytes it carries, which
 * onwrite reports so the Lua side can keep writableLength. */
typedef struct {
  uv_write_t w;
  size_t n;
} write_req;

static size_t uv_part(uv_handle_type t) {
  size_t n = uv_handle_size(t);
  return (n + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *);
}

static stream_ext *ext_of(uv_stream_t *s) {
  return (stream_ext *)(void *)((char *)s + uv_part(s->type));
}

/* The runtime's read buffer, made on first use and owned by the
 * registry, so it lives as long as the lua_State (handles are closed
 * before it is). */
static char *read_buffer(lua_State *L) {
  char *p;
  lua_getfield(L, LUA_REGISTRYINDEX, "lode.stream.rbuf");
  p = (char *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (p) return p;
  p = (char *)lua_newuserdata(L, READ_SIZE);
  lua_setfield(L, LUA_REGISTRYINDEX, "lode.stream.rbuf");
  return p;
}

lode__handle *lode__stream_new(lua_State *L, const char *mt, const char *type, uv_handle_type t) {
  char *rbuf = read_buffer(L);
  lode__handle *h = lode__handle_new(L, mt, type, uv_part(t) + sizeof(stream_ext));
  /* ext_of reads the type libuv sets at init; set it here already so the
   * extension is reachable before that. */
  ((stream_ext *)(void *)((char *)h->uv + uv_part(t)))->rbuf = rbuf;
  return h;
}

/* Pushes the method `name` of h's owner and the owner; returns 0 (and
 * pushes nothing) when there is none or the runtime stops. */
static int push_method(lode__handle *h, const char *name) {
  lua_State *L = h->rt->L;
  if (lode__stopped(h->rt) || h->ref == LUA_NOREF) return 0;
  lode__handle_push_env(L, h);
  lua_getfield(L, -1, name);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 2);
    return 0;
  }
  lua_insert(L, -2);
  return 1;
}

/* The open stream handle at 1, of the metatable named by upvalue 1. */
static lode__handle *check(lua_State *L) {
  return lode__handle_check(L, 1, lua_tostring(L, lua_upvalueindex(1)));
}

#define STREAM(h) LODE__UV(h, uv_stream_t)

static void on_alloc(uv_handle_t *uh, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  buf->base = ext_of((uv_stream_t *)(void *)uh)->rbuf;
  buf->len = READ_SIZE;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  lode__handle *h = (lode__handle *)s->data;
  lua_State *L = h->rt->L;
  if (nread == 0) return; /* EAGAIN: nothing was read */
  if (!push_method(h, "_onread")) return;
  if (nread > 0) {
    lua_pushlstring(L, buf->base, (size_t)nread);
    lode__call(h->rt, 2);
  } else {
    lua_pushnil(L);
    lua_pushinteger(L, (lua_Integer)nread);
    lode__call(h->rt, 3);
  }
}

static int l_read_start(lua_State *L) {
  lode__handle *h = check(L);
  int r = uv_read_start(STREAM(h), on_alloc, on_read);
  /* Starting twice is not an error for the Lua side. */
  if (r != 0 && r != UV_EALREADY) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_read_stop(lua_State *L) {
  lode__handle *h = check(L);
  int r = uv_read_stop(STREAM(h));
  if (r != 0) return lode__uverr(L, r);
  lua_pushboolean(L, 1);
  return 1;
}

static void on_write(uv_write_t *w, int status) {
  lode__req *r = lode__req_of(w);
  lode__handle *h = (lode__handle *)w->handle->data;
  size_t n = ((write_req *)lode__mem(w))->n;
  lode__req_free(r);
  if (!push_method(h, "_onwrite")) return;
  lua_pushinteger(h->rt->L, status);
  lua_pushnumber(h->rt->L, (lua_Number)n);
  lode__call(h->rt, 3);
}

/* Queues bufs[0..n) (what uv_try_write left), holding the values at
 * first..last alive until the request completes. Returns 0 or a status. */
static int queue(lua_State *L, lode__handle *h, uv_buf_t *bufs, unsigned n, size_t total, int first, int last) {
  lode__req *r = lode__req_new(L, 0, "write", sizeof(write_req));
  int i, st;
  ((write_req *)lode__mem(r->uv))->n = total;
  for (i = first; i <= last; i++) lode__req_hold(L, r, i);
  st = uv_write(LODE__REQ(r, uv_write_t), STREAM(h), bufs, n, on_write);
  if (st != 0) lode__req_free(r);
  return st;
}

/* write(data): writes a string or Buffer. Returns how many bytes are left
 * queued (0 when all went at once; then no request was made), or nil and
 * a status. */
static int l_write(lua_State *L) {
  lode__handle *h = check(L);
  size_t len;
  const char *p = lode_checkbytes(L, 2, &len);
  uv_buf_t buf = uv_buf_init((char *)p, (unsigned)len);
  int n = uv_try_write(STREAM(h), &buf, 1);
  if (n == (int)len) {
    lua_pushinteger(L, 0);
    return 1;
  }
  if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) return lode__uverr(L, n);
  if (n < 0) n = 0;
  buf.base += n;
  buf.len -= (size_t)n;
  if ((n = queue(L, h, &buf, 1, buf.len, 2, 2)) != 0) return lode__uverr(L, n);
  lua_pushnumber(L, (lua_Number)buf.len);
  return 1;
}

/* writev(list): writes a list of strings and Buffers as one; returns as
 * write() does. */
static int l_writev(lua_State *L) {
  lode__handle *h = check(L);
  uv_buf_t small[16], *bufs = small;
  size_t total = 0, done, left = 0;
  int i, n, st, first = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  n = (int)lua_objlen(L, 2);
  if (n > 16 && !(bufs = (uv_buf_t *)malloc(sizeof *bufs * (size_t)n))) return luaL_error(L, "not enough memory");
  /* The values stay on the stack (2 + i) for the checks, the bufs and the
   * request's hold. */
  lua_settop(L, 2);
  if (!lua_checkstack(L, n + 2)) {
    if (bufs != small) free(bufs);
    return luaL_error(L, "too many buffers");
  }
  for (i = 0; i < n; i++) {
    size_t len;
    const char *p;
    lua_rawgeti(L, 2, i + 1);
    if (!(p = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LODE__TCDATA ? lode_checkbytes(L, -1, &len) : NULL)) {
      if (bufs != small) free(bufs);
      return lode__argerror(L, "ERR_INVALID_ARG_TYPE", "The \"chunks[%d]\" argument must be a string or Buffer", i + 1);
    }
    bufs[i] = uv_buf_init((char *)p, (unsigned)len);
    total += len;
  }
  st = n ? uv_try_write(STREAM(h), bufs, (unsigned)n) : 0;
  if (st < 0 && st != UV_EAGAIN && st != UV_ENOSYS) goto out;
  done = st < 0 ? 0 : (size_t)st;
  if (done == total) {
    st = 0;
    goto out;
  }
  left = total - done;
  while (first < n && done >= bufs[first].len) done -= bufs[first++].len;
  bufs[first].base += done;
  bufs[first].len -= done;
  st = queue(L, h, bufs + first, (unsigned)(n - first), left, 3 + first, 2 + n);
out:
  if (bufs != small) free(bufs);
  if (st < 0) return lode__uverr(L, st);
  lua_pushnumber(L, (lua_Number)left);
  return 1;
}

static void on_shutdown(uv_shutdown_t *s, int status) {
  lode__req_status(lode__req_of(s), status);
}

/* shutdown([cb]): ends the writing side once queued writes are out;
 * cb(status). */
static int l_shutdown(lua_State *L) {
  lode__handle *h = check(L);
  lode__req *r;
  int st;
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  r = lode__req_new(L, 2, "shutdown", sizeof(uv_shutdown_t));
  if ((st = uv_shutdown(LODE__REQ(r, uv_shutdown_t), STREAM(h), on_shutdown)) != 0) {
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* A new connection: the client is made in C with the server's own type
 * and handed to Lua already accepted. When descriptors run out, libuv
 * closes its reserved descriptor, accepts and closes the waiting
 * connections and reopens it (uv__emfile_trick), then reports UV_EMFILE
 * here: the server stays listening and does not spin. */
static void on_connection(uv_stream_t *server, int status) {
  lode__handle *h = (lode__handle *)server->data, *c;
  lua_State *L = h->rt->L;
  int st;
  if (!push_method(h, "_onconnection")) return;
  if (status != 0) {
    lua_pushinteger(L, status);
    lode__call(h->rt, 2);
    return;
  }
  if (server->type == UV_TCP) {
    c = lode__stream_new(L, LODE__MT_TCP, "tcp", UV_TCP);
    st = uv_tcp_init(h->rt->loop, LODE__UV(c, uv_tcp_t));
  } else {
    c = lode__stream_new(L, LODE__MT_PIPE, "pipe", UV_NAMED_PIPE);
    st = uv_pipe_init(h->rt->loop, LODE__UV(c, uv_pipe_t), ((uv_pipe_t *)server)->ipc);
  }
  if (st != 0) {
    lode__handle_abort(L, c);
    lua_pop(L, 1);
  } else if ((st = uv_accept(server, STREAM(c))) != 0) {
    lode__handle_close(c);
    lua_pop(L, 1);
  }
  if (st != 0) {
    lua_pushinteger(L, st);
    lode__call(h->rt, 2);
    return;
  }
  lua_pushnil(L);
  lua_insert(L, -2);
  lode__call(h->rt, 3);
}

/* listen(backlog): starts accepting; connections go to _onconnection. */
static int l_listen(lua_State *L) {
  lode__handle *h = check(L);
  int backlog = (int)luaL_optinteger(L, 2, 511);
  int st = uv_listen(STREAM(h), backlog, on_connection);
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_set_blocking(lua_State *L) {
  lode__handle *h = check(L);
  int st = uv_stream_set_blocking(STREAM(h), lua_toboolean(L, 2));
  if (st != 0) return lode__uverr(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_fileno(lua_State *L) {
  lode__handle *h = check(L);
  uv_os_fd_t fd;
  int st = uv_fileno(h->uv, &fd);
  if (st != 0) return lode__uverr(L, st);
  lua_pushinteger(L, fd);
  return 1;
}

static int l_write_queue_size(lua_State *L) {
  lode__handle *h = check(L);
  lua_pushnumber(L, (lua_Number)STREAM(h)->write_queue_size);
  return 1;
}

static int l_ref(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, lua_tostring(L, lua_upvalueindex(1)));
  if (h && !(h->flags & (LODE__H_CLOSING | LODE__H_CLOSED))) {
    if (lua_isnone(L, 2) || lua_toboolean(L, 2)) uv_ref(h->uv);
    else uv_unref(h->uv);
  }
  return 0;
}

static int l_has_ref(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, lua_tostring(L, lua_upvalueindex(1)));
  lua_pushboolean(L, h && !(h->flags & (LODE__H_CLOSING | LODE__H_CLOSED)) && uv_has_ref(h->uv));
  return 1;
}

static void call_onclose(lode__handle *h) {
  if (!push_method(h, "_onclose")) return;
  lode__call(h->rt, 1);
}

void lode__stream_close(lua_State *L, lode__handle *h, int notify) {
  if (lua_toboolean(L, notify)) h->on_close = call_onclose;
  lode__handle_close(h);
}

/* close([notify]): closes the handle; with notify, owner:_onclose() runs
 * from the loop once libuv has let go of it. Harmless when closed. */
static int l_close(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, lua_tostring(L, lua_upvalueindex(1)));
  if (!h || (h->flags & (LODE__H_CLOSING | LODE__H_CLOSED))) return 0;
  lode__stream_close(L, h, 2);
  return 0;
}

/* setowner(obj): the table whose methods the handle calls. */
static int l_setowner(lua_State *L) {
  check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_pushvalue(L, 2);
  lua_setfenv(L, 1);
  return 0;
}

static const luaL_Reg shared[] = {
  {"readStart", l_read_start},
  {"readStop", l_read_stop},
  {"write", l_write},
  {"writev", l_writev},
  {"shutdown", l_shutdown},
  {"listen", l_listen},
  {"setBlocking", l_set_blocking},
  {"fileno", l_fileno},
  {"writeQueueSize", l_write_queue_size},
  {"ref", l_ref},
  {"hasRef", l_has_ref},
  {"close", l_close},
  {"setowner", l_setowner},
  {NULL, NULL},
};

void lode__stream_codes(lua_State *L) {
  static const struct { const char *name; int code; } codes[] = {
    {"EOF", UV_EOF}, {"ENOTCONN", UV_ENOTCONN}, {"EMFILE", UV_EMFILE},
    {"ENFILE", UV_ENFILE}, {"ECANCELED", UV_ECANCELED}, {"EPIPE", UV_EPIPE},
  };
  size_t i;
  lua_createtable(L, 0, (int)(sizeof codes / sizeof codes[0]));
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    lua_pushinteger(L, codes[i].code);
    lua_setfield(L, -2, codes[i].name);
  }
  lua_setfield(L, -2, "codes");
}

void lode__stream_meta(lua_State *L, const char *mt, const luaL_Reg *own) {
  lode__handle_meta(L, mt, own);
  luaL_getmetatable(L, mt);
  lua_getfield(L, -1, "__index");
  lua_pushstring(L, mt);
  luaL_openlib(L, NULL, shared, 1);
  lua_pop(L, 2);
}
