/*
 * fs.c: the file system binding under lua/fs.lua.
 *
 * Every call takes an optional callback as its last argument. With a
 * function there, the call makes a request (after every check) and queues
 * it on the runtime's loop; the callback later gets (nil, results...) or
 * (errno). Without one, the call runs at once on a uv_fs_t on the C stack
 * with no callback, so libuv does the work in this thread and the loop is
 * never touched; it returns (results...) or (nil, errno). Calls made with
 * a callback return true, or (nil, errno) when libuv refused at once.
 *
 * Stats do not travel as tables: C writes the 14 numbers of a stat (Node's
 * order, see put_stat) into an array of doubles the binding owns, and Lua
 * reads them through the FFI right after the call or inside the callback.
 * statfn() hands Lua a C function that does a sync stat into that array,
 * so statSync is an FFI call the JIT compiles.
 *
 * readFile is one thread-pool job (uv_queue_work): open, fstat, read the
 * whole file into one malloc'd block sized from fstat (growing only for
 * files whose size is 0 or that grow, like /proc files), close; the loop
 * thread then makes the Lua string with one lua_pushlstring. Two copies
 * from the page cache to the Lua string, none in the loop thread but the
 * last.
 */
#include "../runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* From this size on, readFile reads into an anonymous mapping. */
#define BIG_FILE (1u << 20)
/* From this size on, two threads read a file (read_parallel). */
#define PARALLEL_MIN ((size_t)8 << 20)

#define DIR_MT "lode.fsdir"
/* fs_poll and fs_event handles share one metatable: their methods only
 * close and ref them. */
#define WATCH_MT "lode.fswatcher"

/* Doubles per stat, and the binding's array (two stats: fs_poll gives the
 * current and the previous one). */
#define NSTAT 14
typedef struct {
  double v[2 * NSTAT];
  /* The mapping of the last big readFile, kept for the next one so that
   * reading a big file again costs no page faults. It stays resident (a
   * page given up with MADV_FREE faults again on its next write, which
   * made the read half as fast); fs.lua drops it with dropspare once no
   * big readFile came for a second. Owned by this userdata, lent to one
   * readFile job at a time, unmapped by dropspare or __gc. */
  char *spare;
  size_t sparecap;
} statbuf;

/* The largest mapping kept as spare. */
#define SPARE_MAX ((size_t)256 << 20)

/* An async fs request: the uv_fs_t, and where its stat goes. */
typedef struct {
  uv_fs_t fs;
  double *stats;
  char *buf; /* readstr's block, malloc'ed; freed in on_fs */
} fsreq;

/* How many directory entries one Dir read asks for. */
#define DIR_BATCH 32

/* A Dir: the libuv directory and its entry array. dir is NULL once
 * closed; the Lua object holds the userdata while a request runs, so __gc
 * never meets a request in flight. */
typedef struct {
  uv_dir_t *dir;
  uv_dirent_t ents[DIR_BATCH];
} ldir;

static double *stats_of(lua_State *L) {
  return ((statbuf *)lua_touserdata(L, lua_upvalueindex(1)))->v;
}

