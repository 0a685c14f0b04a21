/*
 * main.c: the lode command, a small user of the public API in lode.h.
 */
#include "lode.h"

#include <luajit.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
  fputs("Usage: lode [options] [script.lua | -e code | -] [arguments]\n"
        "\n"
        "Options:\n"
        "  -e, --eval CODE   run CODE as the main module\n"
        "  -                 read the script from standard input\n"
        "  -v, --version     print the versions of lode, LuaJIT and libuv\n"
        "  -h, --help        print this help\n"
        "  --                end of options\n"
        "\n"
        "Environment:\n"
        "  LODE_LUA_DIR      load lode's own lua/ files from this folder\n",
        f);
}

/* process.exit() never returns in Node: the command ends right there,
 * once the 'exit' listeners have run. */
static void exit_now(lode_runtime *rt, int code) {
  (void)rt;
  fflush(stdout);
  fflush(stderr);
  exit(code);
}

/* A closed fd 0, 1 or 2 becomes /dev/null, as Node does at start: else
 * the first descriptor libuv opens (its epoll or a signal pipe) would take
 * that number, output would go into it, and libuv asserts when it closes
 * a descriptor it believes is stdio. */
static void ensure_stdio(void) {
  int fd;
  for (fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) abort();
  }
}

/* Reads all of standard input; NULL when memory runs out. */
static char *read_stdin(void) {
  size_t cap = 65536, len = 0, n;
  char *buf = (char *)malloc(cap), *p;
  if (!buf) return NULL;
  while ((n = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      if (!(p = (char *)realloc(buf, cap * 2))) {
        free(buf);
        return NULL;
      }
      buf = p;
      cap *= 2;
    }
  }
  buf[len] = '\0';
  return buf;
}

int main(int argc, char **argv) {
  const char *eval = NULL, *script = NULL;
  int from_stdin = 0, i, st, code, nargs;
  char **pargv;
  char *src = NULL;
  lode_options o;
  lode_runtime *rt;

  ensure_stdio();
  argv = uv_setup_args(argc, argv);
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      printf("lode %s\n%s\nlibuv %s\n", LODE_VERSION, LUAJIT_VERSION, uv_version_string());
      return 0;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "-e") == 0 || strcmp(a, "--eval") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "lode: %s requires an argument\n", a);
        return 9;
      }
      eval = argv[++i];
    } else if (strcmp(a, "-") == 0) {
      from_stdin = 1;
      i++;
      break;
    } else if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (a[0] == '-') {
      fprintf(stderr, "lode: bad option: %s (try lode --help)\n", a);
      return 9;
    } else {
      break;
    }
  }
  if (!eval && !from_stdin) {
    if (i < argc) {
      script = argv[i++];
    } else if (isatty(0)) {
      fprintf(stderr, "lode: no script given (try lode --help)\n");
      return 9;
    } else {
      /* As luajit and node do, a standard input that is not a terminal is
       * the script; unlike "lode -", argv gets no "-" (node's argv). */
      from_stdin = 2;
    }
  }

  /* process.argv: [0] the executable, [1] the script ('-' for standard
   * input, nothing for -e), then the script's own arguments. */
  nargs = argc - i;
  pargv = (char **)calloc((size_t)nargs + 3, sizeof *pargv);
  if (!pargv) {
    fprintf(stderr, "lode: out of memory\n");
    return 1;
  }
  pargv[0] = argv[0];
  code = 1;
  if (script) pargv[code++] = (char *)script;
  else if (from_stdin == 1) pargv[code++] = (char *)"-";
  memcpy(pargv + code, argv + i, (size_t)nargs * sizeof *pargv);

  lode_options_init(&o);
  o.argc = code + nargs;
  o.argv = pargv;
  o.print_errors = 1;
  o.handle_signals = 1;
  o.on_exit = exit_now;
  o.own_stdio = 1;
  o.lua_dir = getenv("LODE_LUA_DIR");
  rt = lode_new(&o);
  free(pargv);
  if (!rt) {
    fprintf(stderr, "lode: cannot start the runtime\n");
    return 1;
  }

  if (script) {
    st = lode_run_file(rt, script);
  } else if (eval) {
    st = lode_run_string(rt, eval, "[eval]");
  } else {
    if (!(src = read_stdin())) {
      fprintf(stderr, "lode: cannot read standard input\n");
      lode_free(rt);
      return 1;
    }
    st = lode_run_string(rt, src, "[stdin]");
    free(src);
  }
  if (st == LODE_OK) lode_run(rt);
  code = lode_close(rt);
  lode_free(rt);
  uv_library_shutdown(); /* frees what uv_setup_args copied */
  return code;
}
