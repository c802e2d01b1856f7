/* demo.c - `sitecheck demo`: the talk's experiment, reproduced on the
 * simulated web. Starts `sitecheck serve` on loopback, builds the talk's
 * list (31 sites whose latencies average 1.13 s, the slowest 2.5 s, drawn
 * from a fixed seed), runs every model on it as a child process and prints
 * wall time, speed-up, CPU time, peak RSS and tally side by side. With
 * --report, each child also writes its records, and the report module
 * draws them as one timeline per model on one page (report.h). */
#include "demo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "report_main.h"
#include "run.h"
#include "util.h"

#define MEAN_MS 1130.0
#define SLOWEST_MS 2500.0

static const char demo_usage[] =
    "usage: sitecheck demo [--scale F] [--sites N] [--report FILE.html]\n"
    "  --scale F        multiply every latency by F (0.1 runs in seconds)\n"
    "  --sites N        number of sites (default 31, as in the talk)\n"
    "  --report FILE    also draw when each site was checked in each model\n"
    "                   (one self-contained HTML page)\n";

/* Latencies in ms: a fixed-seed draw, stretched so that the mean is
 * MEAN_MS and the slowest SLOWEST_MS (the talk's 31 sites: 35.1 s in all,
 * 2.8 s at best), then multiplied by scale. */
static void make_latencies(long *ms, int n, double scale) {
  double *x = sc_xcalloc((size_t)n, sizeof *x), sum = 0, max = 0, min = 1e9;
  uint64_t s = 0x5EED2017u;
  for (int i = 0; i < n; i++) {
    double u = sc_rand_unit(&s);
    x[i] = u * u; /* most sites quick, a few slow */
    sum += x[i];
    if (x[i] > max) max = x[i];
    if (x[i] < min) min = x[i];
  }
  double mean = sum / n;
  for (int i = 0; i < n; i++) {
    double v =
        n == 1 || max == mean
            ? MEAN_MS
            : MEAN_MS + (x[i] - mean) * (SLOWEST_MS - MEAN_MS) / (max - mean);
    if (v < 10) v = 10;
    ms[i] = (long)(v * scale + 0.5);
  }
  free(x);
}

/* Starts `self serve --listen 127.0.0.1:0`; returns its pid and writes the
 * base URL into base (at least 201 bytes). Returns -1 on failure. */
static pid_t start_server(const char *self, char *base) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    close(p[0]);
    close(p[1]);
    execl(self, self, "serve", "--listen", "127.0.0.1:0", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "r");
  char line[256];
  int ok = f && fgets(line, sizeof line, f) &&
           sscanf(line, "listening on %200s", base) == 1;
  if (f) fclose(f);
  if (!ok) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
  }
  return pid;
}

struct outcome {
  double wall_ms, cpu_s, rss_mb;
  char tally[256];
  int status;
};

/* Runs `self -q -m MODEL [--loops 1] [-c N] [-o RECORDS] FILE`,
 * capturing the tally. */
static int run_model(const char *self, const char *model, const char *conc,
                     const char *records, const char *file,
                     struct outcome *out) {
  int p[2];
  if (pipe(p) != 0) return -1;
  double t0 = sc_now_ms();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    close(p[0]);
    close(p[1]);
    /* The event model on one loop: the talk's lesson is one thread. */
    const char *argv[14] = {self,      "-q", "--no-progress", "-m", model,
                            "--loops", "1"};
    int n = strcmp(model, "event") == 0 ? 7 : 5;
    if (conc) {
      argv[n++] = "-c";
      argv[n++] = conc;
    }
    if (records) {
      argv[n++] = "-o";
      argv[n++] = records;
    }
    argv[n] = file;
    argv[n + 1] = NULL;
    execv(self, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  size_t n = 0;
  ssize_t r;
  while ((r = read(p[0], out->tally + n, sizeof out->tally - 1 - n)) > 0)
    n += (size_t)r;
  close(p[0]);
  out->tally[n] = '\0';
  if (n && out->tally[n - 1] == '\n') out->tally[n - 1] = '\0';
  int st;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0)
    if (errno != EINTR) return -1;
  out->wall_ms = sc_now_ms() - t0;
  out->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  out->rss_mb = (double)ru.ru_maxrss / 1024.0;
  out->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return 0;
}