static double ms(uv_timespec_t t) {
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void put_stat(double *o, const uv_stat_t *s) {
  o[0] = (double)s->st_dev;
  o[1] = (double)s->st_mode;
  o[2] = (double)s->st_nlink;
  o[3] = (double)s->st_uid;
  o[4] = (double)s->st_gid;
  o[5] = (double)s->st_rdev;
  o[6] = (double)s->st_blksize;
  o[7] = (double)s->st_ino;
  o[8] = (double)s->st_size;
  o[9] = (double)s->st_blocks;
  o[10] = ms(s->st_atim);
  o[11] = ms(s->st_mtim);
  o[12] = ms(s->st_ctim);
  o[13] = ms(s->st_birthtim);
}

/* Checks. Each raises an error table (lode__argerror), never a string. */

static lua_Number num(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    lode__argerror(L, "ERR_INVALID_ARG_TYPE", "argument #%d must be of type number. Received type %s",
                   idx, luaL_typename(L, idx));
  return lua_tonumber(L, idx);
}

static const char *str(lua_State *L, int idx, size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    lode__argerror(L, "ERR_INVALID_ARG_TYPE", "argument #%d must be of type string. Received type %s",
                   idx, luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

static void need(lua_State *L, int idx, int type) {
  if (lua_type(L, idx) != type)
    lode__argerror(L, "ERR_INVALID_ARG_TYPE", "argument #%d must be of type %s. Received type %s",
                   idx, lua_typename(L, type), luaL_typename(L, idx));
}

static const char *check_path(lua_State *L, int idx) {
  size_t len;
  const char *p = str(L, idx, &len);
  if (strlen(p) != len)
    lode__argerror(L, "ERR_INVALID_ARG_VALUE", "path must not contain null bytes");
  return p;
}

static uv_file check_fd(lua_State *L, int idx) {
  lua_Number n = num(L, idx);
  if (n < 0 || n > 2147483647 || n != (lua_Number)(int)n)
    lode__argerror(L, "ERR_OUT_OF_RANGE", "fd out of range");
  return (uv_file)n;
}

static int check_int(lua_State *L, int idx) {
  lua_Number n = num(L, idx);
  if (n < -2147483648.0 || n > 4294967295.0 || n != (lua_Number)(int64_t)n)
    lode__argerror(L, "ERR_OUT_OF_RANGE", "integer out of range");
  return (int)(int64_t)n;
}

static int64_t check_off(lua_State *L, int idx) {
  lua_Number n = lua_isnoneornil(L, idx) ? -1 : num(L, idx);
  if (n < -1 || n > 9007199254740991.0 || n != (lua_Number)(int64_t)n)
    lode__argerror(L, "ERR_OUT_OF_RANGE", "position out of range");
  return (int64_t)n;
}

/* The bytes of a string or Buffer at idx, from byte off (0-based) for len
 * bytes, checked against its size. */
static char *check_span(lua_State *L, int idx, int oi, int li, size_t *len) {
  size_t size;
  const char *p = lode_checkbytes(L, idx, &size);
  lua_Number off = num(L, oi), n = num(L, li);
  if (off < 0 || n < 0 || off != (lua_Number)(size_t)off || n != (lua_Number)(size_t)n ||
      off + n > (lua_Number)size)
    lode__argerror(L, "ERR_OUT_OF_RANGE", "offset or length out of range");
  *len = (size_t)n;
  return (char *)p + (size_t)off;
}

/* Results, pushed from a finished uv_fs_t whose result is >= 0. Returns
 * how many values were pushed. */

static void push_dir(lua_State *L, uv_dir_t *dir) {
  ldir *d = (ldir *)lua_newuserdata(L, sizeof(ldir));
  d->dir = dir;
  luaL_getmetatable(L, DIR_MT);
  lua_setmetatable(L, -2);
}

static int push_result(lua_State *L, uv_fs_t *req, double *stats) {
  switch (req->fs_type) {
  case UV_FS_OPEN:
  case UV_FS_READ:
  case UV_FS_WRITE:
  case UV_FS_SENDFILE:
    lua_pushnumber(L, (lua_Number)req->result);
    return 1;
  case UV_FS_STAT:
  case UV_FS_LSTAT:
  case UV_FS_FSTAT:
    put_stat(stats, &req->statbuf);
    lua_pushboolean(L, 1);
    return 1;
  case UV_FS_MKDTEMP:
    lua_pushstring(L, req->path);
    return 1;
  case UV_FS_READLINK:
  case UV_FS_REALPATH:
    lua_pushstring(L, (const char *)req->ptr);
    return 1;
  case UV_FS_STATFS: {
    const uv_statfs_t *s = (const uv_statfs_t *)req->ptr;
    lua_createtable(L, 0, 7);
#define F(k) (lua_pushnumber(L, (lua_Number)s->f_##k), lua_setfield(L, -2, #k))
    F(type); F(bsize); F(blocks); F(bfree); F(bavail); F(files); F(ffree);
#undef F
    return 1;
  }
  case UV_FS_SCANDIR: {
    uv_dirent_t ent;
    int i = 0;
    lua_createtable(L, (int)req->result, 0);
    lua_createtable(L, (int)req->result, 0);
    while (uv_fs_scandir_next(req, &ent) == 0) {
      i++;
      lua_pushstring(L, ent.name);
      lua_rawseti(L, -3, i);
      lua_pushinteger(L, ent.type);
      lua_rawseti(L, -2, i);
    }
    return 2;
  }
  case UV_FS_OPENDIR:
    push_dir(L, (uv_dir_t *)req->ptr);
    return 1;
  case UV_FS_READDIR: {
    uv_dir_t *dir = (uv_dir_t *)req->ptr;
    int i, n = (int)req->result;
    lua_createtable(L, n, 0);
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) {
      lua_pushstring(L, dir->dirents[i].name);
      lua_rawseti(L, -3, i + 1);
      lua_pushinteger(L, dir->dirents[i].type);
      lua_rawseti(L, -2, i + 1);
    }
    return 2;
  }
  default:
    lua_pushboolean(L, 1);
    return 1;
  }
}

static void on_fs(uv_fs_t *req) {
  lode__req *r = lode__req_of(req);
  fsreq *f = (fsreq *)(void *)req;
  lua_State *L = lode__req_push_cb(r);
  int n = 1;
  if (!L) {
    free(f->buf);
    uv_fs_req_cleanup(req);
    lode__req_free(r);
    return;
  }
  if (req->result < 0) {
    lua_pushinteger(L, (lua_Integer)req->result);
  } else if (f->buf) {
    lua_pushnil(L);
    lua_pushlstring(L, f->buf, (size_t)req->result);
    n++;
  } else {
    lua_pushnil(L);
    n += push_result(L, req, f->stats);
  }
  free(f->buf);
  uv_fs_req_cleanup(req);
  lode__req_call(r, n);
}

/* One call, sync or async: `begin` picks the uv_fs_t and callback, the
 * uv_fs_* call runs, `end` returns its values. */
typedef struct {
  uv_fs_t stack;
  lode__req *r;
  uv_fs_t *req;
  uv_fs_cb cb;
  uv_loop_t *loop;
  double *stats;
} call;

static void begin(lua_State *L, call *c, int cbidx) {
  c->loop = lode__rt(L)->loop;
  c->stats = stats_of(L);
  if (lua_type(L, cbidx) == LUA_TFUNCTION) {
    fsreq *f;
    c->r = lode__req_new(L, cbidx, "fs", sizeof(fsreq));
    f = LODE__REQ(c->r, fsreq);
    f->stats = c->stats;
    c->req = &f->fs;
    c->req->data = c->r;
    c->cb = on_fs;
  } else {
    c->r = NULL;
    c->req = &c->stack;
    c->cb = NULL;
  }
}

static int end(lua_State *L, call *c, int st) {
  int n;
  if (c->r) {
    if (st < 0) {
      uv_fs_req_cleanup(c->req);
      lode__req_free(c->r);
      return lode__uverr(L, st);
    }
    lua_pushboolean(L, 1);
    return 1;
  }
  if (st < 0) {
    uv_fs_req_cleanup(c->req);
    return lode__uverr(L, st);
  }
  n = push_result(L, c->req, c->stats);
  uv_fs_req_cleanup(c->req);
  return n;
}

#define RUN(cbidx, expr)                              \
  do {                                                \
    call c_;                                          \
    begin(L, &c_, (cbidx));                           \
    {                                                 \
      uv_loop_t *loop = c_.loop;                      \
      uv_fs_t *req = c_.req;                          \
      uv_fs_cb cb = c_.cb;                            \
      return end(L, &c_, (expr));                     \
    }                                                 \
  } while (0)

#define HOLD(idx) do { if (c_.r) lode__req_hold(L, c_.r, (idx)); } while (0)

/* The calls. Arguments as lua/fs.lua passes them, callback last. */

static int l_open(lua_State *L) {
  const char *p = check_path(L, 1);
  int flags = check_int(L, 2), mode = check_int(L, 3);
  RUN(4, uv_fs_open(loop, req, p, flags, mode, cb));
}

static int l_close(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  RUN(2, uv_fs_close(loop, req, fd, cb));
}

/* read(fd, buffer, off, len, pos, [cb]): off is 0-based here. */
static int l_read(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  size_t len;
  char *p;
  int64_t pos;
  uv_buf_t b;
  need(L, 2, LODE__TCDATA); /* only a Buffer may be written to */
  p = check_span(L, 2, 3, 4, &len);
  pos = check_off(L, 5);
  b = uv_buf_init(p, (unsigned)(len > 0x7ffff000 ? 0x7ffff000 : len));
  {
    call c_;
    int st;
    begin(L, &c_, 6);
    HOLD(2);
    st = uv_fs_read(c_.loop, c_.req, fd, &b, 1, pos, c_.cb);
    return end(L, &c_, st);
  }
}

/* write(fd, data, off, len, pos, [cb]): data a string or Buffer. */
static int l_write(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  size_t len;
  char *p = check_span(L, 2, 3, 4, &len);
  int64_t pos = check_off(L, 5);
  uv_buf_t b = uv_buf_init(p, (unsigned)(len > 0x7ffff000 ? 0x7ffff000 : len));
  call c_;
  int st;
  begin(L, &c_, 6);
  HOLD(2);
  st = uv_fs_write(c_.loop, c_.req, fd, &b, 1, pos, c_.cb);
  return end(L, &c_, st);
}

/* readstr(fd, len, pos, [cb]): up to len bytes at pos as a string (the
 * file streams' read: one copy, from a malloc'ed block into the string). */
static int l_readstr(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  lua_Number n = num(L, 2);
  int64_t pos = check_off(L, 3);
  size_t len;
  char *p;
  uv_buf_t b;
  call c_;
  int st;
  if (n < 0 || n > 0x7ffff000 || n != (lua_Number)(size_t)n)
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "length out of range");
  len = (size_t)n;
  if (!(p = (char *)malloc(len ? len : 1))) return lode__uverr(L, UV_ENOMEM);
  b = uv_buf_init(p, (unsigned)len);
  begin(L, &c_, 4);
  if (c_.r) LODE__REQ(c_.r, fsreq)->buf = p;
  st = uv_fs_read(c_.loop, c_.req, fd, &b, 1, pos, c_.cb);
  if (c_.r) {
    if (st < 0) free(p);
    return end(L, &c_, st);
  }
  uv_fs_req_cleanup(c_.req);
  if (st < 0) {
    free(p);
    return lode__uverr(L, st);
  }
  lua_pushlstring(L, p, (size_t)st);
  free(p);
  return 1;
}

/* readv/writev(fd, list, pos, [cb]): list of Buffers (strings for
 * writev). libuv copies the uv_buf_t array; the list is held. */
static int vector(lua_State *L, int writing) {
  uv_file fd = check_fd(L, 1);
  int i, n, st;
  int64_t pos;
  uv_buf_t small[16], *bufs = small;
  call c_;
  need(L, 2, LUA_TTABLE);
  pos = check_off(L, 3);
  n = (int)lua_objlen(L, 2);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, i);
    if (!writing && lua_type(L, -1) != LODE__TCDATA)
      lode__argerror(L, "ERR_INVALID_ARG_TYPE", "readv takes Buffers only");
    { size_t len_; (void)lode_checkbytes(L, -1, &len_); }
    lua_pop(L, 1);
  }
  if (n > 16) bufs = (uv_buf_t *)lua_newuserdata(L, sizeof(uv_buf_t) * (size_t)n);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *p;
    lua_rawgeti(L, 2, i);
    p = lode_checkbytes(L, -1, &len);
    bufs[i - 1] = uv_buf_init((char *)p, (unsigned)len);
    lua_pop(L, 1);
  }
  begin(L, &c_, 4);
  HOLD(2);
  st = writing ? uv_fs_write(c_.loop, c_.req, fd, bufs, (unsigned)n, pos, c_.cb)
               : uv_fs_read(c_.loop, c_.req, fd, bufs, (unsigned)n, pos, c_.cb);
  return end(L, &c_, st);
}

