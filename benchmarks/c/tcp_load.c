/*
 * tcp_load.c: the load generator for the net benchmarks, on libuv.
 * Runs only against 127.x addresses and stops by itself.
 *
 *   tcp_load echo PORT CONNS SIZE SECONDS
 *     CONNS connections each send SIZE bytes, wait for SIZE bytes back,
 *     and send again, for SECONDS; prints msgs/s and MB/s.
 *   tcp_load idle PORT COUNT SERVER_PID
 *     opens COUNT connections (sources 127.0.0.2-127.0.0.9 round robin, to
 *     get past the ephemeral port range), as many as it can; then each
 *     sends one byte and waits for its echo; prints the server's RSS
 *     before and after, per connection, and how many answered.
 *   tcp_load httpidle PORT COUNT SERVER_PID [IDLE_SECONDS]
 *     opens COUNT connections the same way; each sends one keep-alive
 *     "GET / HTTP/1.1" and reads the whole response (Content-Length or
 *     chunked), then all stay open, idle, for IDLE_SECONDS (default 2);
 *     prints the server's RSS before, with all open and after closing them
 *     all, the bytes per open connection, and how many answered and how
 *     many the server left open.
 */
#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  size_t got;
  int open;
  int inited;
  /* httpidle: the response read so far, and whether it is complete. */
  char *resp;
  size_t rlen;
  int done;
} conn;

static uv_loop_t *loop;
static conn *conns;
static int nconns, size, connected, answered, failed, stopping;
static char *payload;
static char rbuf[65536];
static unsigned long long msgs, bytes;
static struct sockaddr_in dest;
static int responded, closed_idle, bad_resp;
static const char http_get[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
#define RESP_MAX 65536

static void on_alloc(uv_handle_t *h, size_t s, uv_buf_t *b) {
  (void)h; (void)s;
  b->base = rbuf;
  b->len = sizeof rbuf;
}

static void on_written(uv_write_t *w, int st) {
  (void)w;
  if (st < 0 && !stopping) fprintf(stderr, "write: %s\n", uv_strerror(st));
}

static void send_one(conn *c, size_t n) {
  uv_buf_t b = uv_buf_init(payload, (unsigned)n);
  int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (r == (int)n) return;
  if (r < 0) r = 0;
  b.base += r;
  b.len -= (size_t)r;
  if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) failed++;
}

static void on_echo_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  conn *c = (conn *)s->data;
  (void)b;
  if (n < 0) {
    if (!stopping) { fprintf(stderr, "read: %s\n", uv_strerror((int)n)); failed++; }
    uv_read_stop(s);
    return;
  }
  c->got += (size_t)n;
  bytes += (size_t)n;
  if (c->got >= (size_t)size && !stopping) {
    c->got -= (size_t)size;
    msgs++;
    send_one(c, (size_t)size);
  }
}

static void on_idle_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  (void)b;
  if (n > 0) {
    answered++;
    uv_read_stop(s);
    if (answered + failed == connected) uv_stop(loop);
  } else if (n < 0) {
    failed++;
    uv_read_stop(s);
    if (answered + failed == connected) uv_stop(loop);
  }
}

/* The header block [h, end) holds NAME (lower case, with its colon)
 * at a line start: returns the value's first byte, or NULL. */
