/*
 * tcpkit-story CAPTURE: each connection's story as data, one fact a line
 * (tab-separated), then the capture-wide findings:
 *
 *   state   CONN client|server STATE T_NS
 *   train   CONN client|server KIND SEQ VERDICT FRAME,FRAME,...
 *   close   CONN FIRST_FIN_BY RST_BY   (client, server or -)
 *   note    CONN TEXT
 *   finding CODE ENDPOINT CONN         (ENDPOINT - for the whole capture,
 *                                       CONN -1 for a listener's finding)
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "tcpkit.h"

static const char *side(tcpkit_side s) {
    return s == TCPKIT_SIDE_CLIENT ? "client" : s == TCPKIT_SIDE_SERVER ? "server" : "-";
}

static void endpoint(char *buf, size_t len, const tcpkit_endpoint *e) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (e->family == 0) { /* a finding about the whole capture */
        snprintf(buf, len, "-");
        return;
    }
    inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, ip, sizeof ip);
    snprintf(buf, len, e->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)e->port);
}

static void story(const tcpkit_connection *c) {
    const tcpkit_summary *m;
    if (tcpkit_connection_summary(c, &m) != TCPKIT_STATUS_OK)
        return;
    tcpkit_state_change st;
    for (uint32_t s = TCPKIT_SIDE_CLIENT; s <= TCPKIT_SIDE_SERVER; s++)
        for (size_t i = 0; tcpkit_connection_state(c, s, i, &st) == TCPKIT_STATUS_OK; i++)
            printf("state\t%" PRIu64 "\t%s\t%s\t%" PRId64 "\n", m->conn, side((tcpkit_side)s),
                   st.state.data, st.t_ns);
    tcpkit_train t;
    for (size_t i = 0; tcpkit_connection_train(c, i, &t) == TCPKIT_STATUS_OK; i++) {
        printf("train\t%" PRIu64 "\t%s\t%s\t%" PRIu64 "\t%s\t", m->conn, side(t.sender),
               t.kind.data, t.seq, t.verdict.data);
        for (size_t k = 0; k < t.sends; k++)
            printf("%s%" PRIu64, k ? "," : "", t.frames[k]);
        putchar('\n');
    }
    if (m->has_story)
        printf("close\t%" PRIu64 "\t%s\t%s\n", m->conn, side(m->close.first_fin_by),
               side(m->close.rst_by));
    tcpkit_str note;
    for (size_t i = 0; tcpkit_connection_note(c, i, &note) == TCPKIT_STATUS_OK; i++)
        printf("note\t%" PRIu64 "\t%s\n", m->conn, note.data);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tcpkit-story CAPTURE\n");
        return 2;
    }
    tcpkit_analyzer *a = NULL;
    if (tcpkit_analyzer_open(argv[1], NULL, &a) != TCPKIT_STATUS_OK) {
        fprintf(stderr, "tcpkit-story: %s\n", tcpkit_last_error_message().data);
        return 1;
    }
    int status = 0;
    tcpkit_connection *c;
    tcpkit_status s;
    while ((s = tcpkit_analyzer_next_connection(a, &c)) != TCPKIT_STATUS_END) {
        if (s != TCPKIT_STATUS_OK) {
            fprintf(stderr, "tcpkit-story: %s\n", tcpkit_last_error_message().data);
            status = 1;
            continue;
        }
        story(c);
        tcpkit_connection_free(c);
    }
    const tcpkit_report *r;
    tcpkit_finding f;
    if (tcpkit_analyzer_report(a, &r) == TCPKIT_STATUS_OK)
        for (size_t i = 0; tcpkit_report_finding(r, i, &f) == TCPKIT_STATUS_OK; i++) {
            char ep[64];
            endpoint(ep, sizeof ep, &f.endpoint);
            printf("finding\t%s\t%s\t%" PRId64 "\n", f.code.data, ep, f.conn);
        }
    tcpkit_analyzer_free(a);
    return status;
}