static int l_readv(lua_State *L) { return vector(L, 0); }
static int l_writev(lua_State *L) { return vector(L, 1); }

static int l_stat(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_stat(loop, req, p, cb));
}

static int l_lstat(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_lstat(loop, req, p, cb));
}

static int l_fstat(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  RUN(2, uv_fs_fstat(loop, req, fd, cb));
}

static int l_statfs(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_statfs(loop, req, p, cb));
}

static int l_access(lua_State *L) {
  const char *p = check_path(L, 1);
  int mode = check_int(L, 2);
  RUN(3, uv_fs_access(loop, req, p, mode, cb));
}

static int l_mkdir(lua_State *L) {
  const char *p = check_path(L, 1);
  int mode = check_int(L, 2);
  RUN(3, uv_fs_mkdir(loop, req, p, mode, cb));
}

static int l_mkdtemp(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_mkdtemp(loop, req, p, cb));
}

static int l_rmdir(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_rmdir(loop, req, p, cb));
}

static int l_unlink(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_unlink(loop, req, p, cb));
}

static int l_rename(lua_State *L) {
  const char *a = check_path(L, 1), *b = check_path(L, 2);
  RUN(3, uv_fs_rename(loop, req, a, b, cb));
}

static int l_copyfile(lua_State *L) {
  const char *a = check_path(L, 1), *b = check_path(L, 2);
  int flags = check_int(L, 3);
  RUN(4, uv_fs_copyfile(loop, req, a, b, flags, cb));
}

static int l_symlink(lua_State *L) {
  const char *a = check_path(L, 1), *b = check_path(L, 2);
  int flags = check_int(L, 3);
  RUN(4, uv_fs_symlink(loop, req, a, b, flags, cb));
}

static int l_link(lua_State *L) {
  const char *a = check_path(L, 1), *b = check_path(L, 2);
  RUN(3, uv_fs_link(loop, req, a, b, cb));
}

static int l_readlink(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_readlink(loop, req, p, cb));
}

static int l_realpath(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_realpath(loop, req, p, cb));
}

static int l_scandir(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_scandir(loop, req, p, 0, cb));
}

