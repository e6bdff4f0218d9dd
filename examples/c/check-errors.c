/*
 * check-errors CAPTURE NOT_A_CAPTURE: the C ABI on bad input and misuse. NULL
 * arguments, a capture cut short in memory, a file that is not a capture, a
 * push after finish: each returns a status and leaves a message, never
 * crashes, and out-parameters stay untouched on failure. Prints
 * "N passed, N failed"; exit status 1 when one failed.
 */
/* fork, pipe, close, waitpid: POSIX, not in strict C11. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcpkit.h"

static int passed, failed;

#define CHECK(cond, what)                                                  \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
        }                                                                  \
    } while (0)

/* The call returned `want`, and, being an error, left a message. */
static void expect(tcpkit_status got, tcpkit_status want, const char *what) {
    if (got != want) {
        tcpkit_str g = tcpkit_status_name(got), w = tcpkit_status_name(want);
        fprintf(stderr, "FAIL %s: %s, not %s\n", what, g.data, w.data);
        failed++;
        return;
    }
    passed++;
    if (want >= TCPKIT_STATUS_NULL_ARGUMENT) {
        tcpkit_error_details d;
        tcpkit_str m = tcpkit_last_error_message();
        CHECK(m.len > 0 && strlen(m.data) == m.len, what);
        CHECK(tcpkit_last_error_details(&d) == TCPKIT_STATUS_OK && d.status == want, what);
    }
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Reads connections to the end; returns the number of errors met, counts the
 * connections in *conns. */
static int drain(tcpkit_analyzer *a, int *conns) {
    int errors = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        tcpkit_connection *c = NULL;
        tcpkit_status s = tcpkit_analyzer_next_connection(a, &c);
        if (s == TCPKIT_STATUS_END)
            break;
        if (s == TCPKIT_STATUS_OK) {
            ++*conns;
            tcpkit_connection_free(c);
        } else {
            errors++;
            CHECK(c == NULL, "no connection written on an error");
            CHECK(tcpkit_last_error_message().len > 0, "a message with the error");
        }
    }
    return errors;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: check-errors CAPTURE NOT_A_CAPTURE\n");
        return 2;
    }
    tcpkit_analyzer *sentinel = (tcpkit_analyzer *)&passed; /* never a real handle */
    tcpkit_analyzer *a = sentinel;
    tcpkit_error_details d;

    /* Frees of NULL do nothing. */
    tcpkit_analyzer_free(NULL);
    tcpkit_connection_free(NULL);
    tcpkit_options_free(NULL);

    /* NULL arguments. */
    expect(tcpkit_analyzer_open(NULL, NULL, &a), TCPKIT_STATUS_NULL_ARGUMENT, "open(NULL)");
    CHECK(a == sentinel, "open(NULL) leaves *out alone");
    expect(tcpkit_analyzer_open(argv[1], NULL, NULL), TCPKIT_STATUS_NULL_ARGUMENT,
           "open(path, NULL out)");
    expect(tcpkit_analyzer_from_bytes(NULL, 10, NULL, &a), TCPKIT_STATUS_NULL_ARGUMENT,
           "from_bytes(NULL, 10)");
    expect(tcpkit_analyzer_new(NULL, NULL), TCPKIT_STATUS_NULL_ARGUMENT, "new(NULL out)");
    expect(tcpkit_analyzer_push(NULL, 0, 1, (const uint8_t *)"", 0), TCPKIT_STATUS_NULL_ARGUMENT,
           "push(NULL analyzer)");
    expect(tcpkit_analyzer_finish(NULL), TCPKIT_STATUS_NULL_ARGUMENT, "finish(NULL)");
    tcpkit_connection *c = NULL;
    expect(tcpkit_analyzer_next_connection(NULL, &c), TCPKIT_STATUS_NULL_ARGUMENT,
           "next_connection(NULL)");
    const tcpkit_summary *sum = NULL;
    expect(tcpkit_connection_summary(NULL, &sum), TCPKIT_STATUS_NULL_ARGUMENT, "summary(NULL)");
    CHECK(sum == NULL, "summary(NULL) leaves *out alone");
    tcpkit_str text;
    expect(tcpkit_connection_explain(NULL, &text), TCPKIT_STATUS_NULL_ARGUMENT, "explain(NULL)");
    expect(tcpkit_options_set_story(NULL, false), TCPKIT_STATUS_NULL_ARGUMENT,
           "options_set_story(NULL)");
    expect(tcpkit_last_error_details(NULL), TCPKIT_STATUS_NULL_ARGUMENT, "last_error_details(NULL)");
    CHECK(tcpkit_last_error_details(&d) == TCPKIT_STATUS_OK, "details still there");
    CHECK(strcmp(tcpkit_status_name(12345).data, "TCPKIT_STATUS_UNKNOWN") == 0, "unknown status");

    /* A file that is not a capture: refused at open or at the first read. */
    a = sentinel;
    tcpkit_status s = tcpkit_analyzer_open(argv[2], NULL, &a);
    if (s == TCPKIT_STATUS_OK) {
        int conns = 0;
        CHECK(drain(a, &conns) == 1, "one error reading a non-capture");
        CHECK(conns == 0, "no connection in a non-capture");
        tcpkit_analyzer_free(a);
    } else {
        expect(s, TCPKIT_STATUS_FORMAT, "open(non-capture)");
        CHECK(a == sentinel, "open(non-capture) leaves *out alone");
    }
    CHECK(tcpkit_last_error_details(&d) == TCPKIT_STATUS_OK && d.status == TCPKIT_STATUS_FORMAT &&
              d.file.len > 0,
          "non-capture: the error names the file");
    a = sentinel;
    expect(tcpkit_analyzer_open("/nonexistent/capture.pcap", NULL, &a), TCPKIT_STATUS_IO,
           "open(missing file)");
    CHECK(a == sentinel, "open(missing) leaves *out alone");

    /* A capture cut in the middle of a record, from memory. */
    size_t len = 0;
    unsigned char *bytes = read_file(argv[1], &len);
    CHECK(bytes != NULL && len > 100, "read the capture");
    if (bytes && len > 100) {
        int whole = 0, cut = 0;
        CHECK(tcpkit_analyzer_from_bytes(bytes, len, NULL, &a) == TCPKIT_STATUS_OK, "whole");
        CHECK(drain(a, &whole) == 0, "no error in the whole capture");
        tcpkit_analyzer_free(a);
        CHECK(tcpkit_analyzer_from_bytes(bytes, len - 7, NULL, &a) == TCPKIT_STATUS_OK,
              "from_bytes(cut)");
        CHECK(drain(a, &cut) == 1, "one error in a cut capture");
        CHECK(tcpkit_last_error_details(&d) == TCPKIT_STATUS_OK &&
                  d.status == TCPKIT_STATUS_FORMAT && d.byte_offset > 0 && d.frame > 0,
              "the cut: its frame and byte offset");
        CHECK(cut <= whole && cut > 0, "the connections before the cut");
        tcpkit_analyzer_free(a);
        /* Only a file header, cut. */
        s = tcpkit_analyzer_from_bytes(bytes, 10, NULL, &a);
        if (s == TCPKIT_STATUS_OK) {
            int conns = 0;
            CHECK(drain(a, &conns) == 1 && conns == 0, "a cut file header: one error");
            tcpkit_analyzer_free(a);
        } else {
            expect(s, TCPKIT_STATUS_FORMAT, "from_bytes(10 bytes)");
        }
        free(bytes);
    }

    /* File descriptors: a file, a pipe fed by another process; the analyzer
     * duplicates the descriptor, so the caller may close its own at once. */
    {
        int whole = 0, from_file = 0, from_pipe = 0;
        CHECK(tcpkit_analyzer_open(argv[1], NULL, &a) == TCPKIT_STATUS_OK, "open");
        CHECK(drain(a, &whole) == 0, "no error");
        tcpkit_analyzer_free(a);
        int fd = open(argv[1], O_RDONLY);
        CHECK(fd >= 0 && tcpkit_analyzer_from_fd(fd, NULL, &a) == TCPKIT_STATUS_OK, "from_fd(file)");
        close(fd);
        CHECK(drain(a, &from_file) == 0 && from_file == whole, "a file descriptor reads it all");
        tcpkit_analyzer_free(a);
        int p[2];
        CHECK(pipe(p) == 0, "pipe");
        pid_t writer = fork();
        if (writer == 0) {
            close(p[0]);
            size_t n = 0;
            unsigned char *b = read_file(argv[1], &n);
            for (size_t off = 0; b && off < n;) {
                ssize_t w = write(p[1], b + off, n - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            _exit(0);
        }
        close(p[1]);
        CHECK(tcpkit_analyzer_from_fd(p[0], NULL, &a) == TCPKIT_STATUS_OK, "from_fd(pipe)");
        close(p[0]);
        CHECK(drain(a, &from_pipe) == 0 && from_pipe == whole, "a pipe reads it all");
        tcpkit_analyzer_free(a);
        waitpid(writer, NULL, 0);
        a = sentinel;
        expect(tcpkit_analyzer_from_fd(-1, NULL, &a), TCPKIT_STATUS_INVALID_ARGUMENT, "from_fd(-1)");
        expect(tcpkit_analyzer_from_fd(987, NULL, &a), TCPKIT_STATUS_IO, "from_fd(closed)");
        CHECK(a == sentinel, "from_fd failures leave *out alone");
    }

    /* Options: the story off leaves the counters. */
    {
        tcpkit_options *o = NULL;
        CHECK(tcpkit_options_new(&o) == TCPKIT_STATUS_OK, "options_new");
        CHECK(tcpkit_options_set_story(o, false) == TCPKIT_STATUS_OK, "set_story");
        CHECK(tcpkit_options_set_idle_timeout_ns(o, 0) == TCPKIT_STATUS_OK, "set_idle_timeout_ns");
        CHECK(tcpkit_analyzer_open(argv[1], o, &a) == TCPKIT_STATUS_OK, "open with options");
        tcpkit_options_free(o); /* copied: may go at once */
        tcpkit_connection *first = NULL;
        const tcpkit_summary *m = NULL;
        CHECK(tcpkit_analyzer_next_connection(a, &first) == TCPKIT_STATUS_OK, "a connection");
        CHECK(tcpkit_connection_summary(first, &m) == TCPKIT_STATUS_OK && !m->has_story &&
                  m->packets.c2s > 0,
              "no story, the counters");
        tcpkit_connection_free(first);
        tcpkit_analyzer_free(a);
    }

    /* Push after finish; a push to an analyzer that reads a file. */
    CHECK(tcpkit_analyzer_new(NULL, &a) == TCPKIT_STATUS_OK, "new");
    CHECK(tcpkit_analyzer_finish(a) == TCPKIT_STATUS_OK, "finish");
    expect(tcpkit_analyzer_push(a, 0, 1, (const uint8_t *)"abc", 3), TCPKIT_STATUS_STATE,
           "push after finish");
    tcpkit_analyzer_free(a);
    CHECK(tcpkit_analyzer_open(argv[1], NULL, &a) == TCPKIT_STATUS_OK, "open");
    expect(tcpkit_analyzer_push(a, 0, 1, (const uint8_t *)"abc", 3), TCPKIT_STATUS_STATE,
           "push to a file analyzer");
    tcpkit_analyzer_free(a);
    /* Bytes that are no packet: skipped, as a capture's undecodable packets. */
    CHECK(tcpkit_analyzer_new(NULL, &a) == TCPKIT_STATUS_OK, "new");
    CHECK(tcpkit_analyzer_push(a, 0, 1, (const uint8_t *)"abc", 3) == TCPKIT_STATUS_OK,
          "a 3-byte packet is skipped");
    CHECK(tcpkit_analyzer_push(a, 0, 1, NULL, 0) == TCPKIT_STATUS_OK, "an empty packet");
    tcpkit_analyzer_free(a);

    /* Arrow streams: a pushed analyzer has no end to stream to; a spent
     * analyzer refuses everything but free. */
    {
        struct ArrowArrayStream st;
        CHECK(tcpkit_analyzer_new(NULL, &a) == TCPKIT_STATUS_OK, "new");
        expect(tcpkit_analyzer_arrow_segments(a, 0, &st), TCPKIT_STATUS_STATE,
               "arrow stream of a pushed analyzer");
        tcpkit_analyzer_free(a);
        expect(tcpkit_analyzer_arrow_connections(NULL, 0, &st), TCPKIT_STATUS_NULL_ARGUMENT,
               "arrow stream of NULL");
        CHECK(tcpkit_analyzer_open(argv[1], NULL, &a) == TCPKIT_STATUS_OK, "open");
        expect(tcpkit_analyzer_arrow_segments(a, 0, NULL), TCPKIT_STATUS_NULL_ARGUMENT,
               "arrow stream to NULL");
        CHECK(tcpkit_analyzer_arrow_segments(a, 0, &st) == TCPKIT_STATUS_OK, "arrow stream");
        tcpkit_connection *c2 = NULL;
        expect(tcpkit_analyzer_next_connection(a, &c2), TCPKIT_STATUS_STATE, "a spent analyzer");
        expect(tcpkit_analyzer_arrow_connections(a, 0, &st), TCPKIT_STATUS_STATE,
               "a second stream");
        tcpkit_analyzer_free(a);
        st.release(&st); /* unread: releasing it is enough */
    }

    printf("%d passed, %d failed\n", passed, failed);
    return failed > 0;
}
