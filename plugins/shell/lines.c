/* lines.c - a child's output stream split into step log lines (see shell.h, "lines.c").

   Lines that arrive whole inside one read are emitted straight from the read buffer, all of them
   in one hm_emit_step_logs call (one host call per read, not per line: hm strips each "\n" or
   "\r\n" as emit_terminated does); only a line spanning reads is copied into shell_lines.data. Lines longer than SHELL_LINE_PIECE_MAX go out
   in pieces, so one endless line cannot exhaust memory and no byte is dropped. */
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/* The largest cut <= max that does not split a UTF-8 sequence (p[max] must exist). Bytes that are
   not valid UTF-8 are cut at max: hm replaces them anyway. */
static size_t utf8_cut(const char *p, size_t max) {
  size_t cut = max;
  while (cut > 0 && max - cut < 3 && ((unsigned char)p[cut] & 0xC0) == 0x80) cut--;
  return ((unsigned char)p[cut] & 0xC0) == 0x80 ? max : cut;
}

/* Sends p in pieces of SHELL_LINE_PIECE_MAX bytes (cut at UTF-8 boundaries) while more than one
   piece is left. RETURNS the bytes sent, or (size_t)-1 when the host failed. */
static size_t emit_long_prefix(hm_ctx *ctx, hm_stream stream, const char *p, size_t len) {
  size_t sent = 0;
  while (len - sent > SHELL_LINE_PIECE_MAX) {
    size_t cut = utf8_cut(p + sent, SHELL_LINE_PIECE_MAX);
    if (!hm_emit_step_log(ctx, stream, p + sent, cut)) return (size_t)-1;
    sent += cut;
  }
  return sent;
}

/* Emits p[0..len) as one line, or as pieces when it is too long for one. */
static int emit_line(hm_ctx *ctx, hm_stream stream, const char *p, size_t len) {
  size_t sent = emit_long_prefix(ctx, stream, p, len);
  return sent != (size_t)-1 && hm_emit_step_log(ctx, stream, p + sent, len - sent);
}

/* A line ended by '\n': without the '\r' of a "\r\n". */
static int emit_terminated(hm_ctx *ctx, hm_stream stream, const char *p, size_t len) {
  if (len > 0 && p[len - 1] == '\r') len--;
  return emit_line(ctx, stream, p, len);
}

static int append(hm_ctx *ctx, shell_lines *lines, const char *bytes, size_t n) {
  if (lines->cap - lines->len < n) {
    size_t cap = lines->cap ? lines->cap : 4096;
    char *grown;
    while (cap - lines->len < n) cap *= 2;
    grown = realloc(lines->data, cap);
    if (!grown) return hm_fail(ctx, "out_of_memory", "no memory for a %zu-byte output line", lines->len + n);
    lines->data = grown;
    lines->cap = cap;
  }
  if (n > 0) memcpy(lines->data + lines->len, bytes, n);
  lines->len += n;
  return 1;
}

/* Sends the full-size pieces of an unfinished line that grew past the limit, keeping the rest. */
static int emit_overflow(hm_ctx *ctx, shell_lines *lines) {
  size_t sent = emit_long_prefix(ctx, lines->stream, lines->data, lines->len);
  if (sent == (size_t)-1) return 0;
  memmove(lines->data, lines->data + sent, lines->len - sent);
  lines->len -= sent;
  return 1;
}

/* The last '\n' in p[0..n), or NULL. */
static const char *last_newline(const char *p, size_t n) {
  while (n > 0)
    if (p[--n] == '\n') return p + n;
  return NULL;
}

SHELL_PRIVATE int shell_lines_feed(hm_ctx *ctx, shell_lines *lines, const char *bytes, size_t n) {
  const char *last = lines->len == 0 ? last_newline(bytes, n) : NULL;
  if (last && (size_t)(last - bytes) < SHELL_LINE_PIECE_MAX) {
    /* Whole lines, none longer than a piece: one host call for all of them. */
    size_t whole = (size_t)(last - bytes) + 1;
    if (!hm_emit_step_logs(ctx, lines->stream, bytes, whole)) return 0;
    bytes += whole;
    n -= whole;
  }
  while (n > 0) {
    const char *newline = memchr(bytes, '\n', n);
    size_t part = newline ? (size_t)(newline - bytes) : n;
    if (newline && lines->len == 0) {
      if (!emit_terminated(ctx, lines->stream, bytes, part)) return 0;
    } else {
      if (!append(ctx, lines, bytes, part)) return 0;
      if (newline) {
        size_t len = lines->len;
        lines->len = 0;
        if (!emit_terminated(ctx, lines->stream, lines->data, len)) return 0;
      } else if (!emit_overflow(ctx, lines)) {
        return 0;
      }
    }
    if (newline) part++;
    bytes += part;
    n -= part;
  }
  return 1;
}

SHELL_PRIVATE int shell_lines_finish(hm_ctx *ctx, shell_lines *lines) {
  size_t len = lines->len;
  lines->len = 0;
  return len > 0 ? emit_line(ctx, lines->stream, lines->data, len) : 1;
}

SHELL_PRIVATE void shell_lines_free(shell_lines *lines) {
  free(lines->data);
  lines->data = NULL;
  lines->len = lines->cap = 0;
}