static int l_ftruncate(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  int64_t len = check_off(L, 2);
  if (len < 0) return lode__argerror(L, "ERR_OUT_OF_RANGE", "length out of range");
  RUN(3, uv_fs_ftruncate(loop, req, fd, len, cb));
}

static int l_chmod(lua_State *L) {
  const char *p = check_path(L, 1);
  int mode = check_int(L, 2);
  RUN(3, uv_fs_chmod(loop, req, p, mode, cb));
}

static int l_fchmod(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  int mode = check_int(L, 2);
  RUN(3, uv_fs_fchmod(loop, req, fd, mode, cb));
}

static int l_chown(lua_State *L) {
  const char *p = check_path(L, 1);
  int u = check_int(L, 2), g = check_int(L, 3);
  RUN(4, uv_fs_chown(loop, req, p, (uv_uid_t)u, (uv_gid_t)g, cb));
}

static int l_fchown(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  int u = check_int(L, 2), g = check_int(L, 3);
  RUN(4, uv_fs_fchown(loop, req, fd, (uv_uid_t)u, (uv_gid_t)g, cb));
}

static int l_lchown(lua_State *L) {
  const char *p = check_path(L, 1);
  int u = check_int(L, 2), g = check_int(L, 3);
  RUN(4, uv_fs_lchown(loop, req, p, (uv_uid_t)u, (uv_gid_t)g, cb));
}

/* Times are in seconds, as libuv takes them. */
static int l_utime(lua_State *L) {
  const char *p = check_path(L, 1);
  double a = num(L, 2), m = num(L, 3);
  RUN(4, uv_fs_utime(loop, req, p, a, m, cb));
}

static int l_lutime(lua_State *L) {
  const char *p = check_path(L, 1);
  double a = num(L, 2), m = num(L, 3);
  RUN(4, uv_fs_lutime(loop, req, p, a, m, cb));
}

static int l_futime(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  double a = num(L, 2), m = num(L, 3);
  RUN(4, uv_fs_futime(loop, req, fd, a, m, cb));
}

static int l_fsync(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  RUN(2, uv_fs_fsync(loop, req, fd, cb));
}

static int l_fdatasync(lua_State *L) {
  uv_file fd = check_fd(L, 1);
  RUN(2, uv_fs_fdatasync(loop, req, fd, cb));
}

static int l_opendir(lua_State *L) {
  const char *p = check_path(L, 1);
  RUN(2, uv_fs_opendir(loop, req, p, cb));
}

static ldir *to_dir(lua_State *L) {
  ldir *d = (ldir *)lua_touserdata(L, 1);
  int ok = 0;
  if (d && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, DIR_MT);
    ok = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  if (!ok) lode__argerror(L, "ERR_INVALID_ARG_TYPE", "The \"dir\" argument must be a Dir handle");
  return d;
}

static ldir *check_dir(lua_State *L) {
  ldir *d = to_dir(L);
  if (!d->dir) lode__argerror(L, "ERR_DIR_CLOSED", "Directory handle was closed");
  return d;
}

/* dir:read([cb]): names and types of up to DIR_BATCH entries (empty
 * lists at the end). */
static int l_dir_read(lua_State *L) {
  ldir *d = check_dir(L);
  call c_;
  int st;
  d->dir->dirents = d->ents;
  d->dir->nentries = DIR_BATCH;
  begin(L, &c_, 2);
  HOLD(1);
  st = uv_fs_readdir(c_.loop, c_.req, d->dir, c_.cb);
  return end(L, &c_, st);
}

/* dir:close([cb]): the Dir is closed from here on, whatever the result. */
static int l_dir_close(lua_State *L) {
  ldir *d = check_dir(L);
  uv_dir_t *dir = d->dir;
  call c_;
  int st;
  d->dir = NULL;
  begin(L, &c_, 2);
  st = uv_fs_closedir(c_.loop, c_.req, dir, c_.cb);
  return end(L, &c_, st);
}

static int l_dir_gc(lua_State *L) {
  ldir *d = to_dir(L);
  if (d->dir) {
    uv_fs_t req;
    int st = uv_fs_closedir(NULL, &req, d->dir, NULL);
    (void)st; /* Nobody is left to tell. */
    uv_fs_req_cleanup(&req);
    d->dir = NULL;
  }
  return 0;
}

/* The sync stat that Lua calls through the FFI: kind 0 stat, 1 lstat,
 * 2 fstat (of fd). Writes the stat to out; returns 0 or a libuv status. */
static int fast_stat(void *loop, const char *path, int kind, int fd, double *out) {
  uv_fs_t req;
  int st;
  if (kind == 0) st = uv_fs_stat((uv_loop_t *)loop, &req, path, NULL);
  else if (kind == 1) st = uv_fs_lstat((uv_loop_t *)loop, &req, path, NULL);
  else st = uv_fs_fstat((uv_loop_t *)loop, &req, fd, NULL);
  if (st == 0) put_stat(out, &req.statbuf);
  uv_fs_req_cleanup(&req);
  return st;
}

/* statfn(): fast_stat, its loop argument, and the stat array, for the
 * FFI. */
static int l_statfn(lua_State *L) {
  lua_pushlightuserdata(L, (void *)(uintptr_t)fast_stat);
  lua_pushlightuserdata(L, lode__rt(L)->loop);
  lua_pushlightuserdata(L, stats_of(L));
  return 3;
}

/* readFile as one job. */

typedef struct {
  uv_work_t work;
  char *path; /* NULL when reading fd */
  int fd, flags;
  char *data;
  size_t len;
  size_t mapped; /* data is an anonymous mapping of this size, or 0 */
  statbuf *state; /* where the spare mapping comes from and goes back */
  char *spare;    /* the spare lent to this job (NULL once used) */
  size_t sparecap;
  int err;    /* a libuv status; 0 when all went well */
  int syscall;
} readjob;

enum { SYS_OPEN = 1, SYS_FSTAT, SYS_READ, SYS_CLOSE };
static const char *const syscalls[] = {NULL, "open", "fstat", "read", "close"};

