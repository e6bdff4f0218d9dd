/*
 * tcpkit-summary [-j N] CAPTURE: one tab-separated line per TCP connection, as
 * tcptrace's summary gives, after a header line:
 *
 *   conn client server outcome packets_c2s packets_s2c bytes_c2s bytes_s2c
 *   retrans_c2s retrans_s2c irtt_ns
 *
 * client and server as ip:port (IPv6 in brackets), outcome as `tcpkit flows
 * --json` names it, irtt_ns empty when unknown. Connections come in the order
 * tcpkit hands them out (as they finish), like `tcpkit flows`. CAPTURE "-"
 * reads standard input. -j N: N threads analyse the capture (the option
 * `threads`; the same lines as one thread). Exit status 1 after a damaged
 * capture (every connection before the damage is printed), 2 on a usage
 * error.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpkit.h"

/* ip:port, or [ip]:port for IPv6. */
static void endpoint(char *buf, size_t len, const tcpkit_endpoint *e) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (e->family == 6) {
        inet_ntop(AF_INET6, e->addr, ip, sizeof ip);
        snprintf(buf, len, "[%s]:%u", ip, (unsigned)e->port);
    } else {
        inet_ntop(AF_INET, e->addr, ip, sizeof ip);
        snprintf(buf, len, "%s:%u", ip, (unsigned)e->port);
    }
}

static void print_error(const char *what) {
    tcpkit_str m = tcpkit_last_error_message();
    fprintf(stderr, "tcpkit-summary: %s: %.*s\n", what, (int)m.len, m.data);
}

int main(int argc, char **argv) {
    size_t threads = 1;
    if (argc == 4 && strcmp(argv[1], "-j") == 0) {
        char *end = NULL;
        threads = strtoul(argv[2], &end, 10);
        if (!end || *end != '\0' || end == argv[2])
            argc = 0; /* usage error below */
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: tcpkit-summary [-j N] CAPTURE\n");
        return 2;
    }
    tcpkit_options *opts = NULL;
    if (tcpkit_options_new(&opts) != TCPKIT_STATUS_OK ||
        tcpkit_options_set_threads(opts, threads) != TCPKIT_STATUS_OK) {
        print_error("options");
        tcpkit_options_free(opts);
        return 1;
    }
    tcpkit_analyzer *a = NULL;
    tcpkit_status opened = tcpkit_analyzer_open(argv[1], opts, &a);
    tcpkit_options_free(opts);
    if (opened != TCPKIT_STATUS_OK) {
        print_error("open");
        return 1;
    }
    printf("conn\tclient\tserver\toutcome\tpackets_c2s\tpackets_s2c\tbytes_c2s\t"
           "bytes_s2c\tretrans_c2s\tretrans_s2c\tirtt_ns\n");
    int status = 0;
    for (;;) {
        tcpkit_connection *c = NULL;
        tcpkit_status s = tcpkit_analyzer_next_connection(a, &c);
        if (s == TCPKIT_STATUS_END)
            break;
        if (s != TCPKIT_STATUS_OK) {
            /* Damage: said once; the connections before it still come. */
            print_error("read");
            status = 1;
            continue;
        }
        const tcpkit_summary *m = NULL;
        if (tcpkit_connection_summary(c, &m) != TCPKIT_STATUS_OK) {
            print_error("summary");
            tcpkit_connection_free(c);
            status = 1;
            break;
        }
        char client[64], server[64], irtt[32] = "";
        endpoint(client, sizeof client, &m->client);
        endpoint(server, sizeof server, &m->server);
        if (m->irtt_ns >= 0)
            snprintf(irtt, sizeof irtt, "%" PRId64, m->irtt_ns);
        printf("%" PRIu64 "\t%s\t%s\t%.*s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
               "\t%" PRIu64 "\t%" PRIu64 "\t%s\n",
               m->conn, client, server, (int)m->outcome.len, m->outcome.data,
               m->packets.c2s, m->packets.s2c, m->bytes.c2s, m->bytes.s2c,
               m->retransmissions.c2s, m->retransmissions.s2c, irtt);
        tcpkit_connection_free(c);
    }
    tcpkit_analyzer_free(a);
    return status;
}
