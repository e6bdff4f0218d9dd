/*
 * tcpkit-live: packets from libpcap, pushed to tcpkit from the pcap_loop
 * callback; each connection's explanation is printed as it finishes, the
 * capture-wide findings at the end (what `tcpkit report` prints).
 *
 *   tcpkit-live -r FILE         read a capture file through libpcap
 *   tcpkit-live -i INTERFACE    capture live (needs the rights to); Ctrl-C ends
 */
/* libpcap's headers use the BSD types (u_int, u_char): not in strict C11. */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tcpkit.h"

struct live {
    tcpkit_analyzer *analyzer;
    uint32_t link_type; /* a LINKTYPE_ value */
    int nano;           /* timestamps in nanoseconds (else microseconds) */
    int failed;
};

static pcap_t *source;

static void print_error(const char *what) {
    tcpkit_str m = tcpkit_last_error_message();
    fprintf(stderr, "tcpkit-live: %s: %.*s\n", what, (int)m.len, m.data);
}

/* Prints every connection the analyzer has finished with. Returns 0, or -1
 * on an error. */
static int drain(tcpkit_analyzer *a) {
    for (;;) {
        tcpkit_connection *c = NULL;
        tcpkit_status s = tcpkit_analyzer_next_connection(a, &c);
        if (s == TCPKIT_STATUS_PENDING || s == TCPKIT_STATUS_END)
            return 0;
        if (s != TCPKIT_STATUS_OK) {
            print_error("analysis");
            return -1;
        }
        tcpkit_str text;
        if (tcpkit_connection_explain(c, &text) == TCPKIT_STATUS_OK) {
            fwrite(text.data, 1, text.len, stdout);
            putchar('\n');
        }
        tcpkit_connection_free(c);
    }
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
    struct live *l = (struct live *)user;
    int64_t ts_ns = (int64_t)h->ts.tv_sec * 1000000000 +
                    (int64_t)h->ts.tv_usec * (l->nano ? 1 : 1000);
    if (tcpkit_analyzer_push_packet(l->analyzer, ts_ns, l->link_type, bytes, h->caplen, h->len) !=
            TCPKIT_STATUS_OK ||
        drain(l->analyzer) != 0) {
        print_error("push");
        l->failed = 1;
        pcap_breakloop(source);
    }
}

static void on_signal(int sig) {
    (void)sig;
    if (source)
        pcap_breakloop(source);
}

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE] = "";
    struct live l = {0};
    if (argc == 3 && strcmp(argv[1], "-r") == 0) {
        source = pcap_open_offline_with_tstamp_precision(argv[2], PCAP_TSTAMP_PRECISION_NANO, err);
        l.nano = 1;
    } else if (argc == 3 && strcmp(argv[1], "-i") == 0) {
        source = pcap_open_live(argv[2], 262144, 1, 1000, err);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    } else {
        fprintf(stderr, "usage: tcpkit-live -r FILE | -i INTERFACE\n");
        return 2;
    }
    if (!source) {
        fprintf(stderr, "tcpkit-live: %s\n", err);
        return 1;
    }
    /* libpcap says DLT_ values; tcpkit takes the LINKTYPE_ values of capture
     * files. They differ only for a few old ones, raw IP among them. */
    int dlt = pcap_datalink(source);
    l.link_type = (dlt == DLT_RAW) ? 101 : (uint32_t)dlt;
    if (tcpkit_analyzer_new(NULL, &l.analyzer) != TCPKIT_STATUS_OK) {
        print_error("analyzer");
        pcap_close(source);
        return 1;
    }
    if (pcap_loop(source, -1, on_packet, (u_char *)&l) == PCAP_ERROR) {
        fprintf(stderr, "tcpkit-live: %s\n", pcap_geterr(source));
        l.failed = 1;
    }
    pcap_close(source);
    source = NULL;
    if (tcpkit_analyzer_finish(l.analyzer) != TCPKIT_STATUS_OK || drain(l.analyzer) != 0) {
        print_error("finish");
        l.failed = 1;
    } else {
        const tcpkit_report *r = NULL;
        tcpkit_str text;
        if (tcpkit_analyzer_report(l.analyzer, &r) == TCPKIT_STATUS_OK &&
            tcpkit_report_explain(r, &text) == TCPKIT_STATUS_OK)
            fwrite(text.data, 1, text.len, stdout);
    }
    tcpkit_analyzer_free(l.analyzer);
    return l.failed;
}