/* pread until len bytes are in or EOF; the count, or -errno. */
static ssize_t pread_full(int fd, char *p, size_t len, off_t off) {
  size_t n = 0;
  while (n < len) {
    ssize_t r = pread(fd, p + n, len - n, off + (off_t)n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (r == 0) break;
    n += (size_t)r;
  }
  return (ssize_t)n;
}

/* A big file read by two threads at once, in chunks that each takes in
 * turn (under lock) until none is left: a thread that starts late or runs
 * slower takes fewer, so neither waits for a fixed half of the other's.
 * Lives on the stack of read_parallel, which joins the second thread. */
typedef struct {
  uv_mutex_t lock;
  int fd;
  char *p;
  size_t size;
  size_t next; /* the offset of the next chunk to take */
  size_t end;  /* the lowest offset a read stopped short at (EOF), or size */
  int err;     /* the first -errno, or 0 */
} shared_read;

#define READ_CHUNK ((size_t)4 << 20)

static void read_chunks(void *arg) {
  shared_read *s = (shared_read *)arg;
  for (;;) {
    size_t off, len;
    ssize_t got;
    uv_mutex_lock(&s->lock);
    off = s->next;
    if (s->err || off >= s->end) {
      uv_mutex_unlock(&s->lock);
      return;
    }
    len = s->size - off < READ_CHUNK ? s->size - off : READ_CHUNK;
    s->next = off + len;
    uv_mutex_unlock(&s->lock);
    got = pread_full(s->fd, s->p + off, len, (off_t)off);
    uv_mutex_lock(&s->lock);
    if (got < 0) {
      if (!s->err) s->err = (int)got;
    } else if ((size_t)got < len && off + (size_t)got < s->end) {
      s->end = off + (size_t)got;
    }
    uv_mutex_unlock(&s->lock);
  }
}

/* Reads size bytes of a big file from offset 0 into p on two threads:
 * copying from the page cache is most of the cost of a big readFile, and
 * a second core halves it. Returns the bytes in place from 0 on (less
 * than size when the file shrank), or a libuv status. Every chunk below
 * the returned count was read whole: a short one would have lowered it. */
static ssize_t read_parallel(int fd, char *p, size_t size) {
  shared_read s;
  uv_thread_t t;
  int second;
  if (uv_mutex_init(&s.lock) != 0) {
    ssize_t n = pread_full(fd, p, size, 0);
    return n < 0 ? uv_translate_sys_error((int)-n) : n;
  }
  s.fd = fd;
  s.p = p;
  s.size = size;
  s.next = 0;
  s.end = size;
  s.err = 0;
  /* Without a second thread, this one takes every chunk. */
  second = uv_thread_create(&t, read_chunks, &s) == 0;
  read_chunks(&s);
  if (second) uv_thread_join(&t);
  uv_mutex_destroy(&s.lock);
  if (s.err) return uv_translate_sys_error(-s.err);
  return (ssize_t)s.end;
}

/* Reads the whole of fd into j->data. A regular file's size sizes the
 * block once (one byte more, so that the read that sees EOF needs no
 * growth); a file of size 0 or one that grows doubles it. */
static void read_all(readjob *j, int fd) {
  struct stat st;
  size_t cap, len = 0;
  char *buf;
  if (fstat(fd, &st) != 0) {
    j->err = uv_translate_sys_error(errno);
    j->syscall = SYS_FSTAT;
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    j->err = UV_EISDIR;
    j->syscall = SYS_READ;
    return;
  }
  cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
  if (cap >= BIG_FILE) {
    /* A big file goes into a mapping faulted in by the kernel in one go,
     * which costs a fraction of faulting each page on first write. */
    void *m;
    size_t mcap = cap;
    if (j->spare && j->sparecap >= cap) {
      m = j->spare;
      mcap = j->sparecap;
      j->spare = NULL;
    } else {
      m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    }
    if (m != MAP_FAILED) {
      size_t n = 0;
      if (j->path && cap - 1 >= PARALLEL_MIN) {
        /* Our own descriptor, at offset 0: two threads at once. */
        ssize_t got = read_parallel(fd, (char *)m, cap - 1);
        if (got < 0) {
          munmap(m, mcap);
          j->err = (int)got;
          j->syscall = SYS_READ;
          return;
        }
        n = (size_t)got;
        /* Whatever happened to the file meanwhile, the loop below goes on
         * from there: EOF at once, or the part that grew. */
        if (lseek(fd, (off_t)n, SEEK_SET) < 0) {
          munmap(m, mcap);
          j->err = uv_translate_sys_error(errno);
          j->syscall = SYS_READ;
          return;
        }
      }
      for (;;) {
        ssize_t r = read(fd, (char *)m + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
          munmap(m, mcap);
          j->err = uv_translate_sys_error(errno);
          j->syscall = SYS_READ;
          return;
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n == cap) break;
      }
      if (n < cap) {
        j->data = (char *)m;
        j->len = n;
        j->mapped = mcap;
        return;
      }
      /* The file grew past its size: go on in a malloc'ed block. */
      buf = (char *)malloc(cap * 2);
      if (buf) memcpy(buf, m, n);
      munmap(m, mcap);
      if (!buf) {
        j->err = UV_ENOMEM;
        j->syscall = SYS_READ;
        return;
      }
      len = n;
      cap *= 2;
      goto rest;
    }
  }
  buf = (char *)malloc(cap);
  if (!buf) {
    j->err = UV_ENOMEM;
    j->syscall = SYS_READ;
    return;
  }
rest:
  for (;;) {
    ssize_t n;
    if (len == cap) {
      char *nb = (char *)realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        j->err = UV_ENOMEM;
        j->syscall = SYS_READ;
        return;
      }
      buf = nb;
      cap *= 2;
    }
    n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      free(buf);
      j->err = uv_translate_sys_error(errno);
      j->syscall = SYS_READ;
      return;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  j->data = buf;
  j->len = len;
}

/* Gives a mapping back to the state as its spare, or unmaps it. */
static void give_back(statbuf *s, char *m, size_t cap) {
  if (!m) return;
  if (s && !s->spare && cap <= SPARE_MAX) {
    s->spare = m;
    s->sparecap = cap;
  } else {
    munmap(m, cap);
  }
}

/* Frees what a finished job holds; runs in the loop thread. */
static void readjob_free(readjob *j) {
  if (j->mapped) give_back(j->state, j->data, j->mapped);
  else free(j->data);
  give_back(j->state, j->spare, j->sparecap);
  j->data = j->spare = NULL;
  j->mapped = 0;
}

/* Lends the state's spare mapping to a job about to run. */
static void lend_spare(lua_State *L, readjob *j) {
  statbuf *s = (statbuf *)lua_touserdata(L, lua_upvalueindex(1));
  j->state = s;
  j->spare = s->spare;
  j->sparecap = s->sparecap;
  s->spare = NULL;
}

static void readjob_run(readjob *j) {
  int fd = j->fd;
  if (j->path) {
    do fd = open(j->path, j->flags | O_CLOEXEC, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      j->err = uv_translate_sys_error(errno);
      j->syscall = SYS_OPEN;
      return;
    }
  }
  read_all(j, fd);
  if (j->path && close(fd) != 0 && !j->err) {
    readjob_free(j);
    j->err = uv_translate_sys_error(errno);
    j->syscall = SYS_CLOSE;
  }
}

/* Pushes the result of a finished job: (data) or (nil, errno, syscall). */
static int readjob_push(lua_State *L, readjob *j) {
  if (j->err) {
    lua_pushnil(L);
    lua_pushinteger(L, j->err);
    lua_pushstring(L, syscalls[j->syscall]);
    return 3;
  }
  lua_pushlstring(L, j->data, j->len);
  return 1;
}

static void readjob_work(uv_work_t *w) {
  readjob_run((readjob *)(void *)w);
}

static void readjob_done(uv_work_t *w, int status) {
  readjob *j = (readjob *)(void *)w;
  lode__req *r = lode__req_of(w);
  lua_State *L = lode__req_push_cb(r);
  if (status < 0 && !j->err) {
    j->err = status;
    j->syscall = SYS_READ;
  }
  if (L) {
    int n = readjob_push(L, j);
    /* The callback gets (nil, data) or (errno, syscall). */
    if (n == 1) {
      lua_pushnil(L);
      lua_insert(L, -2);
      n = 2;
    } else {
      lua_remove(L, -3);
      n = 2;
    }
    readjob_free(j);
    free(j->path);
    lode__req_call(r, n);
    return;
  }
  readjob_free(j);
  free(j->path);
  lode__req_free(r);
}

/* readfile(path or fd, flags, [cb]). */
static int l_readfile(lua_State *L) {
  readjob sj, *j;
  const char *path = NULL;
  int fd = -1, flags = check_int(L, 2);
  lode__req *r;
  int st;
  if (lua_type(L, 1) == LUA_TSTRING) path = check_path(L, 1);
  else fd = check_fd(L, 1);
  if (lua_type(L, 3) != LUA_TFUNCTION) {
    memset(&sj, 0, sizeof sj);
    sj.path = (char *)path;
    sj.fd = fd;
    sj.flags = flags;
    lend_spare(L, &sj);
    readjob_run(&sj);
    st = readjob_push(L, &sj);
    readjob_free(&sj);
    return st;
  }
  r = lode__req_new(L, 3, "fs", sizeof(readjob));
  j = LODE__REQ(r, readjob);
  j->work.data = r;
  j->fd = fd;
  j->flags = flags;
  lend_spare(L, j);
  if (path && !(j->path = lode__strdup(path))) {
    readjob_free(j);
    lode__req_free(r);
    return lode__uverr(L, UV_ENOMEM);
  }
  if ((st = uv_queue_work(lode__rt(L)->loop, &j->work, readjob_work, readjob_done)) != 0) {
    readjob_free(j);
    free(j->path);
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* statbatch(paths, kind, cb): many stats (kind 0) or lstats (1) as one
 * thread-pool job, so that stats issued together cost one hand-off to a
 * thread instead of one each. cb(results, n) gets a pointer to n rows of
 * 1 + NSTAT doubles (a status, then the stat), valid only during the
 * call; the job frees it after. */
typedef struct {
  uv_work_t work;
  int kind, n;
  char **paths;
  double *rows;
} statjob;

static void statjob_work(uv_work_t *w) {
  statjob *j = (statjob *)(void *)w;
  int i;
  for (i = 0; i < j->n; i++) {
    double *row = j->rows + (size_t)i * (1 + NSTAT);
    uv_fs_t req;
    int st = j->kind ? uv_fs_lstat(NULL, &req, j->paths[i], NULL)
                     : uv_fs_stat(NULL, &req, j->paths[i], NULL);
    row[0] = st;
    if (st == 0) put_stat(row + 1, &req.statbuf);
    uv_fs_req_cleanup(&req);
  }
}

static void statjob_free(statjob *j) {
  int i;
  for (i = 0; i < j->n; i++) free(j->paths[i]);
  free(j->paths);
  free(j->rows);
}

static void statjob_done(uv_work_t *w, int status) {
  statjob *j = (statjob *)(void *)w;
  lode__req *r = lode__req_of(w);
  lua_State *L = lode__req_push_cb(r);
  int i;
  if (status < 0)
    for (i = 0; i < j->n; i++) j->rows[(size_t)i * (1 + NSTAT)] = status;
  if (!L) {
    statjob_free(j);
    lode__req_free(r);
    return;
  }
  lua_pushlightuserdata(L, j->rows);
  lua_pushinteger(L, j->n);
  /* The rows must outlive the callback, so the request is freed by hand:
   * lode__req_call would free it before calling. */
  {
    double *rows = j->rows;
    j->rows = NULL;
    statjob_free(j);
    lode__req_call(r, 2);
    free(rows);
  }
}

static int l_statbatch(lua_State *L) {
  int i, n, st, kind;
  statjob *j;
  lode__req *r;
  need(L, 1, LUA_TTABLE);
  kind = lua_toboolean(L, 2);
  need(L, 3, LUA_TFUNCTION);
  n = (int)lua_objlen(L, 1);
  if (n <= 0) return lode__argerror(L, "ERR_OUT_OF_RANGE", "statbatch takes at least one path");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    (void)check_path(L, -1);
    lua_pop(L, 1);
  }
  r = lode__req_new(L, 3, "fs", sizeof(statjob));
  j = LODE__REQ(r, statjob);
  j->work.data = r;
  j->kind = kind;
  j->paths = (char **)calloc((size_t)n, sizeof(char *));
  j->rows = (double *)malloc(sizeof(double) * (1 + NSTAT) * (size_t)n);
  if (!j->paths || !j->rows) {
    free(j->paths);
    free(j->rows);
    lode__req_free(r);
    return lode__uverr(L, UV_ENOMEM);
  }
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, 1, i + 1);
    j->paths[i] = lode__strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (!j->paths[i]) {
      j->n = i;
      statjob_free(j);
      lode__req_free(r);
      return lode__uverr(L, UV_ENOMEM);
    }
  }
  j->n = n;
  if ((st = uv_queue_work(lode__rt(L)->loop, &j->work, statjob_work, statjob_done)) != 0) {
    statjob_free(j);
    lode__req_free(r);
    return lode__uverr(L, st);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Watchers. */

typedef struct {
  uv_fs_poll_t poll;
  double *stats;
} lpoll;

static void on_poll(uv_fs_poll_t *p, int status, const uv_stat_t *prev, const uv_stat_t *curr) {
  lode__handle *h = (lode__handle *)p->data;
  double *s = ((lpoll *)(void *)p)->stats;
  if (!lode__handle_push_cb(h, "onchange")) return;
  memset(s, 0, sizeof(double) * 2 * NSTAT);
  if (status == 0) put_stat(s, curr);
  put_stat(s + NSTAT, prev);
  lua_pushinteger(h->rt->L, status);
  lode__call(h->rt, 1);
}

/* poll(path, interval, fn): a started fs_poll; fn(status) reads both
 * stats from the array (current first). */
static int l_poll(lua_State *L) {
  const char *p = check_path(L, 1);
  int interval = check_int(L, 2);
  lode__handle *h;
  int st;
  need(L, 3, LUA_TFUNCTION);
  h = lode__handle_new(L, WATCH_MT, "fswatcher", sizeof(lpoll));
  LODE__UV(h, lpoll)->stats = stats_of(L);
  if ((st = uv_fs_poll_init(h->rt->loop, LODE__UV(h, uv_fs_poll_t))) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, st);
  }
  if ((st = uv_fs_poll_start(LODE__UV(h, uv_fs_poll_t), on_poll, p, (unsigned)interval)) != 0) {
    lode__handle_close(h);
    return lode__uverr(L, st);
  }
  lua_getfenv(L, -1);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, "onchange");
  lua_pop(L, 1);
  return 1;
}

