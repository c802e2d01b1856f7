/* robots.c - see robots.h. */
#include "robots.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

struct rule {
  char *pattern;
  size_t len;
  int allow;
};

/* A rule list: for the named agent's groups and for "*". */
struct rules {
  struct rule *v;
  size_t n, cap;
};

struct sc_robots {
  struct rules rules; /* the rules that apply */
  int none;           /* allow nothing (an unreachable robots.txt) */
};

static void rules_add(struct rules *rs, const char *p, size_t n, int allow) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? 2 * rs->cap : 16;
    rs->v = sc_xrealloc(rs->v, rs->cap * sizeof *rs->v);
  }
  rs->v[rs->n++] = (struct rule){sc_xstrndup(p, n), n, allow};
}

static void rules_free(struct rules *rs) {
  for (size_t i = 0; i < rs->n; i++) free(rs->v[i].pattern);
  free(rs->v);
  memset(rs, 0, sizeof *rs);
}

static int is_ws(char c) {
  return c == ' ' || c == '\t';
}

/* Whether the user-agent value v[0..n) names agent: its product token
 * (letters, '_' and '-') compared without case, or "*" (star). */
static int names(const char *v, size_t n, const char *agent, int *star) {
  size_t k = 0;
  *star = n >= 1 && v[0] == '*';
  while (k < n && (((v[k] | 0x20) >= 'a' && (v[k] | 0x20) <= 'z') ||
                   v[k] == '_' || v[k] == '-'))
    k++;
  return k > 0 && k == strlen(agent) && strncasecmp(v, agent, k) == 0;
}

struct sc_robots *sc_robots_parse(const char *text, size_t n,
                                  const char *agent) {
  struct sc_robots *r = sc_xcalloc(1, sizeof *r);
  struct rules mine = {0}, star = {0};
  int in_agents = 0;            /* the last line was a user-agent line */
  int for_me = 0, for_star = 0; /* the current group's */
  int have_mine = 0;
  const char *p = text, *end = text + n;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    const char *hash = memchr(p, '#', (size_t)(eol - p));
    const char *stop = hash ? hash : eol;
    const char *colon = memchr(p, ':', (size_t)(stop - p));
    if (colon) {
      const char *k = p, *ke = colon, *v = colon + 1, *ve = stop;
      while (k < ke && is_ws(*k)) k++;
      while (ke > k && is_ws(ke[-1])) ke--;
      while (v < ve && is_ws(*v)) v++;
      while (ve > v && (is_ws(ve[-1]) || ve[-1] == '\r')) ve--;
      size_t kn = (size_t)(ke - k), vn = (size_t)(ve - v);
      if (kn == 10 && strncasecmp(k, "user-agent", 10) == 0) {
        int st, me = names(v, vn, agent, &st);
        if (!in_agents) for_me = for_star = 0;
        for_me |= me;
        for_star |= st;
        have_mine |= me;
        in_agents = 1;
      } else if ((kn == 5 && strncasecmp(k, "allow", 5) == 0) ||
                 (kn == 8 && strncasecmp(k, "disallow", 8) == 0)) {
        int allow = kn == 5;
        in_agents = 0;
        if (vn) {
          if (for_me) rules_add(&mine, v, vn, allow);
          if (for_star) rules_add(&star, v, vn, allow);
        }
      } else if (kn) {
        in_agents = 0; /* another key (sitemap, crawl-delay) */
      }
    }
    p = nl ? nl + 1 : end;
  }
  if (have_mine) {
    r->rules = mine;
    rules_free(&star);
  } else {
    r->rules = star;
    rules_free(&mine);
  }
  return r;
}

struct sc_robots *sc_robots_all(int allow) {
  struct sc_robots *r = sc_xcalloc(1, sizeof *r);
  r->none = !allow;
  return r;
}

/* Whether pattern p[0..pn) matches a prefix of s[0..sn) ('*' any run,
 * a final '$' the end). Greedy with one backtrack point, the usual
 * wildcard match: at most pn * sn steps. */
static int match(const char *p, size_t pn, const char *s, size_t sn) {
  int anchored = pn && p[pn - 1] == '$';
  if (anchored) pn--;
  size_t i = 0, j = 0, star_i = (size_t)-1, star_j = 0;
  for (;;) {
    if (i == pn) {
      if (!anchored || j == sn) return 1;
    } else if (p[i] == '*') {
      star_i = i++;
      star_j = j;
      continue;
    } else if (j < sn && p[i] == s[j]) {
      i++, j++;
      continue;
    }
    if (star_i == (size_t)-1 || star_j >= sn) return 0;
    i = star_i + 1;
    j = ++star_j;
  }
}

int sc_robots_allowed(const struct sc_robots *r, const char *path) {
  if (strcmp(path, "/robots.txt") == 0) return 1;
  if (r->none) return 0;
  size_t sn = strlen(path), best = 0;
  int allow = 1, found = 0;
  for (size_t i = 0; i < r->rules.n; i++) {
    const struct rule *u = &r->rules.v[i];
    if (!match(u->pattern, u->len, path, sn)) continue;
    if (!found || u->len > best || (u->len == best && u->allow)) {
      if (!found || u->len > best)
        allow = u->allow;
      else
        allow |= u->allow;
      best = u->len;
      found = 1;
    }
  }
  return allow;
}

void sc_robots_free(struct sc_robots *r) {
  if (!r) return;
  rules_free(&r->rules);
  free(r);
}