/* The models in the talk's order, with what each one's timeline shows. */
static const struct run {
  const char *model, *conc, *lesson;
} runs[] = {
    {"serial", NULL,
     "One check at a time: each site waits for the one before, so the run "
     "takes the sum of all the latencies."},
    {"process", "3",
     "Three worker processes, each checking one site at a time: a "
     "staircase three checks wide, about a third of the serial time."},
    {"thread", NULL,
     "A thread per site: every check starts at once and the run ends with "
     "the slowest site, at the cost of a thread (and its stack) each."},
    {"event", NULL,
     "One thread and one loop: every check is in flight at once, as with "
     "threads, and the run ends with the slowest site."},
};
#define NRUNS (sizeof runs / sizeof runs[0])

/* Draws each run's records (records[i], written by runs[i], measured as
 * out[i]) as its timeline and writes the page to path. Returns 0, or -1
 * after saying why. */
static int write_report(const char *path, const char *subtitle,
                        char records[][32], const struct outcome *out) {
  struct sc_report_opts o = {
      .title = "sitecheck demo: four ways to check a website",
      .subtitle = subtitle,
      .only_timelines = 1};
  struct sc_report *rep = sc_report_new(&o);
  int rc = 0;
  for (size_t i = 0; i < NRUNS && rc == 0; i++) {
    struct sc_report_timeline t = {.label = runs[i].model,
                                   .note = runs[i].lesson,
                                   .wall_ms = out[i].wall_ms,
                                   .cpu_s = out[i].cpu_s,
                                   .rss_mb = out[i].rss_mb};
    FILE *f = fopen(records[i], "r");
    sc_report_timeline(rep, &t);
    if (!f) {
      fprintf(stderr, "sitecheck demo: cannot read %s: %s\n", records[i],
              strerror(errno));
      rc = -1;
    } else {
      rc = sc_report_read(rep, f, records[i], 0);
      fclose(f);
    }
  }
  if (rc == 0 && (rc = sc_report_save(rep, path)) != 0)
    fprintf(stderr, "sitecheck demo: cannot write %s: %s\n", path,
            strerror(errno));
  sc_report_free(rep);
  return rc;
}

/* Whether a report can be written at path: its directory is writable.
 * Found before the runs, which take a minute at full scale. */
static int report_path_ok(const char *path) {
  if (!*path || strcmp(path, "-") == 0) {
    fputs("sitecheck demo: --report needs a file name\n", stderr);
    return 0;
  }
  const char *slash = strrchr(path, '/');
  char *dir =
      slash ? sc_xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
            : sc_xstrdup(".");
  int ok = access(dir, W_OK | X_OK) == 0;
  if (!ok)
    fprintf(stderr, "sitecheck demo: cannot write %s: %s\n", path,
            strerror(errno));
  free(dir);
  return ok;
}