static void on_event(uv_fs_event_t *e, const char *filename, int events, int status) {
  lode__handle *h = (lode__handle *)e->data;
  lua_State *L;
  if (!lode__handle_push_cb(h, "onchange")) return;
  L = h->rt->L;
  lua_pushinteger(L, status);
  lua_pushinteger(L, events);
  if (filename) lua_pushstring(L, filename);
  else lua_pushnil(L);
  lode__call(h->rt, 3);
}

/* event(path, recursive, fn): a started fs_event; fn(status, events,
 * filename). */
static int l_event(lua_State *L) {
  const char *p = check_path(L, 1);
  int flags = lua_toboolean(L, 2) ? UV_FS_EVENT_RECURSIVE : 0;
  lode__handle *h;
  int st;
  need(L, 3, LUA_TFUNCTION);
  h = lode__handle_new(L, WATCH_MT, "fswatcher", sizeof(uv_fs_event_t));
  if ((st = uv_fs_event_init(h->rt->loop, LODE__UV(h, uv_fs_event_t))) != 0) {
    lode__handle_abort(L, h);
    return lode__uverr(L, st);
  }
  if ((st = uv_fs_event_start(LODE__UV(h, uv_fs_event_t), on_event, p, (unsigned)flags)) != 0) {
    lode__handle_close(h);
    return lode__uverr(L, st);
  }
  lua_getfenv(L, -1);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, "onchange");
  lua_pop(L, 1);
  return 1;
}