static const char *find_header(const char *h, const char *end, const char *name) {
  size_t n = strlen(name);
  const char *p = h;
  while (p < end) {
    const char *eol = p;
    size_t i;
    while (eol < end && *eol != '\n') eol++;
    if ((size_t)(eol - p) > n) {
      for (i = 0; i < n; i++) {
        char ch = p[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (ch != name[i]) break;
      }
      if (i == n) {
        p += n;
        while (p < eol && (*p == ' ' || *p == '\t')) p++;
        return p;
      }
    }
    p = eol + 1;
  }
  return NULL;
}

/* 1 when buf[0, len) holds one whole HTTP/1.1 response, 0 when more is
 * to come, -1 when it is not a 200 response framed by Content-Length or
 * chunked encoding (without trailers), which keep-alive needs. */
static int response_complete(const char *buf, size_t len) {
  const char *end = buf + len, *hend = NULL, *v, *p;
  size_t i;
  for (i = 3; i < len; i++)
    if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') { hend = buf + i + 1; break; }
  if (!hend) return 0;
  if (len < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) return -1;
  if ((v = find_header(buf, hend, "content-length:")) != NULL)
    return (size_t)(end - hend) >= (size_t)strtoul(v, NULL, 10) ? 1 : 0;
  v = find_header(buf, hend, "transfer-encoding:");
  if (!v || strncmp(v, "chunked", 7) != 0) return -1;
  p = hend;
  for (;;) {
    char *q;
    unsigned long n;
    const char *eol = p;
    while (eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n')) eol++;
    if (eol + 1 >= end) return 0;
    n = strtoul(p, &q, 16);
    if (q == p) return -1;
    p = eol + 2;
    if (n == 0) return end - p >= 2 ? 1 : 0; /* the empty trailer line */
    if ((size_t)(end - p) < n + 2) return 0;
    p += n + 2;
  }
}

static void on_http_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  conn *c = (conn *)s->data;
  int st;
  if (n < 0) {
    /* EOF or an error: before the response a failure, after it the
     * server closed an idle keep-alive connection. */
    if (c->done) closed_idle++;
    else { failed++; if (!stopping) fprintf(stderr, "read: %s\n", uv_strerror((int)n)); }
    c->open = 0;
    uv_read_stop(s);
    if (!c->done && responded + failed >= connected) uv_stop(loop);
    return;
  }
  if (n == 0 || c->done) return; /* nothing, or bytes after the response */
  if (!c->resp) c->resp = (char *)malloc(RESP_MAX);
  if (c->rlen + (size_t)n > RESP_MAX) st = -1;
  else {
    memcpy(c->resp + c->rlen, b->base, (size_t)n);
    c->rlen += (size_t)n;
    st = response_complete(c->resp, c->rlen);
  }
  if (st == 0) return;
  free(c->resp);
  c->resp = NULL;
  c->done = 1;
  if (st > 0) responded++;
  else { bad_resp++; failed++; }
  if (responded + failed >= connected) uv_stop(loop);
}

static void on_connect(uv_connect_t *r, int st) {
  conn *c = (conn *)r->data;
  if (st < 0) {
    failed++;
    fprintf(stderr, "connect: %s\n", uv_strerror(st));
  } else {
    c->open = 1;
    connected++;
  }
  if (connected + failed == nconns) uv_stop(loop);
}

static void on_stop(uv_timer_t *t) {
  (void)t;
  stopping = 1;
  uv_stop(loop);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static long rss_kib(int pid) {
  char path[64], line[256];
  long kib = -1;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (!(f = fopen(path, "r"))) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
  fclose(f);
  return kib;
}

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

/* Opens n connections, from 127.0.0.2-9 when spread is set. */
static void open_conns(int from, int to, int spread) {
  int i;
  for (i = from; i < to; i++) {
    conn *c = &conns[i];
    uv_tcp_init(loop, &c->tcp);
    c->inited = 1;
    c->tcp.data = c;
    c->connect.data = c;
    if (spread) {
      struct sockaddr_in src;
      char ip[32];
      snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i % 8);
      uv_ip4_addr(ip, 0, &src);
      uv_tcp_bind(&c->tcp, (struct sockaddr *)&src, 0);
    }
    if (uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&dest, on_connect) != 0) failed++;
  }
  if (connected + failed < to) uv_run(loop, UV_RUN_DEFAULT);
}

static void close_all(void) {
  int i;
  for (i = 0; i < nconns; i++)
    if (conns[i].inited && !uv_is_closing((uv_handle_t *)&conns[i].tcp)) uv_close((uv_handle_t *)&conns[i].tcp, on_closed);
  uv_run(loop, UV_RUN_DEFAULT);
}

