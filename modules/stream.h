/*
 * stream.h: the uv_stream_t methods that tcp, pipe and tty share, as
 * Node's stream wrap serves all three. Not a binding: tcp.c, pipe.c and
 * tty.c add these methods to their own in their luaopen_.
 *
 * A stream handle is a lode__handle whose memory holds the libuv handle
 * (sized by uv_handle_size for its type) followed by a lode__stream_ext.
 */
#ifndef LODE_STREAM_H
#define LODE_STREAM_H

#include "../runtime/internal.h"

/* The metatable names, fixed here because a server makes its clients
 * with the server's own type (see on_connection in stream.c). */
#define LODE__MT_TCP "lode.tcp"
#define LODE__MT_PIPE "lode.pipe"
#define LODE__MT_TTY "lode.tty"

/* Makes a stream handle of libuv type t (UV_TCP, UV_NAMED_PIPE, UV_TTY)
 * with the metatable mt, not yet initialized by libuv (see
 * lode__handle_new). Leaves the userdata on the stack. */
lode__handle *lode__stream_new(lua_State *L, const char *mt, const char *type, uv_handle_type t);

/* Makes the metatable mt with the binding's own methods and the shared
 * stream methods. Leaves nothing on the stack. */
void lode__stream_meta(lua_State *L, const char *mt, const luaL_Reg *own);

/* Closes a stream handle whose userdata is at 1; when the value at
 * notify is true, its owner's _onclose runs once libuv let go of it. */
void lode__stream_close(lua_State *L, lode__handle *h, int notify);

/* Sets `codes` on the table on top: the libuv statuses Lua compares
 * with (EOF, ENOTCONN, EMFILE, ...). */
void lode__stream_codes(lua_State *L);

#endif
