/*
 * timers_uv_handles.c: the design lode did not take for timers, measured.
 * One uv_timer_t per setTimeout, 1,000,000 of them with random 0-100 ms
 * delays, in plain C: a lower bound for that design, before any Lua object
 * or registry reference is added per timer. Compare with
 * benchmarks/timers_million.lua (one uv_timer_t for all, queues in Lua).
 *
 *   build/bench_uv_timers   (built by CMake, not run by the tests)
 */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define N 1000000

static int fired = 0;
static uint64_t t0;

static void on_close(uv_handle_t *h) { free(h); }

static void on_timer(uv_timer_t *t) {
  if (++fired == N)
    printf("all_fired_ms: %.1f\n", (double)(uv_hrtime() - t0) / 1e6);
  uv_close((uv_handle_t *)t, on_close);
}

int main(void) {
  uv_loop_t *loop = uv_default_loop();
  int i;
  srand(1);
  t0 = uv_hrtime();
  for (i = 0; i < N; i++) {
    uv_timer_t *t = malloc(sizeof *t);
    if (!t || uv_timer_init(loop, t) != 0 ||
        uv_timer_start(t, on_timer, (uint64_t)(rand() % 101), 0) != 0) {
      fprintf(stderr, "cannot start timer %d\n", i);
      return 1;
    }
  }
  printf("schedule_ms: %.1f\n", (double)(uv_hrtime() - t0) / 1e6);
  printf("bytes_per_timer: %zu\n", sizeof(uv_timer_t));
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) != 0;
}