int main(int argc, char **argv) {
  uv_timer_t timer;
  if (argc < 5) {
    fprintf(stderr, "usage: tcp_load echo PORT CONNS SIZE SECONDS | idle PORT COUNT SERVER_PID"
                    " | httpidle PORT COUNT SERVER_PID [IDLE_SECONDS]\n");
    return 2;
  }
  loop = uv_default_loop();
  uv_ip4_addr("127.0.0.1", atoi(argv[2]), &dest);
  nconns = atoi(argv[3]);
  if (nconns <= 0 || nconns > 100000) return 2;
  conns = (conn *)calloc((size_t)nconns, sizeof *conns);
  if (strcmp(argv[1], "echo") == 0 && argc >= 6) {
    double secs = atof(argv[5]), t0, t1;
    int i;
    size = atoi(argv[4]);
    if (size <= 0 || size > (1 << 24) || secs <= 0 || secs > 600) return 2;
    payload = (char *)malloc((size_t)size);
    memset(payload, 'x', (size_t)size);
    open_conns(0, nconns, 0);
    if (failed) return 1;
    for (i = 0; i < nconns; i++) uv_read_start((uv_stream_t *)&conns[i].tcp, on_alloc, on_echo_read);
    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, on_stop, (uint64_t)(secs * 1000), 0);
    t0 = now_s();
    for (i = 0; i < nconns; i++) send_one(&conns[i], (size_t)size);
    uv_run(loop, UV_RUN_DEFAULT);
    t1 = now_s();
    printf("msgs/s: %.0f\n", (double)msgs / (t1 - t0));
    printf("MB/s: %.2f\n", (double)bytes / (t1 - t0) / 1e6);
    uv_close((uv_handle_t *)&timer, on_closed);
    close_all();
    return failed ? 1 : 0;
  }
  if (strcmp(argv[1], "idle") == 0) {
    int pid = atoi(argv[4]), i, step, done = 0;
    long base = rss_kib(pid);
    static const int steps[] = {10000, 100000};
    payload = (char *)"x";
    printf("base_rss_kib: %ld\n", base);
    for (step = 0; step < 2 && done < nconns; step++) {
      int to = steps[step] < nconns ? steps[step] : nconns;
      long rss;
      open_conns(done, to, 1);
      done = to;
      /* Let the server settle, then read its RSS. */
      uv_sleep(300);
      rss = rss_kib(pid);
      printf("conns_%d: %d\n", step, connected);
      printf("rss_kib_%d: %ld\n", step, rss);
      printf("kib_per_conn_%d: %.3f\n", step, (double)(rss - base) / (connected ? connected : 1));
      if (failed) break;
    }
    answered = 0;
    for (i = 0; i < nconns; i++) {
      if (!conns[i].open) continue;
      uv_read_start((uv_stream_t *)&conns[i].tcp, on_alloc, on_idle_read);
      send_one(&conns[i], 1);
    }
    failed = 0;
    uv_run(loop, UV_RUN_DEFAULT);
    printf("answered: %d\n", answered);
    printf("of: %d\n", connected);
    close_all();
    return answered == connected ? 0 : 1;
  }
  if (strcmp(argv[1], "httpidle") == 0) {
    int pid = atoi(argv[4]), i, open_before;
    double idle = argc >= 6 ? atof(argv[5]) : 2;
    long base, rss_open, rss_closed;
    if (idle < 0 || idle > 600) return 2;
    base = rss_kib(pid);
    printf("base_rss_kib: %ld\n", base);
    open_conns(0, nconns, 1);
    printf("conns: %d\n", connected);
    /* One GET each; at most 60 s for all the answers. */
    payload = (char *)http_get;
    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, on_stop, 60000, 0);
    failed = 0;
    for (i = 0; i < nconns; i++) {
      if (!conns[i].open) continue;
      uv_read_start((uv_stream_t *)&conns[i].tcp, on_alloc, on_http_read);
      send_one(&conns[i], sizeof http_get - 1);
    }
    if (connected > 0) uv_run(loop, UV_RUN_DEFAULT);
    printf("answered: %d\n", responded);
    if (bad_resp) printf("bad_responses: %d\n", bad_resp);
    /* Idle, still reading, so a connection the server closes is seen. */
    stopping = 0;
    uv_timer_start(&timer, on_stop, (uint64_t)(idle * 1000), 0);
    uv_run(loop, UV_RUN_DEFAULT);
    open_before = 0;
    for (i = 0; i < nconns; i++) open_before += conns[i].open && conns[i].done;
    rss_open = rss_kib(pid);
    printf("still_open: %d\n", open_before);
    printf("closed_by_server: %d\n", closed_idle);
    printf("rss_kib_open: %ld\n", rss_open);
    printf("bytes_per_conn: %.0f\n", (double)(rss_open - base) * 1024 / (open_before ? open_before : 1));
    uv_close((uv_handle_t *)&timer, on_closed);
    stopping = 1;
    close_all();
    /* Let the server see every close, then read its RSS. */
    uv_sleep(1000);
    rss_closed = rss_kib(pid);
    printf("rss_kib_closed: %ld\n", rss_closed);
    for (i = 0; i < nconns; i++) free(conns[i].resp);
    return responded == connected && open_before == connected ? 0 : 1;
  }
  return 2;
}
