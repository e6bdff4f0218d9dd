//! `tcpkit_report`: the capture-wide report (findings per listener and
//! host) and its text.

use super::connection::tcpkit_endpoint;
use super::error::{boundary, c_string, tcpkit_status};
use super::util::{arg_ref, check_out, intern, tcpkit_str, write_out};
use crate::flow::Endpoint;
use crate::report::{Finding, Report};
use std::ffi::CString;
use std::sync::OnceLock;

/// The capture-wide report: counters and findings per listener and host.
/// Owned by its analyzer (`tcpkit_analyzer_report`): valid until
/// `tcpkit_analyzer_free`, never freed on its own.
#[derive(Debug)]
pub struct tcpkit_report {
    report: Report,
    /// What `tcpkit report` prints after the connections, made when first
    /// asked for.
    explanation: OnceLock<CString>,
    /// Each finding in words, made when first asked for.
    findings: OnceLock<Vec<CString>>,
}

impl tcpkit_report {
    pub(crate) fn new(report: Report) -> Self {
        Self {
            report,
            explanation: OnceLock::new(),
            findings: OnceLock::new(),
        }
    }
}

/// One capture-wide finding.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_finding {
    /// What was found (`syn_flood`, `syn_cookies`, `accept_queue_overflow`,
    /// `never_answered`, `refusing`, `zero_window`, `mtu_mismatch`,
    /// `memory_budget`): static.
    pub code: tcpkit_str,
    /// The listener it is about (`never_answered`: the host, port 0 when
    /// several of its ports never answered), the endpoint of the connection it
    /// is about, or the host with the smaller MTU (`mtu_mismatch`, port 0);
    /// family 0 (all zero) when it is about the whole capture (`memory_budget`).
    pub endpoint: tcpkit_endpoint,
    /// The connection it is about (`mtu_mismatch` and `zero_window`: the first of theirs),
    /// -1 for a listener's finding.
    pub conn: i64,
    /// The finding in words (the line of `tcpkit report`): valid while the
    /// report is.
    pub text: tcpkit_str,
}

/// What `tcpkit report` prints after the connections (the listeners and the
/// findings), written to `*out`: NUL-terminated, valid while the report is.
///
/// # Safety
/// `r` is NULL or a live report; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_report_explain(
    r: *const tcpkit_report,
    out: *mut tcpkit_str,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { arg_ref(r, "report") }?;
        check_out(out, "out")?;
        let text = r.explanation.get_or_init(|| c_string(r.report.explain()));
        // SAFETY: checked not NULL; writable by the caller's contract.
        unsafe { write_out(out, tcpkit_str::borrow_c(text), "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// The number of connections in the capture, written to `*out`.
///
/// # Safety
/// `r` is NULL or a live report; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_report_connections(
    r: *const tcpkit_report,
    out: *mut u64,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { arg_ref(r, "report") }?;
        // SAFETY: the caller's contract.
        unsafe { write_out(out, r.report.connections, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// The `index`-th finding (from 0; listeners' first), written to `*out`.
/// Returns `TCPKIT_STATUS_END` past the last one.
///
/// # Safety
/// `r` is NULL or a live report; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_report_finding(
    r: *const tcpkit_report,
    index: usize,
    out: *mut tcpkit_finding,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { arg_ref(r, "report") }?;
        check_out(out, "out")?;
        let Some(f) = r.report.findings.get(index) else {
            return Ok(tcpkit_status::End);
        };
        let texts = r.findings.get_or_init(|| {
            r.report
                .findings
                .iter()
                .map(|f| c_string(crate::text::finding(f)))
                .collect()
        });
        let (endpoint, conn) = match *f {
            Finding::SynFlood { listener, .. }
            | Finding::SynCookies { listener, .. }
            | Finding::AcceptQueueOverflow { listener, .. }
            | Finding::Refusing { listener, .. } => (Some(listener), -1),
            Finding::NeverAnswered {
                host,
                ref ports,
                port_count,
                ..
            } => {
                let port = if port_count == 1 {
                    ports.first().copied().unwrap_or(0)
                } else {
                    0
                };
                (Some(Endpoint { ip: host, port }), -1)
            }
            Finding::ZeroWindow {
                endpoint,
                first_conn,
                ..
            } => (
                Some(endpoint),
                i64::try_from(first_conn.0).unwrap_or(i64::MAX),
            ),
            Finding::MtuMismatch {
                host, first_conn, ..
            } => (
                Some(Endpoint { ip: host, port: 0 }),
                i64::try_from(first_conn.0).unwrap_or(i64::MAX),
            ),
            Finding::MemoryBudget { .. } => (None, -1),
        };
        let v = tcpkit_finding {
            code: intern(f.code().as_str()),
            endpoint: endpoint.map_or(tcpkit_endpoint::NONE, tcpkit_endpoint::from),
            conn,
            text: texts
                .get(index)
                .map_or(tcpkit_str::EMPTY, |t| tcpkit_str::borrow_c(t)),
        };
        // SAFETY: checked not NULL; writable by the caller's contract.
        unsafe { write_out(out, v, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}
