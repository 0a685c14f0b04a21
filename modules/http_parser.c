/*
 * http_parser.c: Node's HTTP/1 parser, llhttp, for lua/http.lua.
 *
 * llhttp's sources come from Debian's node-llhttp package and are compiled
 * into liblode as they are (CMakeLists.txt), so lode parses exactly as
 * Node does, strict by default.
 *
 * One crossing per message part: execute(data, out) runs llhttp over a
 * chunk and writes what it found into the Lua table `out` as a flat list
 * of events, which the Lua side walks after the call (no Lua function is
 * called from here):
 *   HEADERS  1, method or status code, url or status text, version
 *            ('1.1'), raw headers {name, value, ...}, flags
 *            (1 keep-alive, 2 upgrade)
 *   BODY     2, bytes (a string)
 *   COMPLETE 3, raw trailers {name, value, ...} or false
 * Header bytes may span chunks, so the start line and the headers are
 * copied into one growing buffer and pushed as strings when the headers
 * are complete. The buffer is freed after each message, so an idle
 * keep-alive connection holds only the parser.
 */
#include "internal.h"

#include <llhttp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MT "lode.http_parser"
#define EV_HEADERS 1
#define EV_BODY 2
#define EV_COMPLETE 3

/* Node's default for --max-http-header-size. */
#define DEFAULT_MAX_HEADER 16384
#define DEFAULT_MAX_HEADERS 2000

typedef struct {
  uint32_t name, name_len, value, value_len; /* offsets into buf */
} header_span;

typedef struct {
  llhttp_t p;
  /* Set only while execute runs: where events go. */
  lua_State *L;
  int out, n;
  /* The start line and headers of the message being parsed, malloc'ed,
   * owned here, freed at the end of each message and by __gc. */
  char *buf;
  size_t len, cap;
  header_span *hs;
  int nh, hcap;
  int in_value; /* the last header piece was a value */
  const char *chunk; /* the chunk execute is parsing */
  uint32_t url, url_len;
  size_t nread, max_header;
  int max_headers;
  int headers_done;
  int skip_body; /* a response to HEAD: no body, whatever it says */
  int in_message; /* between a message's first byte and its end */
  int error_code; /* set by a callback that failed: a memory error */
} parser;

static int on_message_begin(llhttp_t *p);
static int on_url(llhttp_t *p, const char *at, size_t n);
static int on_header_field(llhttp_t *p, const char *at, size_t n);
static int on_header_value(llhttp_t *p, const char *at, size_t n);
static int on_headers_complete(llhttp_t *p);
static int on_body(llhttp_t *p, const char *at, size_t n);
static int on_message_complete(llhttp_t *p);

