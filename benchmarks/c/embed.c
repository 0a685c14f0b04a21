/*
 * embed.c: the embedding targets of issue 12, measured in C.
 *   runtime_cycle: lode_new + an empty script + lode_close + lode_free,
 *                  median of 200 (target: at most 1 ms)
 *   runtime_rss:   resident memory per extra live runtime, over 50
 *                  (target: at most 1 MiB)
 *   step_nowait:   lode_step(rt, UV_RUN_NOWAIT) with nothing due
 *                  (target: at most 2 us a call)
 *   post_rate:     lode_post from another thread, delivered per second
 *                  (target: at least 1 million, none lost)
 * Prints `label: <number> <unit>` lines. Build: cmake --build build
 * --target bench_embed; run: build/bench_embed.
 */
#include "lode.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static long rss_kib(void) {
  long pages = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

#define POSTS 4000000
static int received = 0, lost = 0;
static uint64_t t_end;

static void on_post(lode_runtime *rt, void *data) {
  if ((int)(intptr_t)data != received) lost++;
  if (++received == POSTS) {
    t_end = uv_hrtime();
    lode_stop(rt);
  }
}

static void *poster(void *arg) {
  int i;
  for (i = 0; i < POSTS; i++)
    while (lode_post((lode_runtime *)arg, on_post, (void *)(intptr_t)i) != 0) {}
  return NULL;
}

int main(void) {
  double t[200];
  lode_runtime *rts[50], *rt;
  long before, after;
  uint64_t t0;
  pthread_t th;
  int i;

  for (i = 0; i < 200; i++) {
    t0 = uv_hrtime();
    rt = lode_new(NULL);
    lode_run_string(rt, "", "empty");
    lode_close(rt);
    lode_free(rt);
    t[i] = (double)(uv_hrtime() - t0) / 1e6;
  }
  qsort(t, 200, sizeof t[0], cmp);
  printf("runtime_cycle: %.3f ms\n", t[100]);

  rt = lode_new(NULL);
  lode_run_string(rt, "", "warm");
  before = rss_kib();
  for (i = 0; i < 50; i++) {
    rts[i] = lode_new(NULL);
    lode_run_string(rts[i], "", "empty");
  }
  after = rss_kib();
  printf("runtime_rss: %.0f KiB\n", (double)(after - before) / 50);
  for (i = 0; i < 50; i++) lode_free(rts[i]);

  lode_run_string(rt, "setTimeout(function() end, 1e7)", "idle");
  t0 = uv_hrtime();
  for (i = 0; i < 1000000; i++) lode_step(rt, UV_RUN_NOWAIT);
  printf("step_nowait: %.3f us\n", (double)(uv_hrtime() - t0) / 1e3 / 1e6);
  lode_free(rt);

  rt = lode_new(NULL);
  lode_run_string(rt, "setInterval(function() end, 1000)", "keep");
  t0 = uv_hrtime();
  pthread_create(&th, NULL, poster, rt);
  lode_run(rt);
  pthread_join(th, NULL);
  printf("post_rate: %.2f million/s\n", POSTS / ((double)(t_end - t0) / 1e9) / 1e6);
  printf("post_lost: %d\n", lost + (POSTS - received));
  lode_free(rt);
  return 0;
}
