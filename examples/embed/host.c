/*
 * host.c: a game-style host that embeds lode. It registers a host module,
 * runs a script, and steps the loop once per "frame" without blocking.
 *
 *   cc host.c $(pkg-config --cflags --libs lode) -o host && ./host
 * (after make install; in the tree, CMake builds it as embed_host)
 */
#include "lode.h"

#include <lauxlib.h>
#include <stdio.h>

static int frame = 0;

static int game_frame(lua_State *L) {
  lua_pushinteger(L, frame);
  return 1;
}

static int open_game(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, game_frame);
  lua_setfield(L, -2, "frame");
  return 1;
}

int main(void) {
  lode_options o;
  lode_runtime *rt;
  int st, code;

  lode_options_init(&o);
  o.print_errors = 1;
  o.own_stdio = 1; /* a console program: print() goes to its stdout */
  rt = lode_new(&o);
  if (!rt) return 1;
  lode_preload(rt, "game", open_game);

  st = lode_run_string(rt,
    "local game = require('game')\n"
    "setTimeout(function() print('timer fired at frame ' .. game.frame()) end, 50)\n",
    "main");
  /* One loop step per frame: a real game would render between steps.
   * lode_step returns 1 while there is more to do, 0 when done. */
  while (st == LODE_OK) {
    int more = lode_step(rt, UV_RUN_NOWAIT);
    if (more < 0) st = more;
    if (more != 1) break;
    frame++;
    uv_sleep(1);
  }
  code = lode_close(rt);
  if (st == LODE_ERROR) fprintf(stderr, "script failed: %s\n", lode_error(rt));
  lode_free(rt);
  return code;
}