static int l_w_close(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, WATCH_MT);
  if (h) lode__handle_close(h);
  return 0;
}

static int l_w_ref(lua_State *L) {
  lode__handle *h = lode__handle_get(L, 1, WATCH_MT);
  if (h && !(h->flags & (LODE__H_CLOSING | LODE__H_CLOSED))) {
    if (lua_toboolean(L, 2)) uv_ref(h->uv);
    else uv_unref(h->uv);
  }
  return 0;
}

/* kind(p): 'file', 'directory', 'other', or nil and a status (used by
 * lua/module.lua to find files). */
static int l_kind(lua_State *L) {
  const char *p = str(L, 1, NULL);
  uv_fs_t req;
  int r = uv_fs_stat(NULL, &req, p, NULL);
  if (r == 0) {
    uint64_t m = req.statbuf.st_mode & S_IFMT;
    lua_pushstring(L, m == S_IFREG ? "file" : m == S_IFDIR ? "directory" : "other");
  }
  uv_fs_req_cleanup(&req);
  return r == 0 ? 1 : lode__uverr(L, r);
}

/* constants(): the numbers behind fs.constants. */
static int l_constants(lua_State *L) {
  lua_newtable(L);
#define K(name, v) (lua_pushnumber(L, (lua_Number)(v)), lua_setfield(L, -2, name))
  K("UV_FS_SYMLINK_DIR", UV_FS_SYMLINK_DIR);
  K("UV_FS_SYMLINK_JUNCTION", UV_FS_SYMLINK_JUNCTION);
  K("O_RDONLY", UV_FS_O_RDONLY);
  K("O_WRONLY", UV_FS_O_WRONLY);
  K("O_RDWR", UV_FS_O_RDWR);
  K("UV_DIRENT_UNKNOWN", UV_DIRENT_UNKNOWN);
  K("UV_DIRENT_FILE", UV_DIRENT_FILE);
  K("UV_DIRENT_DIR", UV_DIRENT_DIR);
  K("UV_DIRENT_LINK", UV_DIRENT_LINK);
  K("UV_DIRENT_FIFO", UV_DIRENT_FIFO);
  K("UV_DIRENT_SOCKET", UV_DIRENT_SOCKET);
  K("UV_DIRENT_CHAR", UV_DIRENT_CHAR);
  K("UV_DIRENT_BLOCK", UV_DIRENT_BLOCK);
  K("S_IFMT", S_IFMT);
  K("S_IFREG", S_IFREG);
  K("S_IFDIR", S_IFDIR);
  K("S_IFCHR", S_IFCHR);
  K("S_IFBLK", S_IFBLK);
  K("S_IFIFO", S_IFIFO);
  K("S_IFLNK", S_IFLNK);
  K("S_IFSOCK", S_IFSOCK);
  K("O_CREAT", UV_FS_O_CREAT);
  K("O_EXCL", UV_FS_O_EXCL);
  K("UV_FS_O_FILEMAP", UV_FS_O_FILEMAP);
  K("O_NOCTTY", UV_FS_O_NOCTTY);
  K("O_TRUNC", UV_FS_O_TRUNC);
  K("O_APPEND", UV_FS_O_APPEND);
  K("O_DIRECTORY", UV_FS_O_DIRECTORY);
  K("O_NOATIME", UV_FS_O_NOATIME);
  K("O_NOFOLLOW", UV_FS_O_NOFOLLOW);
  K("O_SYNC", UV_FS_O_SYNC);
  K("O_DSYNC", UV_FS_O_DSYNC);
  K("O_DIRECT", UV_FS_O_DIRECT);
  K("O_NONBLOCK", UV_FS_O_NONBLOCK);
  K("S_IRWXU", S_IRWXU);
  K("S_IRUSR", S_IRUSR);
  K("S_IWUSR", S_IWUSR);
  K("S_IXUSR", S_IXUSR);
  K("S_IRWXG", S_IRWXG);
  K("S_IRGRP", S_IRGRP);
  K("S_IWGRP", S_IWGRP);
  K("S_IXGRP", S_IXGRP);
  K("S_IRWXO", S_IRWXO);
  K("S_IROTH", S_IROTH);
  K("S_IWOTH", S_IWOTH);
  K("S_IXOTH", S_IXOTH);
  K("F_OK", F_OK);
  K("R_OK", R_OK);
  K("W_OK", W_OK);
  K("X_OK", X_OK);
  K("UV_FS_COPYFILE_EXCL", UV_FS_COPYFILE_EXCL);
  K("COPYFILE_EXCL", UV_FS_COPYFILE_EXCL);
  K("UV_FS_COPYFILE_FICLONE", UV_FS_COPYFILE_FICLONE);
  K("COPYFILE_FICLONE", UV_FS_COPYFILE_FICLONE);
  K("UV_FS_COPYFILE_FICLONE_FORCE", UV_FS_COPYFILE_FICLONE_FORCE);
  K("COPYFILE_FICLONE_FORCE", UV_FS_COPYFILE_FICLONE_FORCE);
  K("UV_FS_EVENT_RENAME", UV_RENAME);
  K("UV_FS_EVENT_CHANGE", UV_CHANGE);
#undef K
  return 1;
}

