/*
 * tcpkit-arrow-count CAPTURE [segments|connections]: reads the capture's
 * segments (or connections) as an Arrow C stream (struct ArrowArrayStream,
 * what nanoarrow, DuckDB and Arrow C++ import) and prints the number of rows
 * and columns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcpkit.h"

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: tcpkit-arrow-count CAPTURE [segments|connections]\n");
        return 2;
    }
    int connections = argc == 3 && strcmp(argv[2], "connections") == 0;
    tcpkit_analyzer *a = NULL;
    struct ArrowArrayStream stream;
    tcpkit_status s = tcpkit_analyzer_open(argv[1], NULL, &a);
    if (s == TCPKIT_STATUS_OK)
        s = connections ? tcpkit_analyzer_arrow_connections(a, 0, &stream)
                        : tcpkit_analyzer_arrow_segments(a, 0, &stream);
    /* The analysis now lives in the stream: the handle is spent. */
    tcpkit_analyzer_free(a);
    if (s != TCPKIT_STATUS_OK) {
        tcpkit_str m = tcpkit_last_error_message();
        fprintf(stderr, "tcpkit-arrow-count: %.*s\n", (int)m.len, m.data);
        return 1;
    }
    int status = 0;
    struct ArrowSchema schema;
    int64_t columns = -1;
    if (stream.get_schema(&stream, &schema) == 0) {
        columns = schema.n_children;
        schema.release(&schema);
    }
    int64_t rows = 0;
    for (;;) {
        struct ArrowArray batch;
        if (stream.get_next(&stream, &batch) != 0) {
            const char *e = stream.get_last_error(&stream);
            fprintf(stderr, "tcpkit-arrow-count: %s\n", e ? e : "error");
            status = 1;
            break;
        }
        if (batch.release == NULL)
            break; /* the end of the stream */
        rows += batch.length;
        batch.release(&batch);
    }
    stream.release(&stream);
    printf("%" PRId64 " rows, %" PRId64 " columns\n", rows, columns);
    return status;
}
