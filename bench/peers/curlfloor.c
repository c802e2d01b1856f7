/* curlfloor: the plainest libcurl client, as a yardstick for bench/run.
 *
 * Not a tool and not a peer. floor.c shows what the machine allows; this
 * shows what libcurl itself costs on top of that, so that a gap between
 * sitecheck and the floor can be split into libcurl's part and
 * sitecheck's own. It does what any libcurl client must and nothing
 * more: one multi handle per thread driven by epoll through libcurl's
 * socket and timer callbacks, easy handles kept and reused (only the URL
 * changes between transfers, so libcurl's own defaults apply: keep-alive,
 * HTTP/2 offered on https), libcurl's smallest receive buffer, the body
 * read and thrown away. No records, no per-host limits, no timeouts, no
 * redirects; names are looked up by libcurl's own resolver. One thread
 * per CPU, each running its share of -c; URLs come from one shared
 * counter; the list is read first. All transfers are added at once, as a
 * plain client does: at thousands in flight its wall is no floor, its
 * CPU per URL at modest concurrency and its memory per transfer are.
 *
 *   curlfloor -c N [-cacert FILE] FILE   prints a tally: {"200": 10000}
 *
 * A transfer that fails counts as "error". https transfers set
 * CURLOPT_PIPEWAIT, as a libcurl client that wants HTTP/2 multiplexing
 * must. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define NCODES 600

struct worker {
  pthread_t tid;
  int ep;
  int slots;          /* transfers in flight at most */
  long long deadline; /* libcurl's timer, monotonic ms: -1 none */
  CURLM *multi;
  long codes[NCODES];
  long errors;
};

static char **urls;
static size_t nurls;
static atomic_size_t next_url;
static const char *cacert;

static void die(const char *msg) {
  fprintf(stderr, "curlfloor: %s\n", msg);
  exit(2);
}

/* Reads FILE into urls[], one URL per non-empty line. */
static void load(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die("cannot open the list");
  char line[4096];
  size_t cap = 1024;
  urls = malloc(cap * sizeof *urls);
  if (!urls) die("out of memory");
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0]) continue;
    if (nurls == cap) {
      char **grown = realloc(urls, (cap *= 2) * sizeof *urls);
      if (!grown) die("out of memory");
      urls = grown;
    }
    if (!(urls[nurls++] = strdup(line))) die("out of memory");
  }
  fclose(f);
}

static size_t discard(char *p, size_t size, size_t n, void *arg) {
  (void)p;
  (void)arg;
  return size * n;
}

/* libcurl's socket callback: mirror what it wants to wait for in epoll.
 * socketp is non-NULL once the descriptor is in the epoll set. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg,
                     void *socketp) {
  struct worker *w = arg;
  (void)e;
  if (what == CURL_POLL_REMOVE) {
    if (socketp) epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
    return 0;
  }
  struct epoll_event ev = {.data.fd = fd};
  if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
  if (epoll_ctl(w->ep, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
    die("epoll_ctl failed");
  if (!socketp) curl_multi_assign(w->multi, fd, w);
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl's timer callback: one deadline per multi handle, which the loop
 * clears when it fires (libcurl sets a new one if it wants). */
static int on_timer(CURLM *m, long timeout_ms, void *arg) {
  (void)m;
  ((struct worker *)arg)->deadline =
      timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  return 0;
}

/* Gives easy handle e the next URL and adds it; 0 when the list is done. */
static int start(struct worker *w, CURL *e) {
  size_t i = atomic_fetch_add(&next_url, 1);
  if (i >= nurls) return 0;
  curl_easy_setopt(e, CURLOPT_URL, urls[i]);
  curl_easy_setopt(e, CURLOPT_PIPEWAIT,
                   (long)(strncmp(urls[i], "https:", 6) == 0));
  if (curl_multi_add_handle(w->multi, e) != CURLM_OK) die("add_handle failed");
  return 1;
}

/* Tallies finished transfers and gives their handles the next URLs;
 * returns how many handles went idle for good. */
static int reap(struct worker *w) {
  int idle = 0, left;
  CURLMsg *m;
  while ((m = curl_multi_info_read(w->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *e = m->easy_handle;
    long code = 0;
    if (m->data.result == CURLE_OK &&
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
        code > 0 && code < NCODES)
      w->codes[code]++;
    else
      w->errors++;
    curl_multi_remove_handle(w->multi, e);
    if (!start(w, e)) {
      curl_easy_cleanup(e);
      idle++;
    }
  }
  return idle;
}

static void *run(void *arg) {
  struct worker *w = arg;
  w->ep = epoll_create1(0);
  w->deadline = -1;
  w->multi = curl_multi_init();
  if (w->ep < 0 || !w->multi) die("cannot make a loop");
  curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
  curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
  int active = 0, running;
  for (int i = 0; i < w->slots; i++) {
    CURL *e = curl_easy_init();
    if (!e) die("out of memory");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    /* libcurl's smallest receive buffer: the least memory per transfer */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 1024L);
    if (cacert) curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
    if (!start(w, e)) {
      curl_easy_cleanup(e);
      break;
    }
    active++;
  }
  struct epoll_event evs[256];
  while (active > 0) {
    long long wait = w->deadline < 0 ? -1 : w->deadline - now_ms();
    int n = epoll_wait(w->ep, evs, 256,
                       wait < 0 ? (w->deadline < 0 ? -1 : 0) : (int)wait);
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    for (int i = 0; i < n; i++) {
      int flags = 0;
      if (evs[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
      if (evs[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (evs[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
      curl_multi_socket_action(w->multi, evs[i].data.fd, flags, &running);
    }
    if (w->deadline >= 0 && now_ms() >= w->deadline) {
      w->deadline = -1;
      curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    active -= reap(w);
  }
  curl_multi_cleanup(w->multi);
  close(w->ep);
  return NULL;
}

int main(int argc, char **argv) {
  long conc = 0;
  int i = 1;
  for (; i < argc - 1; i++) {
    if (!strcmp(argv[i], "-c") && i + 1 < argc - 1)
      conc = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "-cacert") && i + 1 < argc - 1)
      cacert = argv[++i];
    else
      break;
  }
  if (conc < 1 || i != argc - 1)
    die("usage: curlfloor -c N [-cacert FILE] FILE");
  load(argv[i]);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    die("curl_global_init");
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nw = (int)(ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : ncpu);
  if (nw > conc) nw = (int)conc;
  static struct worker ws[MAX_THREADS];
  for (int k = 0; k < nw; k++) {
    ws[k].slots = (int)(conc / nw + (k < conc % nw));
    if (pthread_create(&ws[k].tid, NULL, run, &ws[k])) die("pthread_create");
  }
  long codes[NCODES] = {0}, errors = 0;
  for (int k = 0; k < nw; k++) {
    pthread_join(ws[k].tid, NULL);
    for (int c = 0; c < NCODES; c++) codes[c] += ws[k].codes[c];
    errors += ws[k].errors;
  }
  printf("{");
  const char *sep = "";
  for (int c = 0; c < NCODES; c++)
    if (codes[c]) {
      printf("%s\"%d\": %ld", sep, c, codes[c]);
      sep = ", ";
    }
  if (errors) printf("%s\"error\": %ld", sep, errors);
  printf("}\n");
  curl_global_cleanup();
  return 0;
}