static void drop_spare(statbuf *s) {
  if (s && s->spare) munmap(s->spare, s->sparecap);
  if (s) s->spare = NULL;
}

/* dropspare(): unmaps the spare mapping, if any. */
static int l_dropspare(lua_State *L) {
  drop_spare((statbuf *)lua_touserdata(L, lua_upvalueindex(1)));
  return 0;
}

static const luaL_Reg funcs[] = {
  {"open", l_open},
  {"close", l_close},
  {"read", l_read},
  {"write", l_write},
  {"readstr", l_readstr},
  {"readv", l_readv},
  {"writev", l_writev},
  {"stat", l_stat},
  {"lstat", l_lstat},
  {"fstat", l_fstat},
  {"statfs", l_statfs},
  {"access", l_access},
  {"mkdir", l_mkdir},
  {"mkdtemp", l_mkdtemp},
  {"rmdir", l_rmdir},
  {"unlink", l_unlink},
  {"rename", l_rename},
  {"copyfile", l_copyfile},
  {"symlink", l_symlink},
  {"link", l_link},
  {"readlink", l_readlink},
  {"realpath", l_realpath},
  {"scandir", l_scandir},
  {"ftruncate", l_ftruncate},
  {"chmod", l_chmod},
  {"fchmod", l_fchmod},
  {"chown", l_chown},
  {"fchown", l_fchown},
  {"lchown", l_lchown},
  {"utime", l_utime},
  {"futime", l_futime},
  {"lutime", l_lutime},
  {"fsync", l_fsync},
  {"fdatasync", l_fdatasync},
  {"opendir", l_opendir},
  {"readfile", l_readfile},
  {"dropspare", l_dropspare},
  {"statfn", l_statfn},
  {"statbatch", l_statbatch},
  {"poll", l_poll},
  {"event", l_event},
  {"kind", l_kind},
  {"constants", l_constants},
  {NULL, NULL},
};

static const luaL_Reg dir_methods[] = {
  {"read", l_dir_read},
  {"close", l_dir_close},
  {NULL, NULL},
};

static const luaL_Reg watcher_methods[] = {
  {"close", l_w_close},
  {"ref", l_w_ref},
  {NULL, NULL},
};

/* The state's __gc: the spare mapping goes with it. */
static int l_state_gc(lua_State *L) {
  drop_spare((statbuf *)lua_touserdata(L, 1));
  return 0;
}

int luaopen_lode_fs(lua_State *L) {
  statbuf *s;
  lode__handle_meta(L, WATCH_MT, watcher_methods);
  lua_newtable(L);
  s = (statbuf *)lua_newuserdata(L, sizeof(statbuf));
  memset(s, 0, sizeof *s);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_state_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  /* Every function, Dir methods too, has the stat array as upvalue 1. */
  luaL_newmetatable(L, DIR_MT);
  lua_newtable(L);
  lua_pushvalue(L, -3);
  luaL_openlib(L, NULL, dir_methods, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_dir_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_openlib(L, NULL, funcs, 1);
  /* The size from which a readFile keeps a spare mapping (fs.lua times
   * its drop from there). */
  lua_pushinteger(L, (lua_Integer)BIG_FILE);
  lua_setfield(L, -2, "bigfile");
  return 1;
}
