/*
 * test_threads.c: four runtimes at once, each on its own thread, each with
 * timers, immediates, a UDP socket talking to itself and a TCP server with
 * a client talking to it, and a storm of lode_post from a further thread;
 * every post arrives once, in order, and nothing leaks (run under make
 * asan).
 */
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define RUNTIMES 4
#define POSTS 50000

/* The script each runtime runs: timers, immediates, a UDP socket sending
 * datagrams to itself on 127.0.0.1, and a TCP echo server on a free port
 * with a client that sends 20 lines and counts the echoed bytes in `echoed`
 * before both close. Each part that finishes counts in `done`. */
static const char SCRIPT[] =
  "ticks, imm, done, got = 0, 0, 0, 0\n"
  "local iv\n"
  "iv = setInterval(function()\n"
  "  ticks = ticks + 1\n"
  "  setImmediate(function() imm = imm + 1 end)\n"
  "  if ticks == 30 then clearInterval(iv); done = done + 1 end\n"
  "end, 1)\n"
  "local udp = require('dgram').createSocket('udp4')\n"
  "udp:on('message', function(msg)\n"
  "  got = got + 1\n"
  "  if got == 20 then udp:close(); done = done + 1 end\n"
  "end)\n"
  "udp:bind(0, '127.0.0.1', function()\n"
  "  local port = udp:address().port\n"
  "  for i = 1, 20 do udp:send('datagram ' .. i, port, '127.0.0.1') end\n"
  "end)\n"
  "echoed = 0\n"
  "local net = require('net')\n"
  "local server = net.createServer(function(c) c:pipe(c) end)\n"
  "server:listen(0, '127.0.0.1', function()\n"
  "  local client = net.connect(server:address().port, '127.0.0.1')\n"
  "  client:on('connect', function()\n"
  "    for i = 1, 20 do client:write(('line %02d\\n'):format(i)) end\n"
  "  end)\n"
  "  client:on('data', function(d)\n"
  "    echoed = echoed + #d\n"
  "    if echoed == 160 then client:finish() end\n"
  "  end)\n"
  "  client:on('close', function()\n"
  "    server:close(function() done = done + 1 end)\n"
  "  end)\n"
  "end)\n";

typedef struct worker {
  lode_runtime *rt;
  pthread_t thread, poster;
  int received, out_of_order;
  double ticks, imm, done, got, echoed;
  int st;
} worker;

static void on_post(lode_runtime *rt, void *data) {
  worker *w = (worker *)lode_userdata(rt);
  if ((int)(intptr_t)data != w->received) w->out_of_order++;
  w->received++;
}

static void *post_storm(void *arg) {
  worker *w = (worker *)arg;
  int i;
  for (i = 0; i < POSTS; i++)
    if (lode_post(w->rt, on_post, (void *)(intptr_t)i) != 0) break;
  return NULL;
}

static void *run_worker(void *arg) {
  worker *w = (worker *)arg;
  lode_options o;
  lode_options_init(&o);
  o.userdata = w;
  w->rt = lode_new(&o);
  if (!w->rt) return NULL;
  if (pthread_create(&w->poster, NULL, post_storm, w) != 0) return NULL;
  w->st = lode_run_string(w->rt, SCRIPT, "worker");
  if (w->st == LODE_OK) w->st = lode_run(w->rt);
  /* Step until the storm is over and delivered. */
  pthread_join(w->poster, NULL);
  while (w->received < POSTS && lode_step(w->rt, UV_RUN_NOWAIT) >= 0) {}
  w->ticks = global_number(w->rt, "ticks");
  w->imm = global_number(w->rt, "imm");
  w->done = global_number(w->rt, "done");
  w->got = global_number(w->rt, "got");
  w->echoed = global_number(w->rt, "echoed");
  lode_free(w->rt);
  return NULL;
}

int main(void) {
  worker w[RUNTIMES];
  int i;
  memset(w, 0, sizeof w);
  for (i = 0; i < RUNTIMES; i++) CHECK(pthread_create(&w[i].thread, NULL, run_worker, &w[i]) == 0);
  for (i = 0; i < RUNTIMES; i++) pthread_join(w[i].thread, NULL);
  for (i = 0; i < RUNTIMES; i++) {
    CHECK(w[i].st == LODE_OK);
    CHECK(w[i].ticks == 30);
    CHECK(w[i].imm == 30);
    CHECK(w[i].got == 20);
    CHECK(w[i].echoed == 160);
    CHECK(w[i].done == 3);
    CHECK(w[i].received == POSTS);
    CHECK(w[i].out_of_order == 0);
  }
  return check_report();
}