int sc_demo_main(int argc, char **argv) {
  double scale = 1.0;
  long sites = 31;
  const char *report = NULL;
  for (int i = 1; i < argc; i++) {
    long ms;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(demo_usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc &&
               sc_parse_seconds(argv[i + 1], &ms) == 0 && ms > 0) {
      scale = (double)ms / 1000.0;
      i++;
    } else if (strcmp(argv[i], "--sites") == 0 && i + 1 < argc &&
               sc_parse_long(argv[i + 1], 1, 100000, &sites) == 0) {
      i++;
    } else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
      report = argv[++i];
    } else {
      fprintf(stderr, "sitecheck demo: bad argument '%s'\n%s", argv[i],
              demo_usage);
      return SC_EXIT_USAGE;
    }
  }

  if (report && !report_path_ok(report)) return SC_EXIT_USAGE;

  char self[4096];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) {
    fputs("sitecheck demo: cannot find my own executable\n", stderr);
    return SC_EXIT_INTERNAL;
  }
  self[sl] = '\0';

  char base[256];
  pid_t server = start_server(self, base);
  if (server < 0) {
    fputs("sitecheck demo: cannot start the simulated web\n", stderr);
    return SC_EXIT_INTERNAL;
  }

  long *lat = sc_xcalloc((size_t)sites, sizeof *lat);
  make_latencies(lat, (int)sites, scale);
  char file[] = "/tmp/sitecheck-demo-XXXXXX";
  int fd = mkstemp(file);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    fputs("sitecheck demo: cannot write the URL list\n", stderr);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    free(lat);
    return SC_EXIT_INTERNAL;
  }
  const char *port = strrchr(base, ':') + 1;
  double sum = 0, slowest = 0;
  for (long i = 0; i < sites; i++) {
    /* Each site its own host name (siteN.localhost is loopback without a
     * lookup), so the per-host limit treats them as the 31 sites they are. */
    fprintf(f, "http://site%ld.localhost:%s/delay/%ld\n", i + 1, port, lat[i]);
    sum += (double)lat[i];
    if (lat[i] > slowest) slowest = (double)lat[i];
  }
  fclose(f);
  /* What 3 sequential workers need: each URL, in list order, goes to the
   * worker that becomes idle first (what the process model does). */
  double busy[3] = {0, 0, 0}, three = 0;
  for (long i = 0; i < sites; i++) {
    int k = 0;
    for (int w = 1; w < 3; w++)
      if (busy[w] < busy[k]) k = w;
    busy[k] += (double)lat[i];
    if (busy[k] > three) three = busy[k];
  }

  printf(
      "sitecheck demo: %ld simulated sites on %s, latencies sum %.1f s, "
      "slowest %.2f s (scale %g)\n\n",
      sites, base, sum / 1000, slowest / 1000, scale);
  printf("%-9s %-9s %-9s %-9s %-8s %-10s %s\n", "model", "workers", "wall",
         "speed-up", "CPU", "peak RSS", "tally");
  fflush(stdout);

  double serial_ms = 0;
  int rc = 0;
  struct outcome outs[NRUNS];
  char records[NRUNS][32];
  size_t ran = 0;
  for (size_t i = 0; i < NRUNS; i++) {
    struct outcome out;
    char workers[32];
    snprintf(records[i], sizeof records[i], "/tmp/sitecheck-demo-XXXXXX");
    int rfd = report ? mkstemp(records[i]) : -1;
    if (report && rfd < 0) {
      fputs("sitecheck demo: cannot make a records file\n", stderr);
      rc = SC_EXIT_INTERNAL;
      break;
    }
    if (rfd >= 0) close(rfd);
    ran = i + 1;
    if (run_model(self, runs[i].model, runs[i].conc, report ? records[i] : NULL,
                  file, &out) != 0) {
      rc = SC_EXIT_INTERNAL;
      break;
    }
    outs[i] = out;
    if (i == 0) serial_ms = out.wall_ms;
    if (strcmp(runs[i].model, "process") == 0)
      snprintf(workers, sizeof workers, "3");
    else if (strcmp(runs[i].model, "thread") == 0)
      snprintf(workers, sizeof workers, "%ld", sites < 128 ? sites : 128);
    else if (strcmp(runs[i].model, "event") == 0)
      snprintf(workers, sizeof workers, "1 loop");
    else
      snprintf(workers, sizeof workers, "1");
    char wall[32], speed[32], cpu[32], rss[32];
    snprintf(wall, sizeof wall, "%.2f s", out.wall_ms / 1000);
    snprintf(speed, sizeof speed, "%.1fx", serial_ms / out.wall_ms);
    snprintf(cpu, sizeof cpu, "%.2f s", out.cpu_s);
    snprintf(rss, sizeof rss, "%.1f MB", out.rss_mb);
    printf("%-9s %-9s %-9s %-9s %-8s %-10s %s\n", runs[i].model, workers, wall,
           speed, cpu, rss, out.status == 0 ? out.tally : "(failed)");
    fflush(stdout);
    if (out.status != 0) rc = SC_EXIT_INTERNAL;
  }
  printf(
      "\nideal: serial = sum of latencies %.2f s; 3 processes %.2f s; "
      "thread and event = the slowest site %.2f s\n",
      sum / 1000, three / 1000, slowest / 1000);
  printf(
      "(talk, 2017: serial 35.1 s, 3 processes 9.6 s, threads 5.7 s, "
      "event loop 2.8 s)\n");
  if (report && rc == 0) {
    char sub[160];
    snprintf(sub, sizeof sub,
             "%ld simulated sites, latencies sum %.1f s, slowest %.2f s "
             "(scale %g)",
             sites, sum / 1000, slowest / 1000, scale);
    if (write_report(report, sub, records, outs) == 0)
      printf("\ntimelines of the four runs: %s\n", report);
    else
      rc = SC_EXIT_USAGE;
  }
  for (size_t i = 0; report && i < ran; i++) unlink(records[i]);

  unlink(file);
  free(lat);
  kill(server, SIGTERM);
  waitpid(server, NULL, 0);
  return rc;
}