/* Constant, so runtimes on several threads share it safely. */
static const llhttp_settings_t settings = {
  .on_message_begin = on_message_begin,
  .on_url = on_url,
  .on_status = on_url,
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

static parser *check(lua_State *L) {
  return (parser *)luaL_checkudata(L, 1, MT);
}

static int append(parser *ps, const char *at, size_t n) {
  if (ps->len + n > ps->cap) {
    size_t cap = ps->cap ? ps->cap : 256;
    char *b;
    while (cap < ps->len + n) cap *= 2;
    if (!(b = (char *)realloc(ps->buf, cap))) return -1;
    ps->buf = b;
    ps->cap = cap;
  }
  memcpy(ps->buf + ps->len, at, n);
  ps->len += n;
  return 0;
}

static void clear_message(parser *ps) {
  free(ps->buf);
  free(ps->hs);
  ps->buf = NULL;
  ps->hs = NULL;
  ps->len = ps->cap = 0;
  ps->nh = ps->hcap = 0;
  ps->in_value = 0;
  ps->url = ps->url_len = 0;
  ps->nread = 0;
  ps->headers_done = 0;
}

/* Counts header bytes as Node does, and fails past the limit with
 * HPE_HEADER_OVERFLOW (the server answers 431). */
static int track(parser *ps, size_t n) {
  ps->nread += n;
  if (ps->nread > ps->max_header) {
    llhttp_set_error_reason(&ps->p, "Header overflow");
    ps->error_code = 1;
    return HPE_USER;
  }
  return 0;
}

static int fail_memory(parser *ps) {
  llhttp_set_error_reason(&ps->p, "not enough memory");
  ps->error_code = 2;
  return HPE_USER;
}

static parser *of(llhttp_t *p) {
  return (parser *)(void *)p;
}

static int on_message_begin(llhttp_t *p) {
  clear_message(of(p));
  of(p)->in_message = 1;
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n) {
  parser *ps = of(p);
  if (track(ps, n)) return HPE_USER;
  if (ps->url_len == 0) ps->url = (uint32_t)ps->len;
  if (append(ps, at, n)) return fail_memory(ps);
  ps->url_len += (uint32_t)n;
  return 0;
}

/* RFC 9110's token characters: what a header name may be made of. */
static int is_token(unsigned char c) {
  if (c >= '0' && c <= '9') return 1;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n) {
  parser *ps = of(p);
  size_t i;
  if (track(ps, n)) return HPE_USER;
  /* Debian's llhttp (8.1, the loose build) lets a space or another
   * separator into a name; Node 20's refuses it, and so do we, with
   * Node's code. */
  for (i = 0; i < n; i++) {
    if (!is_token((unsigned char)at[i])) {
      llhttp_set_error_reason(&ps->p, "Invalid header field char");
      ps->error_code = 3;
      return HPE_USER;
    }
  }
  if (ps->nh == 0 || ps->in_value) {
    if (ps->nh == ps->hcap) {
      int cap = ps->hcap ? ps->hcap * 2 : 16;
      header_span *hs = (header_span *)realloc(ps->hs, sizeof *hs * (size_t)cap);
      if (!hs) return fail_memory(ps);
      ps->hs = hs;
      ps->hcap = cap;
    }
    ps->hs[ps->nh].name = (uint32_t)ps->len;
    ps->hs[ps->nh].name_len = 0;
    ps->hs[ps->nh].value = (uint32_t)ps->len;
    ps->hs[ps->nh].value_len = 0;
    ps->nh++;
    ps->in_value = 0;
  }
  if (append(ps, at, n)) return fail_memory(ps);
  ps->hs[ps->nh - 1].name_len += (uint32_t)n;
  return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n) {
  parser *ps = of(p);
  header_span *h;
  if (track(ps, n)) return HPE_USER;
  h = &ps->hs[ps->nh - 1];
  /* A second piece of the same value inside one chunk is a folded line
   * (obs-fold: a line that starts with a space), which Debian's llhttp
   * 8.1 joins and Node 20's llhttp refuses; we refuse it as Node does. A
   * value cut by the end of a chunk goes on at the start of the next. */
  if (ps->in_value && at != ps->chunk) {
    llhttp_set_error_reason(&ps->p, "Unexpected whitespace after header value");
    ps->error_code = 3;
    return HPE_USER;
  }
  if (!ps->in_value) {
    ps->in_value = 1;
    h->value = (uint32_t)ps->len;
  }
  if (append(ps, at, n)) return fail_memory(ps);
  h->value_len += (uint32_t)n;
  return 0;
}

/* Pushes the headers gathered since `from` as {name, value, ...}, at most
 * max_headers of them (maxHeadersCount: the rest are dropped, as Node
 * does). */
static void push_headers(lua_State *L, parser *ps, int from) {
  int i, n = ps->nh - from, k = 0;
  if (n > ps->max_headers) n = ps->max_headers;
  lua_createtable(L, n * 2, 0);
  for (i = from; i < from + n; i++) {
    header_span *h = &ps->hs[i];
    size_t vl = h->value_len;
    const char *v = ps->buf + h->value;
    /* llhttp hands over the value without leading spaces but with the
     * trailing ones; Node trims those. */
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
    lua_pushlstring(L, ps->buf + h->name, h->name_len);
    lua_rawseti(L, -2, ++k);
    lua_pushlstring(L, v, vl);
    lua_rawseti(L, -2, ++k);
  }
}

/* '1.1', '1.0', ...: built by hand, as snprintf costs more than the
 * rest of the start line. */
static void push_version(lua_State *L, const llhttp_t *p) {
  char v[3];
  v[0] = (char)('0' + p->http_major % 10);
  v[1] = '.';
  v[2] = (char)('0' + p->http_minor % 10);
  lua_pushlstring(L, v, 3);
}

static void put(parser *ps) {
  lua_rawseti(ps->L, ps->out, ++ps->n);
}

static int on_headers_complete(llhttp_t *p) {
  parser *ps = of(p);
  lua_State *L = ps->L;
  int flags = 0;
  lua_pushinteger(L, EV_HEADERS);
  put(ps);
  if (p->type == HTTP_REQUEST) {
    lua_pushstring(L, llhttp_method_name((llhttp_method_t)p->method));
    put(ps);
    lua_pushlstring(L, ps->buf + ps->url, ps->url_len);
    put(ps);
  } else {
    lua_pushinteger(L, p->status_code);
    put(ps);
    lua_pushlstring(L, ps->buf + ps->url, ps->url_len);
    put(ps);
  }
  push_version(L, p);
  put(ps);
  push_headers(L, ps, 0);
  put(ps);
  if (llhttp_should_keep_alive(p)) flags |= 1;
  if (p->upgrade) flags |= 2;
  lua_pushinteger(L, flags);
  put(ps);
  ps->headers_done = ps->nh;
  if (p->type == HTTP_RESPONSE && ps->skip_body) return 1;
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
  parser *ps = of(p);
  lua_pushinteger(ps->L, EV_BODY);
  put(ps);
  lua_pushlstring(ps->L, at, n);
  put(ps);
  return 0;
}

static int on_message_complete(llhttp_t *p) {
  parser *ps = of(p);
  lua_pushinteger(ps->L, EV_COMPLETE);
  put(ps);
  if (ps->nh > ps->headers_done) push_headers(ps->L, ps, ps->headers_done);
  else lua_pushboolean(ps->L, 0);
  put(ps);
  clear_message(ps);
  ps->in_message = 0;
  return 0;
}

/* Pushes the results of an llhttp call: the number of list entries
 * written, then nil on success or the error's name ('HPE_INVALID_METHOD'),
 * its reason, and how many bytes of the chunk were taken. */
static int results(lua_State *L, parser *ps, llhttp_errno_t err, const char *data, size_t len) {
  int n = ps->n;
  size_t used = len;
  ps->L = NULL;
  lua_pushinteger(L, n);
  if (err == HPE_OK) return 1;
  if (data) {
    const char *pos = llhttp_get_error_pos(&ps->p);
    if (pos >= data && pos <= data + len) used = (size_t)(pos - data);
  }
  if (err == HPE_USER && ps->error_code == 1) lua_pushliteral(L, "HPE_HEADER_OVERFLOW");
  else if (err == HPE_USER && ps->error_code == 2) lua_pushliteral(L, "ENOMEM");
  else if (err == HPE_USER && ps->error_code == 3) lua_pushliteral(L, "HPE_INVALID_HEADER_TOKEN");
  else lua_pushstring(L, llhttp_errno_name(err));
  lua_pushstring(L, llhttp_get_error_reason(&ps->p));
  lua_pushinteger(L, (lua_Integer)used);
  return 4;
}

/* Checks the event list at `out` and makes it the one the callbacks fill. */
static void begin(lua_State *L, parser *ps, int out) {
  luaL_checktype(L, out, LUA_TTABLE);
  if (ps->L) lode__error(L, "ERR_HTTP_PARSER_BUSY", "the parser is already running");
  ps->L = L;
  ps->out = out;
  ps->n = 0;
  ps->error_code = 0;
}

/* execute(data, out): parses a chunk; see the top of the file. */
static int l_execute(lua_State *L) {
  parser *ps = check(L);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  llhttp_errno_t err;
  begin(L, ps, 3);
  ps->chunk = data;
  err = llhttp_execute(&ps->p, data, len);
  return results(L, ps, err, data, len);
}

/* finish(out): the connection ended; a message that runs until EOF
 * completes here, one cut short is an error. */
static int l_finish(lua_State *L) {
  parser *ps = check(L);
  llhttp_errno_t err;
  begin(L, ps, 2);
  ps->chunk = NULL;
  err = llhttp_finish(&ps->p);
  return results(L, ps, err, NULL, 0);
}

static int kind_of(lua_State *L, int idx) {
  const char *k = luaL_checkstring(L, idx);
  if (strcmp(k, "request") == 0) return HTTP_REQUEST;
  if (strcmp(k, "response") == 0) return HTTP_RESPONSE;
  return lode__argerror(L, "ERR_INVALID_ARG_VALUE", "kind must be 'request' or 'response'");
}

/* reset([kind]): a fresh parser for the next message (an Agent's socket
 * used again). */
static int l_reset(lua_State *L) {
  parser *ps = check(L);
  int kind = lua_isnoneornil(L, 2) ? (int)ps->p.type : kind_of(L, 2);
  if (ps->L) return lode__error(L, "ERR_HTTP_PARSER_BUSY", "the parser is already running");
  clear_message(ps);
  llhttp_init(&ps->p, (llhttp_type_t)kind, &settings);
  ps->skip_body = 0;
  ps->in_message = 0;
  return 0;
}

/* idle(): between messages, with nothing of the next one read: the
 * parser may serve another connection after reset(). */
static int l_idle(lua_State *L) {
  parser *ps = check(L);
  lua_pushboolean(L, !ps->in_message && llhttp_get_errno(&ps->p) == HPE_OK);
  return 1;
}

/* skipBody(on): the response being parsed answers a HEAD request. */
static int l_skip_body(lua_State *L) {
  parser *ps = check(L);
  ps->skip_body = lua_toboolean(L, 2);
  return 0;
}

/* lenient(on): Node's insecureHTTPParser. */
static int l_lenient(lua_State *L) {
  parser *ps = check(L);
  int on = lua_toboolean(L, 2);
  llhttp_set_lenient_headers(&ps->p, on);
  llhttp_set_lenient_chunked_length(&ps->p, on);
  llhttp_set_lenient_keep_alive(&ps->p, on);
  llhttp_set_lenient_transfer_encoding(&ps->p, on);
  return 0;
}

static int l_gc(lua_State *L) {
  parser *ps = (parser *)lua_touserdata(L, 1);
  if (ps) clear_message(ps);
  return 0;
}

/* new(kind, [maxHeaderSize], [maxHeadersCount]) */
static int l_new(lua_State *L) {
  int kind = kind_of(L, 1);
  lua_Number max_header = luaL_optnumber(L, 2, DEFAULT_MAX_HEADER);
  lua_Number max_headers = luaL_optnumber(L, 3, DEFAULT_MAX_HEADERS);
  parser *ps;
  if (!(max_header >= 1 && max_header <= 1e9)) {
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "maxHeaderSize must be from 1 to 1e9");
  }
  if (!(max_headers >= 0 && max_headers <= 1e6)) {
    return lode__argerror(L, "ERR_OUT_OF_RANGE", "maxHeadersCount must be from 0 to 1e6");
  }
  ps = (parser *)lua_newuserdata(L, sizeof *ps);
  memset(ps, 0, sizeof *ps);
  llhttp_init(&ps->p, (llhttp_type_t)kind, &settings);
  ps->max_header = (size_t)max_header;
  ps->max_headers = max_headers == 0 ? DEFAULT_MAX_HEADERS : (int)max_headers;
  luaL_getmetatable(L, MT);
  lua_setmetatable(L, -2);
  return 1;
}

static const luaL_Reg methods[] = {
  {"execute", l_execute},
  {"finish", l_finish},
  {"reset", l_reset},
  {"idle", l_idle},
  {"skipBody", l_skip_body},
  {"lenient", l_lenient},
  {NULL, NULL},
};

static const luaL_Reg functions[] = {
  {"new", l_new},
  {NULL, NULL},
};

int luaopen_lode_http_parser(lua_State *L) {
  luaL_newmetatable(L, MT);
  lua_pushcfunction(L, l_gc);
  lua_setfield(L, -2, "__gc");
  lua_newtable(L);
  luaL_register(L, NULL, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_register(L, NULL, functions);
  return 1;
}
