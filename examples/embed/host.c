/*
 * host.c: a game-style host that embeds lode. A fixed-step frame loop
 * calls lode_step(rt, UV_RUN_NOWAIT) once per frame; a host module `game`
 * gives scripts a few functions and an event the host fires into Lua
 * ('frame', every 10 frames); the script uses timers and a TCP server
 * with a client; a changed script is reloaded through require.cache;
 * and the runtime is shut down cleanly.
 *
 *   cc host.c $(pkg-config --cflags --libs lode) -o host && ./host main.lua
 * (after make install; in the tree CMake builds it as embed_host and
 * runs it as a test)
 */
#include "lode.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int frame = 0, quit = 0;
static int listeners = LUA_NOREF; /* a table of Lua functions by event */

/* game.frame(): the current frame number. */
static int game_frame(lua_State *L) {
  lua_pushinteger(L, frame);
  return 1;
}

/* game.quit(): ends the frame loop after this frame. */
static int game_quit(lua_State *L) {
  (void)L;
  quit = 1;
  return 0;
}

/* game.on(event, fn): fn runs when the host fires event. */
static int game_on(lua_State *L) {
  luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_rawgeti(L, LUA_REGISTRYINDEX, listeners);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_rawset(L, -3);
  return 0;
}

static int open_game(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"frame", game_frame}, {"quit", game_quit}, {"on", game_on}, {NULL, NULL},
  };
  lua_newtable(L);
  listeners = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  luaL_register(L, NULL, fns);
  return 1;
}

/* Fires event into Lua with one number; an error is the script's, shown
 * and survived. */
static void fire(lode_runtime *rt, const char *event, int arg) {
  lua_State *L = lode_state(rt);
  lua_rawgeti(L, LUA_REGISTRYINDEX, listeners);
  lua_getfield(L, -1, event);
  if (lua_isfunction(L, -1)) {
    lua_pushinteger(L, arg);
    if (lua_pcall(L, 1, 0, 0) != 0) {
      fprintf(stderr, "game: %s handler failed: %s\n", event, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  } else {
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void on_output(lode_runtime *rt, int fd, const char *p, size_t len) {
  (void)rt;
  /* A game would show this in its console overlay. */
  fwrite(p, 1, len, fd == 2 ? stderr : stdout);
}

static void on_error(lode_runtime *rt, const char *tb) {
  (void)rt;
  fprintf(stderr, "script error: %s\n", tb);
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

int main(int argc, char **argv) {
  const char *script = argc > 1 ? argv[1] : "main.lua";
  char dir[] = "/tmp/lode-embed-XXXXXX", mod[64];
  lode_options o;
  lode_runtime *rt;
  int st, code;

  /* The module the script reloads when it changes on disk. */
  if (!mkdtemp(dir)) return 1;
  snprintf(mod, sizeof mod, "%s/weapon.lua", dir);
  if (write_file(mod, "return { damage = 1 }\n") != 0) return 1;
  setenv("GAME_MOD", mod, 1);

  lode_options_init(&o);
  o.on_output = on_output;
  o.on_error = on_error;
  rt = lode_new(&o);
  if (!rt) return 1;
  lode_preload(rt, "game", open_game);

  st = lode_run_file(rt, script);
  /* The fixed-step frame loop: one non-blocking loop step per frame. */
  while (st == LODE_OK && !quit && frame < 2000) {
    int more = lode_step(rt, UV_RUN_NOWAIT);
    if (more < 0) st = more;
    if (frame % 10 == 0) fire(rt, "frame", frame);
    if (frame == 20) {
      /* The game's editor saved a new version of the module. */
      write_file(mod, "return { damage = 2 }\n");
      fire(rt, "reload", frame);
    }
    frame++;
    uv_sleep(1); /* a real game renders here */
  }
  code = lode_close(rt);
  if (st == LODE_ERROR) fprintf(stderr, "script failed: %s\n", lode_error(rt));
  lode_free(rt);
  remove(mod);
  remove(dir);
  printf("host: shut down at frame %d, exit code %d\n", frame, code);
  return st == LODE_OK && quit ? code : 1;
}
